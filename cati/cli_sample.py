"""``cati sample import`` and ``cati dnc add | import | list``."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

from cati.errors import CatiError
from cati.sample.phones import PhoneRule


def add_commands(commands: argparse._SubParsersAction, open_database) -> None:
    sample = commands.add_parser("sample", help="phone lists").add_subparsers(dest="action",
                                                                              required=True)
    imp = sample.add_parser("import", help="import a phone list (.xlsx, .xls, .csv)")
    imp.add_argument("file")
    imp.add_argument("--project", required=True, metavar="CODE")
    _reader_options(imp)
    imp.add_argument("--default-area-code", metavar="CODE",
                     help="area code put before bare 7-8 digit local numbers (project setting)")
    imp.add_argument("--dry-run", action="store_true", help="count and report, import nothing")
    imp.add_argument("--rejects", metavar="FILE.xlsx", help="where to write the rejects report")
    imp.add_argument("--json", action="store_true", help="end with one JSON line of counts")
    imp.add_argument("--user", metavar="NAME",
                     help="the supervisor or admin importing (checked, and recorded in the "
                          "audit log and on the batch)")
    imp.set_defaults(handler=lambda args: _sample_import(args, open_database(args)))
    cleanup = sample.add_parser(
        "cleanup", help="remove what a stopped import left (or finish adding its cases)")
    cleanup.set_defaults(handler=lambda args: _sample_cleanup(open_database(args)))

    dnc = commands.add_parser("dnc", help="the do-not-call list").add_subparsers(
        dest="action", required=True)
    add = dnc.add_parser("add", help="add numbers to the do-not-call list")
    add.add_argument("phones", nargs="+", metavar="PHONE")
    add.add_argument("--reason", default="")
    add.add_argument("--expires", metavar="YYYY-MM-DD", type=_date)
    add.add_argument("--default-area-code", metavar="CODE")
    add.set_defaults(handler=lambda args: _dnc_add(args, open_database(args)))
    dimp = dnc.add_parser("import", help="add every number of a phone list")
    dimp.add_argument("file")
    dimp.add_argument("--reason", default="")
    dimp.add_argument("--default-area-code", metavar="CODE")
    _reader_options(dimp)
    dimp.set_defaults(handler=lambda args: _dnc_import(args, open_database(args)))
    dnc.add_parser("list", help="list the do-not-call numbers").set_defaults(
        handler=lambda args: _dnc_list(open_database(args)))


def _reader_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sheet", metavar="NAME|INDEX", type=_sheet,
                        help="sheet name or 1-based index (default: the first non-empty)")
    parser.add_argument("--header-row", type=int, metavar="N",
                        help="1-based row of the header (default: found automatically)")
    parser.add_argument("--phone-column", metavar="NAME")
    parser.add_argument("--stratum-column", metavar="NAME")


def _sheet(text: str) -> str | int:
    return int(text) if text.isdigit() else text


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2026-12-31") from None


class _ProgressBar:
    def __init__(self) -> None:
        self.visible = sys.stderr.isatty()

    def __call__(self, progress) -> None:  # an ImportProgress
        if not self.visible:
            return
        end = "\n" if progress.phase == "done" else ""
        sys.stderr.write(f"\r{progress.phase:<8} {progress.rows:>10,} rows  "
                         f"{progress.rows_per_s:>9,.0f} rows/s  {progress.seconds:6.1f} s{end}")
        sys.stderr.flush()


def _sample_import(args: argparse.Namespace, database) -> int:
    from cati.services.sample_import import ImportOptions, import_sample
    from cati.services.users import acting_user_id

    imported_by = acting_user_id(database, args.user)
    options = ImportOptions(imported_by=imported_by, sheet=args.sheet, header_row=args.header_row,
                            phone_column=args.phone_column, stratum_column=args.stratum_column,
                            default_area_code=args.default_area_code, dry_run=args.dry_run,
                            rejects_path=args.rejects)
    result = import_sample(database, args.project, args.file, options, progress=_ProgressBar())
    for finished in result.finished:
        print(finished.describe())
    layout = result.layout
    where = f"sheet '{layout.sheet}', " if layout.sheet else ""
    print(f"{layout.file_name}: {where}header on row {layout.header_row}, phone column "
          f"'{layout.phone_column}', stratum column '{layout.stratum_column or '-'}'")
    verb = "would import" if result.dry_run else "imported"
    print(f"{result.rows} rows: {verb} {result.imported}, invalid {result.invalid}, duplicate in "
          f"file {result.duplicate_in_file}, already in the project {result.duplicate_existing}, "
          f"do-not-call {result.dnc} ({result.seconds:.1f} s)")
    if result.rejects_file:
        print(f"rejects: {result.rejects_file}")
    warning = result.unknown_strata_warning()
    if warning:
        print(warning, file=sys.stderr)
    if args.json:
        print(json.dumps(result.counts(), ensure_ascii=False))
    return 0


def _sample_cleanup(database) -> int:
    from cati.services.sample_import import finish_unfinished

    finished = finish_unfinished(database)
    for batch in finished:
        print(batch.describe())
    if not finished:
        print("no unfinished import")
    return 0


def _rule(args: argparse.Namespace) -> PhoneRule:
    return PhoneRule(default_area_code=args.default_area_code)


def _dnc_add(args: argparse.Namespace, database) -> int:
    from cati.services.dnc import add_numbers

    expires = None
    if args.expires:
        expires = dt.datetime.combine(args.expires, dt.time(23, 59, 59), dt.UTC)
    with database.unit() as session:
        result = add_numbers(session, args.phones, reason=args.reason, expires_at=expires,
                             rule=_rule(args))
        if result.invalid:
            phone, why = result.invalid[0]
            raise CatiError(f"'{phone}': {why}; nothing was added")
    print(f"added {result.added}, already listed {result.already}")
    return 0


def _dnc_import(args: argparse.Namespace, database) -> int:
    from cati.services.dnc import import_file

    result = import_file(database, args.file, reason=args.reason, rule=_rule(args),
                         sheet=args.sheet, header_row=args.header_row,
                         phone_column=args.phone_column, stratum_column=args.stratum_column)
    print(f"added {result.added}, already listed {result.already}, invalid {len(result.invalid)}")
    return 0


def _dnc_list(database) -> int:
    from cati.services.dnc import list_entries

    with database.unit() as session:
        for entry in list_entries(session):
            expires = entry.expires_at.date().isoformat() if entry.expires_at else "-"
            print(f"{entry.phone_e164:<16} {entry.added_at:%Y-%m-%d} expires {expires:<10} "
                  f"{entry.reason}")
    return 0
