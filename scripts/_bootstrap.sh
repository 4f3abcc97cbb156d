#!/usr/bin/env bash
# Shared set-up for scripts/run and scripts/test; source it, then call `cati_bootstrap [test]`.
#
# - checks the Debian/Ubuntu packages the app (and, for `test`, the test suite) needs and
#   installs the missing ones with apt-get when running as root (prints the sudo line otherwise);
# - creates .venv with python3 (>= 3.11) when missing and installs the project in editable mode,
#   skipping pip when a stamp in .venv records the current sha256 of pyproject.toml.
#
# Sets and exports CATI_ROOT (the repository root) and CATI_VENV (its .venv).

set -euo pipefail

CATI_ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
CATI_VENV="$CATI_ROOT/.venv"
export CATI_ROOT CATI_VENV

# Qt (PySide6) xcb/EGL runtime, text-to-speech, a CJK font, the softphone (baresip: SIP user
# agent driven over its ctrl_tcp interface, recordings with its sndfile module).
CATI_APT_BASE=(
    libegl1 libgl1 libopengl0 libglib2.0-0 libfontconfig1 libfreetype6 libdbus-1-3
    libx11-xcb1 libxrender1 libxkbcommon0 libxkbcommon-x11-0
    libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0
    libxcb-randr0 libxcb-render-util0 libxcb-image0 libxcb-xkb1
    espeak-ng libespeak-ng1
    fonts-wqy-microhei
    xvfb xauth
    baresip-core
)
# Only for scripts/test: a PostgreSQL server. scripts/run leaves it out on purpose: Debian's
# package starts a server as a system service, which a one-machine (SQLite) desktop does not need.
# pulseaudio: a null sink for the speech tests; chromium: the web pages tested in a real browser;
# telephony tests: a respondent's speech (espeak-ng, above) resampled to 8 kHz with sox,
# kamailio as the registrar (digest auth) and as a network that answers busy/decline/5xx.
CATI_APT_TEST=(postgresql pulseaudio chromium chromium-driver faketime sox kamailio)

cati_say() {
    printf '==> %s\n' "$*" >&2
}

cati_die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

# Prints the packages of "$@" that are not installed (one per line).
_cati_missing_packages() {
    local installed pkg
    # One dpkg-query call for all of them; unknown names only print to stderr.
    installed="$(dpkg-query -W -f='${Package} ${Status}\n' "$@" "${@/%/t64}" \
        fonts-noto-cjk fonts-wqy-zenhei 2>/dev/null \
        | awk '$NF == "installed" { print $1 }' | sort -u || true)"
    for pkg in "$@"; do
        # Ubuntu 24.04+ renamed some libraries with a t64 suffix (libglib2.0-0t64, ...).
        if grep -qxF -e "$pkg" -e "${pkg}t64" <<<"$installed"; then
            continue
        fi
        case "$pkg" in
            fonts-wqy-microhei)
                # Any CJK font does.
                grep -qxE 'fonts-noto-cjk|fonts-wqy-zenhei' <<<"$installed" && continue ;;
            postgresql)
                # A versioned server package (postgresql-15, ...) is enough.
                compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null && continue ;;
        esac
        printf '%s\n' "$pkg"
    done
}

_cati_system_packages() {
    local wanted=("${CATI_APT_BASE[@]}")
    [[ "${1:-}" == test ]] && wanted+=("${CATI_APT_TEST[@]}")

    if ! command -v dpkg-query >/dev/null 2>&1; then
        cati_say "no dpkg here: make sure these (or their equivalents) are installed: ${wanted[*]}"
        return 0
    fi

    # To create .venv: python3 itself, and venv/ensurepip, which Debian ships separately.
    if ! _cati_venv_ok; then
        local python
        if ! python="$(_cati_find_python)"; then
            wanted+=(python3 python3-venv)
        elif ! "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; then
            wanted+=(python3-venv)
        fi
    fi

    local missing
    mapfile -t missing < <(_cati_missing_packages "${wanted[@]}")
    ((${#missing[@]} == 0)) && return 0

    local sudo=()
    if [[ "$(id -u)" -ne 0 ]]; then
        # On a CI runner (CI set) with password-less sudo, go ahead; otherwise ask the user.
        if [[ -n "${CI:-}" ]] && sudo -n true 2>/dev/null; then
            sudo=(sudo -n env DEBIAN_FRONTEND=noninteractive)
        else
            printf 'Missing system packages. Install them with:\n' >&2
            printf 'sudo apt-get install -y --no-install-recommends %s\n' "${missing[*]}" >&2
            exit 1
        fi
    fi
    cati_say "installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # Debian's kamailio and postgresql start system services when installed, and kamailio's
    # postinst fails the install when its service cannot start. The tests run their own, on
    # their own ports: keep the packages from starting any (as Debian's container images do).
    local policy=/usr/sbin/policy-rc.d made_policy=""
    if [[ ! -e "$policy" ]]; then
        printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null \
            && "${sudo[@]}" chmod 755 "$policy" && made_policy=1
    fi
    local status=0
    "${sudo[@]}" apt-get update -qq || status=$?
    if ((status == 0)); then
        "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
            || status=$?
    fi
    [[ -n "$made_policy" ]] && "${sudo[@]}" rm -f "$policy"
    ((status == 0)) || cati_die "apt-get failed (exit $status) installing: ${missing[*]}"
}

# Prints the first python3 on PATH that is >= 3.11.
_cati_find_python() {
    local cand
    for cand in python3 python3.13 python3.12 python3.11; do
        if command -v "$cand" >/dev/null 2>&1 \
            && "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            command -v "$cand"
            return 0
        fi
    done
    return 1
}

_cati_venv_ok() {
    "$CATI_VENV/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1
}

_cati_python_env() {
    local extras="${1:-}"
    local spec="." want="base"
    if [[ "$extras" == test ]]; then
        spec=".[test]"
        want="test"
    fi

    if ! _cati_venv_ok; then
        local python
        python="$(_cati_find_python)" || cati_die "python3 >= 3.11 is needed (found: $(python3 --version 2>&1 || echo none))"
        cati_say "creating .venv with $("$python" --version 2>&1)"
        "$python" -m venv --clear "$CATI_VENV"
        rm -f "$CATI_VENV/.cati-bootstrap"
    fi

    # The stamp holds "<sha256 of pyproject.toml> <base|test>"; test includes base.
    local sha stamp="$CATI_VENV/.cati-bootstrap" have_sha="" have_extras=""
    sha="$(sha256sum "$CATI_ROOT/pyproject.toml" | cut -d' ' -f1)"
    [[ -r "$stamp" ]] && read -r have_sha have_extras <"$stamp" || true
    if [[ "$have_sha" == "$sha" && ("$have_extras" == "$want" || "$have_extras" == test) ]]; then
        return 0
    fi

    cati_say "installing Python packages (pip install -e '$spec')"
    # Quiet unless it fails (setuptools prints pages of warnings while building).
    local log
    log="$(mktemp)"
    if ! (cd "$CATI_ROOT" && "$CATI_VENV/bin/python" -m pip install --disable-pip-version-check \
        -e "$spec") >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        cati_die "pip install -e '$spec' failed"
    fi
    rm -f "$log"
    printf '%s %s\n' "$sha" "$want" >"$stamp"
}

# Usage: cati_bootstrap [test]
cati_bootstrap() {
    _cati_system_packages "${1:-}"
    _cati_python_env "${1:-}"
}
