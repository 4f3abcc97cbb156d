#!/usr/bin/env python3
"""Update the English translation of the interface: ui/**/*.py → cati_en.ts → cati_en.qm.

1. PySide6's lupdate collects every tr() string of ui/**/*.py into ui/translations/cati_en.ts
   (no source locations, so moving code does not change the file; strings no longer used are
   dropped, the English of the others kept).
2. A new string written as a "中文 English" pair gets the English half as its translation
   ("正在登录… Logging in…" → "Logging in…"); each one filled in is printed, for a look.
   Any other new string stays unfinished: write its English into cati_en.ts by hand (the
   <translation> element; remove type="unfinished") and run this again.
3. lrelease builds ui/translations/cati_en.qm, which the app loads (ui/i18n.py).

    scripts/build_translations.py           update the .ts and build the .qm
    scripts/build_translations.py --check   change nothing; exit 1 when the .ts is out of date
                                            with the sources, a string has no English, or the
                                            .qm is not the build of the .ts
Exit status 1 also when strings are left without English.
"""

from __future__ import annotations

import argparse
import html
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from xml.sax.saxutils import escape

import PySide6

ROOT = Path(__file__).resolve().parent.parent
UI_DIR = ROOT / "ui"
TRANSLATIONS = UI_DIR / "translations"
SOURCE_LANGUAGE = "zh_CN"
LANGUAGE = "en"
TS_FILE = TRANSLATIONS / f"cati_{LANGUAGE}.ts"
QM_FILE = TRANSLATIONS / f"cati_{LANGUAGE}.qm"

_CJK = re.compile(r"[\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
                  r"\uf900-\ufaff\uff00-\uffef]")
# An empty unfinished translation right after its source: one the English half can fill.
_EMPTY = re.compile(
    r'(<message>\s*<source>(?P<source>[^<]*)</source>\s*)'
    r'<translation type="unfinished"></translation>')
# Any unfinished translation (also one lupdate guessed from a similar string, or a plural).
_UNFINISHED = re.compile(
    r'<message[^>]*>\s*<source>(?P<source>[^<]*)</source>(?:(?!</message>).)*?'
    r'<translation type="unfinished"', re.DOTALL)


def qt_tool(name: str) -> Path:
    """lupdate / lrelease as shipped inside the PySide6 package."""
    tool = Path(PySide6.__file__).resolve().parent / (name + (".exe" if sys.platform == "win32"
                                                               else ""))
    if not tool.exists():
        raise SystemExit(f"error: {tool} not found: reinstall PySide6 (pip install PySide6)")
    return tool


def sources() -> list[str]:
    return sorted(str(path.relative_to(ROOT)) for path in UI_DIR.rglob("*.py"))


def english_half(source: str) -> str | None:
    """The English of a "中文 English" string, or None when it is not such a pair.

    The English half is what follows the last Chinese character, and must begin with a letter:
    "已拨打 {n} 次 (attempts)" or "返回 (Esc)" carry only a hint, and are translated by hand.
    """
    chinese = [match.start() for match in _CJK.finditer(source)]
    if not chinese:
        return source  # nothing Chinese in it: the same in English
    tail = source[chinese[-1] + 1:].lstrip(" \t…·")
    if not (tail[:1].isascii() and tail[:1].isalpha()):
        return None
    prefix = source[:chinese[0]]
    # A lead such as "cati — " stays; a word the English half repeats ("Excel 文件 Excel files")
    # does not.
    if prefix.strip() and prefix.rstrip()[-1].isalnum():
        prefix = ""
    return prefix + tail


def fill_pairs(ts_text: str) -> tuple[str, list[tuple[str, str]]]:
    """The .ts with the English half filled into unfinished "中文 English" strings."""
    filled: list[tuple[str, str]] = []

    def fill(match: re.Match[str]) -> str:
        source = html.unescape(match["source"])
        english = english_half(source)
        if english is None:
            return match[0]
        filled.append((source, english))
        return f"{match[1]}<translation>{escape(english)}</translation>"

    return _EMPTY.sub(fill, ts_text), filled


def unfinished(ts_text: str) -> list[str]:
    return [html.unescape(match["source"]) for match in _UNFINISHED.finditer(ts_text)]


def run(tool: str, *args: str) -> None:
    done = subprocess.run([str(qt_tool(tool)), *args], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"error: {tool} failed:\n{done.stdout}{done.stderr}")


def updated_ts(workdir: Path) -> tuple[str, list[tuple[str, str]]]:
    """What cati_en.ts should hold now (built in workdir; the real file is not touched)."""
    ts = workdir / TS_FILE.name
    if TS_FILE.exists():
        shutil.copyfile(TS_FILE, ts)
    run("lupdate", "-silent", "-locations", "none", "-no-obsolete",
        "-source-language", SOURCE_LANGUAGE, "-target-language", LANGUAGE, *sources(),
        "-ts", str(ts))
    return fill_pairs(ts.read_text(encoding="utf-8"))


def built_qm(ts_text: str, workdir: Path) -> bytes:
    ts, qm = workdir / "release.ts", workdir / "release.qm"
    ts.write_text(ts_text, encoding="utf-8")
    run("lrelease", "-silent", str(ts), "-qm", str(qm))
    return qm.read_bytes()


def report_missing(missing: list[str]) -> None:
    print(f"{len(missing)} string(s) without English; write it in {TS_FILE.relative_to(ROOT)}:",
          file=sys.stderr)
    for source in missing:
        print(f"  {source!r}", file=sys.stderr)


def check() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        expected, _ = updated_ts(Path(tmp))
        current = TS_FILE.read_text(encoding="utf-8") if TS_FILE.exists() else ""
        problems = []
        if current != expected:
            problems.append(f"{TS_FILE.relative_to(ROOT)} is out of date with ui/")
        if unfinished(expected):
            report_missing(unfinished(expected))
            problems.append("strings without English")
        if not QM_FILE.exists() or QM_FILE.read_bytes() != built_qm(expected, Path(tmp)):
            problems.append(f"{QM_FILE.relative_to(ROOT)} is not the build of the .ts")
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        print("run scripts/build_translations.py", file=sys.stderr)
    return 1 if problems else 0


def build() -> int:
    TRANSLATIONS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        text, filled = updated_ts(Path(tmp))
        TS_FILE.write_text(text, encoding="utf-8")
        QM_FILE.write_bytes(built_qm(text, Path(tmp)))
    for source, english in filled:
        print(f"filled: {source!r} → {english!r}")
    missing = unfinished(text)
    if missing:
        report_missing(missing)
    print(f"wrote {TS_FILE.relative_to(ROOT)} and {QM_FILE.relative_to(ROOT)}")
    return 1 if missing else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 when the .ts or the .qm is out of date")
    args = parser.parse_args(argv)
    return check() if args.check else build()


if __name__ == "__main__":
    sys.exit(main())
