"""Commands: ``cati audit list`` and ``cati audit export`` (supervisors and admins).

    cati audit list   --user NAME [--action A] [--who NAME] [--since T] [--until T]
                      [--offset N] [--limit N] [--json]
    cati audit export --user NAME --out FILE.csv|FILE.xlsx [--action A] [--who NAME]
                      [--since T] [--until T]

``--user`` (also spelled ``--as``) names the account reading the log: it must be an active
supervisor or admin, as in the console (the log names colleagues and cases). ``--who`` filters
by the acting account (and failed logins tried with that username). Times are ISO 8601; one
without a zone is Beijing time (UTC+8). The export is itself recorded in the log.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json

from cati.errors import CatiError

BEIJING = dt.timezone(dt.timedelta(hours=8))


def add_commands(commands: argparse._SubParsersAction, open_database) -> None:
    audit = commands.add_parser("audit", help="read and export the audit log").add_subparsers(
        dest="action", required=True)
    listing = audit.add_parser("list", help="the newest entries first")
    _common(listing)
    listing.add_argument("--offset", type=int, default=0, metavar="N")
    listing.add_argument("--limit", type=int, default=50, metavar="N")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=lambda args: _list(args, open_database))
    export = audit.add_parser("export", help="write the entries to .csv or .xlsx")
    _common(export)
    export.add_argument("--out", required=True, metavar="FILE")
    export.set_defaults(handler=lambda args: _export(args, open_database))


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--user", "--as", dest="user", required=True, metavar="NAME",
                        help="the supervisor or admin reading the log")
    parser.add_argument("--action", help="only this action (e.g. login_failed, export)")
    parser.add_argument("--who", metavar="NAME", help="only what this account did")
    parser.add_argument("--since", type=_instant, metavar="TIME", help="from (inclusive)")
    parser.add_argument("--until", type=_instant, metavar="TIME", help="to (exclusive)")


def _instant(text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not an ISO 8601 time such as "
                                         "2026-11-23T09:00") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=BEIJING)


def _reader(args: argparse.Namespace, open_database):
    from cati.services.audit import AuditFilters
    from cati.services.users import user_id_of

    database = open_database(args)
    user_id = user_id_of(database, args.user)
    filters = AuditFilters(action=args.action, username=args.who, since=args.since,
                           until=args.until)
    return database, user_id, filters


def _list(args: argparse.Namespace, open_database) -> int:
    from cati.reporting.export_columns import iso_utc
    from cati.services.audit import list_entries

    if args.limit < 1:
        raise CatiError(f"--limit must be 1 or more, not {args.limit}")
    database, user_id, filters = _reader(args, open_database)
    page = list_entries(database, user_id, filters, offset=args.offset,
                        limit=min(args.limit, 1_000))
    if args.json:
        print(json.dumps({"total": page.total, "offset": page.offset, "entries": [
            {"id": row.id, "at": iso_utc(row.at), "user": row.username or None,
             "action": row.action, "details": json.loads(row.details)} for row in page.rows]},
            ensure_ascii=False, indent=2))
        return 0
    for row in page.rows:
        print(f"{iso_utc(row.at)}  {row.username or '-':<14} {row.action:<22} {row.details}")
    shown = f"{page.offset + 1}–{page.offset + len(page.rows)}" if page.rows else "none"
    print(f"({shown} of {page.total} entries)")
    return 0


def _export(args: argparse.Namespace, open_database) -> int:
    from cati.services.audit import export_entries

    database, user_id, filters = _reader(args, open_database)
    count = export_entries(database, user_id, args.out, filters)
    print(f"exported {count} audit entries to {args.out}")
    return 0
