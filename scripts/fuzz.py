"""The long fuzz run of hostile input, outside the test suite: many more examples of the
properties in tests/test_fuzz_import.py, test_fuzz_forms.py and test_fuzz_text.py, with fresh
random seeds each run, and the full-size workbooks (a dense sheet of Excel's 1,048,576 rows,
a 16,384-column sheet with many rows).

    .venv/bin/python scripts/fuzz.py [--examples N] [--db URL] [--no-big] [--seed S]

Every example runs to the end, a failure is counted (the first few are kept, shortened) rather
than stopping the run. Prints one JSON line: per property the cases tried and the failures,
the full-size imports with their rows and seconds, and "failures" over all; exits 1 when there
was any failure. The database is a new SQLite file unless --db names an empty one (PostgreSQL:
create it first; the run adds projects P1 and TXT to it).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import test_fuzz_forms as forms  # noqa: E402
import test_fuzz_import as imports  # noqa: E402
import test_fuzz_text as texts  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from cati.config import QUESTIONNAIRE_DIR  # noqa: E402
from cati.questionnaire.problems import FormError  # noqa: E402
from cati.questionnaire.xpath import ExpressionSyntaxError, SimpleContext, parse  # noqa: E402
from cati.sample import xlsx_reader  # noqa: E402
from cati.services.projects import create_project  # noqa: E402
from cati.services.sample_import import ImportOptions  # noqa: E402
from cati.storage.db import Database  # noqa: E402

KEPT_FAILURES = 3


class Tally:
    """Cases tried and failures of one property; a failure keeps its input and error."""

    def __init__(self) -> None:
        self.tried = 0
        self.failed = 0
        self.examples: list[dict[str, str]] = []

    def run(self, check: Callable[[], object], example: object) -> None:
        self.tried += 1
        try:
            check()
        except Exception as error:
            self.failed += 1
            if len(self.examples) < KEPT_FAILURES:
                self.examples.append({"input": repr(example)[:300],
                                      "error": traceback.format_exception_only(error)[-1]
                                      .strip()[:300]})

    def as_json(self) -> dict:
        return {"tried": self.tried, "failures": self.failed, "examples": self.examples}


def fuzz(examples: int, seed: int | None, *strategies, **named):
    """Run the decorated body over ``examples`` random examples (fresh seeds unless given)."""
    options = settings(max_examples=examples, deadline=None, database=None,
                       derandomize=False, suppress_health_check=list(HealthCheck))

    def wrap(body):
        runner = options(given(*strategies, **named)(body))
        if seed is not None:
            from hypothesis import seed as with_seed
            runner = with_seed(seed)(runner)
        return runner

    return wrap


def properties(database: Database, folder: Path, examples: int, seed: int | None) -> dict:
    tallies: dict[str, Tally] = {}

    def tally(name: str) -> Tally:
        return tallies.setdefault(name, Tally())

    @fuzz(examples, seed, data=st.one_of(st.binary(max_size=5000),
                                         st.binary(max_size=3000).map(lambda b: b"PK\x03\x04" + b)),
          suffix=st.sampled_from([".csv", ".xlsx", ".xls"]))
    def random_bytes(data, suffix):
        path = folder / f"random{suffix}"
        path.write_bytes(data)
        tally("import: random bytes").run(lambda: imports.import_or_refuse(database, path),
                                          data[:40])

    @fuzz(examples, seed, rows=imports.csv_lists(), encoding=st.sampled_from(imports.ENCODINGS),
          delimiter=st.sampled_from(",\t;"), dry_run=st.booleans())
    def random_csv(rows, encoding, delimiter, dry_run):
        path = imports.write_delimited(folder / "名单.csv", rows, encoding=encoding,
                                       delimiter=delimiter)
        options = ImportOptions(dry_run=dry_run, rejects_path=folder / "rejects.xlsx")
        tally("import: random CSV").run(
            lambda: imports.import_or_refuse(database, path, options), (rows, encoding))

    @fuzz(examples, seed, sheets=imports.workbooks(), streamed=st.booleans())
    def random_workbooks(sheets, streamed):
        xlsx_reader.CALAMINE_MAX_SHEET_BYTES = 0 if streamed else 32 << 20
        path = imports.write_workbook(folder / "random.xlsx", sheets)

        def check():
            imports.import_or_refuse(database, path,
                                     ImportOptions(rejects_path=folder / "rejects.xlsx"))
            assert imports.read_all(path, streamed=False) == imports.read_all(path, streamed=True)

        tally("import: random workbooks").run(check, sheets)
        xlsx_reader.CALAMINE_MAX_SHEET_BYTES = 32 << 20

    @fuzz(examples * 4, seed, text=forms.EXPRESSIONS, age=forms.hostile_values(),
          town=forms.hostile_values(), current=forms.hostile_values())
    def expressions(text, age, town, current):
        def check():
            try:
                expression = parse(text)
            except ExpressionSyntaxError:
                return
            context = SimpleContext(values={"age": age, "town": town}, current_value=current,
                                    seed=7)
            forms.evaluate_every_way(expression, context)

        tally("expressions: parse and evaluate").run(check, (text, age, town, current))

    @fuzz(examples, seed, rows=forms.survey_rows(), form_seed=st.integers(0, 10**6))
    def random_forms(rows, form_seed):
        def check():
            form = forms.load_or_explain(forms.markdown(rows), "random.md")
            if not isinstance(form, FormError):
                forms.interview_randomly(form, form_seed)

        tally("forms: load and interview").run(check, rows)

    @fuzz(examples, seed, story=texts.typed_text(), more=texts.typed_text())
    def free_text(story, more):
        def check():
            interview_id = texts.interview_with(database, text_project, story, more)
            by_csv, by_xlsx = texts.exported_rows(database, folder)
            for question, value in (("story", story), ("more", more)):
                texts.check_exported(value, by_csv[interview_id][question],
                                     by_xlsx[interview_id][question])

        tally("free text: store and export").run(check, (story, more))

    form_path = folder / "free_text.md"
    form_path.write_text(texts.FORM, encoding="utf-8")
    with database.unit() as session:
        text_project = create_project(session, "TXT", form_path).id
    for run in (random_bytes, random_csv, random_workbooks, expressions, random_forms,
                free_text):
        run()
    return {name: tally.as_json() for name, tally in tallies.items()}


def full_size(database: Database, folder: Path) -> dict:
    """A dense sheet of 1,048,576 rows (the header and 1,048,575 numbers), imported as a dry
    run (streamed: its XML is far over calamine's limit); and 16,384 columns by 2,000 rows."""
    found = {}
    path = folder / "dense.xlsx"
    started = time.perf_counter()
    imports.write_workbook(path, [{"name": "样本", "rows": [
        (1, ["电话", "乡镇", "备注"]), *imports.dense_rows(imports.EXCEL_MAX_ROWS - 1)]}])
    built = time.perf_counter() - started
    tally = Tally()
    result: dict = {}

    def dense():
        started = time.perf_counter()
        outcome = imports.import_or_refuse(database, path, ImportOptions(dry_run=True))
        assert outcome.rows == imports.EXCEL_MAX_ROWS - 1 == outcome.imported, outcome
        result.update(rows=outcome.rows, seconds=round(time.perf_counter() - started, 1))

    tally.run(dense, "dense 1,048,576-row sheet")
    found["1048576 rows"] = {**tally.as_json(), **result, "build_seconds": round(built, 1),
                             "file_bytes": path.stat().st_size}
    path.unlink()

    width = imports.EXCEL_MAX_COLUMNS
    rng = random.Random(5)
    rows = [(1, [f"列{n}" for n in range(width - 1)] + ["电话"])]
    rows += [(n, [rng.choice(["", "x", "\x01", "😀"]) if c % 97 == 0 else None
                  for c in range(width - 1)] + [f"139{n:08d}"]) for n in range(2, 2_002)]
    path = imports.write_workbook(folder / "wide.xlsx", [{"name": "wide", "rows": rows}])
    tally, result = Tally(), {}

    def wide():
        started = time.perf_counter()
        outcome = imports.import_or_refuse(database, path, ImportOptions(dry_run=True))
        assert outcome.rows == 2_000 == outcome.imported, outcome
        result.update(rows=outcome.rows, seconds=round(time.perf_counter() - started, 1))

    tally.run(wide, "16,384 columns by 2,000 rows")
    found["16384 columns"] = {**tally.as_json(), **result}
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=500,
                        help="examples per property (expressions get 4 times as many)")
    parser.add_argument("--db", help="an empty database URL (default: a new SQLite file)")
    parser.add_argument("--seed", type=int, help="hypothesis seed (default: a fresh one)")
    parser.add_argument("--no-big", action="store_true", help="skip the full-size workbooks")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cati-fuzz-") as scratch:
        folder = Path(scratch)
        os.environ["CATI_DATA_DIR"] = str(folder / "data")  # default rejects reports go here
        database = Database(args.db or f"sqlite:///{folder / 'fuzz.db'}")
        database.upgrade()
        with database.unit() as session:
            create_project(session, "P1", QUESTIONNAIRE_DIR / "public_safety.xlsx",
                           default_area_code="0396")
        started = time.perf_counter()
        report = {"examples": args.examples, "database": database.engine.dialect.name,
                  "properties": properties(database, folder, args.examples, args.seed)}
        if not args.no_big:
            report["full_size"] = full_size(database, folder)
        database.dispose()
    parts = [*report["properties"].values(), *report.get("full_size", {}).values()]
    report["tried"] = sum(part["tried"] for part in parts)
    report["failures"] = sum(part["failures"] for part in parts)
    report["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(report, ensure_ascii=False))
    return 1 if report["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
