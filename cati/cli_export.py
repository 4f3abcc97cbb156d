"""Commands: ``cati export`` (the data, one row per interview) and ``cati export paradata``.

    cati export --project CODE --format csv|xlsx|sav --out FILE [--labels codes|text]
                [--include partial|void] [--with-phone] [--user NAME]
    cati export paradata --project CODE --out FILE.csv [--user NAME]

``cati export data …`` is the same as ``cati export …``. What the files hold is documented in
cati/reporting/export.py, export_columns.py and export_paradata.py.
"""

from __future__ import annotations

import argparse

from cati.errors import CatiError

DESCRIPTION = """\
Export a project's interviews: one row per completed interview (partials too with
--include partial) as CSV (UTF-8 with BOM), .xlsx or SPSS .sav with variable and value labels.
A repeat (a household roster) gets a long table, one row per instance keyed by interview_id and
instance: a sheet of the .xlsx, or a file FILE-REPEAT.csv / .sav beside FILE.
`cati export paradata` writes the call attempts and answer events (long format, CSV).
Phone numbers are left out unless --with-phone is given with --user naming a supervisor or
an admin. Every export is recorded in the audit log."""


def add_commands(commands: argparse._SubParsersAction, report: argparse._SubParsersAction,
                 open_database) -> None:
    """Add this module's commands (top-level ones to ``commands``, report ones to ``report``)."""
    export = commands.add_parser("export", help="export interview data or paradata",
                                 description=DESCRIPTION)
    export.add_argument("what", nargs="?", choices=("data", "paradata"), default="data",
                        help="data (default): one row per interview; paradata: call attempts "
                             "and answer events")
    export.add_argument("--project", required=True, metavar="CODE")
    export.add_argument("--out", required=True, metavar="FILE")
    export.add_argument("--format", choices=("csv", "xlsx", "sav"),
                        help="file format (default: from the file's extension)")
    export.add_argument("--labels", choices=("codes", "text"),
                        help="select answers as choice codes (default) or as label text")
    export.add_argument("--include", choices=("partial", "void"), action="append",
                        help="also export partial interviews, or the completes voided when "
                             "their case was reopened (may be given twice)")
    export.add_argument("--with-phone", action="store_true",
                        help="add the phone number column (supervisor or admin, see --user)")
    export.add_argument("--user", metavar="NAME",
                        help="the account doing the export (recorded in the audit log)")
    export.set_defaults(handler=lambda args: _export(args, open_database))


def _export(args: argparse.Namespace, open_database) -> int:
    if args.what == "paradata":
        return _paradata(args, open_database)
    from cati.reporting.export import export_data

    database = open_database(args)
    result = export_data(database, args.project, args.out, fmt=args.format,
                         labels=args.labels or "codes",
                         include_partial="partial" in (args.include or ()),
                         include_void="void" in (args.include or ()),
                         with_phone=args.with_phone, **_acting(database, args))
    phone = ", with phone numbers" if result.with_phone else ""
    print(f"exported {result.rows} interviews to {result.path} "
          f"({result.format}, {len(result.columns)} columns{phone})")
    for column in result.columns:
        if column.renamed:
            print(f"  column {column.name} is {column.wanted_name} (renamed for SPSS)")
    for name, where, rows in result.repeats:
        print(f"  repeat {name}: {rows} rows in {where}")
    return 0


def _paradata(args: argparse.Namespace, open_database) -> int:
    from cati.reporting.export_paradata import export_paradata

    extra = [flag for flag, given in (("--labels", args.labels), ("--include", args.include),
                                      ("--with-phone", args.with_phone)) if given]
    if extra:
        raise CatiError(f"paradata takes no {', '.join(extra)}")
    if args.format not in (None, "csv"):
        raise CatiError("paradata is written as CSV only")
    database = open_database(args)
    result = export_paradata(database, args.project, args.out, **_acting(database, args))
    print(f"exported {result.rows} paradata rows ({result.attempts} call attempts, "
          f"{result.answers} answer events) to {result.path}")
    return 0


def _acting(database, args: argparse.Namespace) -> dict:
    """On PostgreSQL a cati login exports as itself (cati.services.users.acting_user_id)."""
    from cati.services.users import acting_user_id

    if database.is_sqlite:
        return {"username": args.user}
    return {"user_id": acting_user_id(database, args.user)}
