"""Check every XLSForm in a folder with pyxform and with cati, and say how far they agree.

    scripts/form_corpus.py DIR [--json]

pyxform's check is its whole conversion as for ODK (workbook to JSON, the survey, its XForm;
ODK Validate's Java is not run); cati's is ``cati form check`` (errors refuse, warnings do not).
With --json it prints one line:

    {"files": N, "pyxform_ok": N, "cati_ok": N, "cati_ok_among_pyxform_ok": N,
     "refusals": [{"message": "...", "forms": N}, ...]}

``refusals``: cati's first error on each form pyxform accepts, grouped with names, numbers and
quoted values blanked (top 20, most frequent first), so the list reads as what to fix next. A
crash in either checker counts as a refusal with the exception's type as its message. Forms are
files ending .md, .xlsx, .xls or .csv, in DIR and below.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SUFFIXES = {".md", ".xlsx", ".xls", ".csv"}


def pyxform_accepts(path: Path) -> bool:
    from pyxform.builder import create_survey_element_from_dict
    from pyxform.xls2json import workbook_to_json
    from pyxform.xls2json_backends import get_xlsform

    try:
        definition = get_xlsform(io.BytesIO(path.read_bytes()), file_type=path.suffix.lower())
        data = workbook_to_json(definition, fallback_form_name="data")
        create_survey_element_from_dict(data).to_xml(validate=False)
    except Exception:  # any refusal or crash of pyxform's is a "no"
        return False
    return True


def cati_first_error(path: Path) -> str | None:
    """None when cati loads the form, else its first error without the file name."""
    from cati.questionnaire.lint import check_form

    try:
        report = check_form(str(path))
    except Exception as exc:  # counted and named, never hidden
        return f"crash: {type(exc).__name__}"
    if report.usable:
        return None
    return str(report.errors[0]) if report.errors else "refused without a message"


_WHERE = re.compile(r"^\w+(:\d+)?: (\w[\w:]*: )?")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|\$\{[^}]*\}")
_NUMBER = re.compile(r"\d+")


def group_key(message: str) -> str:
    message = _WHERE.sub("", message, count=1)
    message = _QUOTED.sub("…", message)
    return _NUMBER.sub("N", message)[:160]


def measure(folder: Path) -> dict:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
    pyxform_ok = cati_ok = both = 0
    refusals: Counter[str] = Counter()
    for path in files:
        accepted = pyxform_accepts(path)
        error = cati_first_error(path)
        pyxform_ok += accepted
        cati_ok += error is None
        both += accepted and error is None
        if accepted and error is not None:
            refusals[group_key(error)] += 1
    return {
        "files": len(files),
        "pyxform_ok": pyxform_ok,
        "cati_ok": cati_ok,
        "cati_ok_among_pyxform_ok": both,
        "refusals": [{"message": message, "forms": count}
                     for message, count in refusals.most_common(20)],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--json", action="store_true", help="one JSON line")
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        print(f"form_corpus: {args.folder}: not a folder", file=sys.stderr)
        return 1
    result = measure(args.folder)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return 0
    print(f"{result['files']} forms: pyxform accepts {result['pyxform_ok']}, cati "
          f"{result['cati_ok']}, cati among pyxform's {result['cati_ok_among_pyxform_ok']}")
    for refusal in result["refusals"]:
        print(f"{refusal['forms']:5}  {refusal['message']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
