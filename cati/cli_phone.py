"""``cati phone``: the workstation's softphone (baresip) from the command line.

    cati phone setup [--account AOR] [--outbound URI] [--auth-user U] [--no-register]
                     [--listen IP] [--rtp-ports LOW-HIGH] [--codecs pcma,pcmu]
                     [--audio DRIVER,DEVICE]
                     [--recordings DIR] [--trunk-prefix D] [--area-code D]
                     [--dial-format national|e164] [--mobile-prefix D] [--password-stdin]
                     [--dial-mode preview|progressive] [--auto-dial S] [--json]
    cati phone check [--json] [--wait S]
    cati phone call URI [--record FILE] [--hangup-after S] [--no-answer-after S] [--play WAV]
                        [--project CODE] [--json]
    cati phone settings PROJECT [--record-calls on|off] [--no-answer-after S]
                        [--propose OUTCOME=CODE|none ...] [--as NAME] [--json]

``check`` prints, with ``--json``, {"ok", "baresip": path or null, "version", "modules":
{"required", "missing", "available"}, "account": AOR or null, "registered": true/false/null,
"register_reason", "codecs": ["PCMA/8000/1", ...], "settings": path}; exit 1 when not ok.

``setup`` changes the given entries of this workstation's phone.json (the others are kept)
and prints it, with ``--json`` as the object stored; the password goes to the keyring.

``settings`` prints, with ``--json``, {"project", "record_calls", "no_answer_after_s",
"proposals": {outcome: code or null}} after any change (supervisors and admins).

``call`` prints, with ``--json``, {"uri", "outcome", "sip_status", "proposed_disposition",
"ring_s", "talk_s", "recording": path or null, ...} (cati.telephony.call.CallResult.as_json).
URI is a SIP URI (``sip:resp@127.0.0.1:5080``), dialled as it is, or an E.164 number
(``+8657188001234``), formatted with the dialing plan (phone.json's, the project's over it) and sent to the account's
domain (needs a SIP account). Without an account a direct URI is dialled from a local one.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from cati.errors import CatiError
from cati.telephony import settings as phone_settings
from cati.telephony.baresip import (
    REQUIRED_MODULES,
    BaresipAgent,
    available_modules,
    baresip_binary,
    baresip_version,
)

_SIP_URI = re.compile(r"^sips?:[^\s@]+@[^\s]+$|^sips?:[^\s@]+$")


def add_commands(commands: argparse._SubParsersAction, open_database) -> None:
    phone = commands.add_parser("phone", help="the workstation's softphone (SIP)").add_subparsers(
        dest="action", required=True)
    setup = phone.add_parser("setup", help="this workstation's SIP account, audio, recordings "
                             "folder and dialing plan (phone.json)")
    setup.add_argument("--account", metavar="AOR", help="sip:8001@pbx.example.cn ('' removes)")
    setup.add_argument("--outbound", metavar="URI", help="registrar/proxy, sip:HOST[:PORT]")
    setup.add_argument("--auth-user", metavar="U", help="the digest user, when not the AOR's")
    setup.add_argument("--no-register", action="store_true",
                       help="the PBX knows this workstation by its address (no REGISTER)")
    setup.add_argument("--listen", metavar="IP", help="this workstation's address for SIP")
    setup.add_argument("--rtp-ports", metavar="LOW-HIGH",
                       help="the audio (RTP) port range the firewall lets through")
    setup.add_argument("--codecs", metavar="LIST", help="e.g. pcma,pcmu (first preferred)")
    setup.add_argument("--audio", metavar="DRIVER,DEVICE",
                       help="headset, e.g. alsa,default; 'null': no sound card")
    setup.add_argument("--recordings", metavar="DIR", help="the recordings folder (shared)")
    setup.add_argument("--trunk-prefix", metavar="D")
    setup.add_argument("--area-code", metavar="D", help="the centre's, e.g. 0571")
    setup.add_argument("--dial-format", choices=("national", "e164"))
    setup.add_argument("--mobile-prefix", metavar="D")
    setup.add_argument("--dial-mode", choices=("preview", "progressive"),
                       help="preview: the interviewer dials (Ctrl+D) after reading the case; "
                            "progressive: dialled as soon as a case is claimed")
    setup.add_argument("--auto-dial", metavar="S",
                       help="preview: dial by itself after S seconds (0: only by hand)")
    setup.add_argument("--password-stdin", action="store_true",
                       help="read the SIP password from stdin into the keyring")
    setup.add_argument("--json", action="store_true")
    setup.set_defaults(handler=_setup)
    check = phone.add_parser("check", help="is the softphone installed, registered, which codecs")
    check.add_argument("--wait", type=float, default=10.0, metavar="S",
                       help="seconds to wait for the registration (default 10)")
    check.add_argument("--json", action="store_true")
    check.set_defaults(handler=_check)
    call = phone.add_parser("call", help="dial a SIP URI or a number and report the outcome")
    call.add_argument("uri", metavar="URI")
    call.add_argument("--record", type=Path, metavar="FILE", help="record the call to FILE")
    call.add_argument("--hangup-after", metavar="S",
                      help="hang up S seconds after the answer")
    call.add_argument("--no-answer-after", metavar="S",
                      help="give up unanswered after S seconds (default: the project's "
                           "no_answer_after_s, else 30)")
    call.add_argument("--play", type=Path, metavar="WAV",
                      help="send this WAV (mono, 8000 Hz) as the workstation's voice")
    call.add_argument("--project", metavar="CODE",
                      help="use the project's dialing plan and outcome table")
    call.add_argument("--json", action="store_true")
    call.set_defaults(handler=lambda args: _call(args, open_database))
    settings = phone.add_parser("settings", help="a project's recording, ring time and the "
                                "disposition each call outcome proposes")
    settings.add_argument("project", metavar="PROJECT")
    settings.add_argument("--record-calls", choices=("on", "off"))
    settings.add_argument("--no-answer-after", metavar="S",
                          help="hang up an unanswered call after S seconds (5-180)")
    settings.add_argument("--propose", action="append", default=[], metavar="OUTCOME=CODE",
                          help="the disposition an outcome proposes (none: the interviewer "
                               "codes it); repeat for several")
    settings.add_argument("--as", dest="acting", metavar="NAME",
                          help="the supervisor recorded in the audit log")
    settings.add_argument("--json", action="store_true")
    settings.set_defaults(handler=lambda args: _settings(args, open_database(args)))


def _settings(args: argparse.Namespace, database) -> int:
    from cati.services.phone_settings import phone_settings, update_phone_settings
    from cati.services.users import acting_user_id

    proposals: dict[str, str | None] = {}
    for item in args.propose:
        outcome, sep, code = item.partition("=")
        if not sep or not outcome.strip() or not code.strip():
            raise CatiError(f"--propose {item!r}: write OUTCOME=CODE (e.g. busy=3.12) or "
                            "OUTCOME=none")
        code = code.strip()
        proposals[outcome.strip()] = None if code.lower() == "none" else code
    seconds = _seconds(args.no_answer_after, "--no-answer-after")
    if args.record_calls is None and seconds is None and not proposals:
        found = phone_settings(database, args.project)
    else:
        found = update_phone_settings(
            database, acting_user_id(database, args.acting), args.project,
            record_calls=None if args.record_calls is None else args.record_calls == "on",
            no_answer_after_s=seconds, proposals=proposals)
    if args.json:
        print(json.dumps(found.as_json(), ensure_ascii=False))
    else:
        print(f"{found.code}: recording {'on' if found.record_calls else 'off'}; unanswered "
              f"calls hung up after {found.no_answer_after_s:g} s")
        for outcome, code in found.proposals.items():
            print(f"  {outcome:<10} -> {code or '(the interviewer codes it)'}")
    return 0


def _seconds(text: str | None, option: str) -> float | None:
    """Checked here, not by argparse: a mistake is one line and exit 1, like every command."""
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise CatiError(f"{option}: not a number of seconds: {text!r}") from None
    if not 0 < value <= 4 * 3600:
        raise CatiError(f"{option}: seconds out of range (0 to 14400): {text!r}")
    return value


def _setup(args: argparse.Namespace) -> int:
    import dataclasses
    import sys

    current = phone_settings.load()
    changes: dict = {}
    for option, field in (("account", "aor"), ("outbound", "outbound"),
                          ("auth_user", "auth_user"), ("listen", "listen_host"),
                          ("recordings", "recordings_folder"),
                          ("rtp_ports", "rtp_ports")):
        value = getattr(args, option)
        if value is not None:
            changes[field] = value.strip()
    if args.no_register:
        changes["register"] = False
    if args.dial_mode is not None:
        changes["dial_mode"] = args.dial_mode
    if args.auto_dial is not None:
        try:
            changes["auto_dial_s"] = float(args.auto_dial)
        except ValueError:
            raise CatiError(f"--auto-dial: not a number of seconds: {args.auto_dial!r}") from None
    if args.codecs is not None:
        changes["codecs"] = tuple(c.strip() for c in args.codecs.split(",") if c.strip())
    if args.audio is not None:
        changes["audio_player"] = changes["audio_source"] = args.audio.strip()
    dialing = dict(current.dialing)
    for option, key in (("trunk_prefix", "trunk_prefix"), ("area_code", "area_code"),
                        ("dial_format", "format"), ("mobile_prefix", "mobile_prefix")):
        value = getattr(args, option)
        if value is not None:
            dialing[key] = value.strip()
    changes["dialing"] = dialing
    wanted = phone_settings.checked(dataclasses.replace(current, **changes))
    if wanted.recordings_folder:
        folder = Path(wanted.recordings_folder)
        if not folder.is_dir():
            raise CatiError(f"recordings folder {folder}: no such folder (create it, or mount "
                            "the shared folder, first)")
    if args.password_stdin:
        if not wanted.aor:
            raise CatiError("--password-stdin needs an account (--account sip:USER@HOST)")
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise CatiError("no password on stdin")
        phone_settings.save_password(wanted.aor, password)
    path = phone_settings.save(wanted)
    if args.json:
        print(json.dumps(wanted.as_json(), ensure_ascii=False))
    else:
        print(f"{path}: account {wanted.aor or 'none (direct SIP URIs only)'}"
              + (f" via {wanted.outbound}" if wanted.outbound else ""))
    return 0


def _check(args: argparse.Namespace) -> int:
    settings = phone_settings.load()
    binary = baresip_binary()
    modules = available_modules()
    missing = [m for m in REQUIRED_MODULES if m not in modules]
    report = {
        "ok": False,
        "baresip": binary,
        "version": baresip_version(binary) if binary else None,
        "modules": {"required": list(REQUIRED_MODULES), "missing": missing,
                    "available": modules},
        "account": settings.aor or None,
        "registered": None,
        "register_reason": None,
        "codecs": [],
        "settings": str(phone_settings.settings_path()),
    }
    if binary and not missing:
        with BaresipAgent(settings.agent_options()) as agent:
            if settings.has_account and settings.register:
                event = agent.wait_for({"REGISTER_OK", "REGISTER_FAIL"}, args.wait)
                report["registered"] = bool(event and event.get("type") == "REGISTER_OK")
                report["register_reason"] = (str(event.get("param") or "") if event
                                             else f"no answer from the registrar in {args.wait:g} s")
            report["codecs"] = agent.codecs()
    report["ok"] = bool(binary) and not missing and report["registered"] is not False
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        print(f"baresip: {binary or 'not installed (apt-get install baresip-core)'}"
              + (f" v{report['version']}" if report["version"] else ""))
        if missing:
            print("modules missing: " + ", ".join(missing))
        print("account: " + (settings.aor or "none (direct SIP URIs only)"))
        if report["registered"] is not None:
            print(("registered" if report["registered"] else "NOT registered")
                  + f" ({report['register_reason']})")
        print("codecs: " + (", ".join(report["codecs"]) or "-"))
    return 0 if report["ok"] else 1


def _call(args: argparse.Namespace, open_database) -> int:
    from cati.telephony.call import place_call
    from cati.telephony.dialing import dial_uri
    from cati.telephony.outcomes import DEFAULT_NO_ANSWER_S, NO_ANSWER_KEY

    hangup_after = _seconds(args.hangup_after, "--hangup-after")
    settings = phone_settings.load()
    project_settings: dict = {}
    if args.project:
        from cati.services.projects import get_project

        database = open_database(args)
        with database.unit(immediate=False) as session:
            project_settings = get_project(session, args.project).settings
    no_answer_after = _seconds(
        args.no_answer_after if args.no_answer_after is not None
        else str(project_settings.get(NO_ANSWER_KEY) or DEFAULT_NO_ANSWER_S),
        "--no-answer-after")
    uri = args.uri.strip()
    if uri.startswith("+"):
        if not settings.has_account:
            raise CatiError("a number needs a SIP account (phone.json); without one dial a "
                            "SIP URI such as sip:resp@127.0.0.1:5080")
        uri = dial_uri(settings.dial_plan(project_settings).digits(uri), settings.domain)
    elif not _SIP_URI.match(uri):
        raise CatiError(f"{args.uri!r} is not a SIP URI (sip:user@host[:port]) or an E.164 "
                        "number (+86...)")
    if args.play is not None and not args.play.is_file():
        raise CatiError(f"{args.play}: no such file")
    if args.record is not None and args.record.exists():
        raise CatiError(f"{args.record}: exists already (a recording is never overwritten)")
    options = settings.agent_options(record=args.record is not None,
                                     audio_source=str(args.play.resolve()) if args.play else None)
    with BaresipAgent(options) as agent:
        if settings.has_account and settings.register:
            event = agent.wait_for({"REGISTER_OK", "REGISTER_FAIL"}, 10)
            if not event or event.get("type") != "REGISTER_OK":
                raise CatiError(f"{settings.aor}: not registered ("
                                + (str(event.get("param")) if event else "no answer") + ")")
        result = place_call(agent, uri, record_to=args.record,
                            hangup_after=hangup_after, no_answer_after=no_answer_after, settings=project_settings)
    if args.json:
        print(json.dumps(result.as_json(), ensure_ascii=False))
    else:
        print(f"{result.uri}: {result.outcome} (SIP {result.sip_status or '-'}, "
              f"{result.reason or '-'}); proposed disposition {result.proposed_disposition or '-'}"
              f"; rang {result.ring_s:.1f} s, talked {result.talk_s:.1f} s"
              + (f"; recording {result.recording.path}" if result.recording else ""))
    return 0
