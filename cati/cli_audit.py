"""Commands: ``cati audit list`` and ``cati audit export`` (supervisors and admins).

    cati audit list   --user NAME [--action A] [--who NAME] [--since T] [--until T]
                      [--offset N] [--limit N] [--json]
    cati audit export --user NAME --out FILE.csv|FILE.xlsx [--action A] [--who NAME]
                      [--since T] [--until T]

``--user`` (also spelled ``--as``) names the account reading the log: it must be an active
supervisor or admin, as in the console (the log names colleagues and cases). On PostgreSQL a
cati login reads as itself (no ``--user`` needed, another name refused).

    cati audit verify [--json]   walks the hash chain (cati.storage.audit_chain); exit 1 names
                                 the first entry changed, removed or inserted ``--who`` filters
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
    verify = audit.add_parser("verify", help="check the log's hash chain: exit 1 naming the "
                                             "first entry changed, removed or inserted")
    verify.add_argument("--json", action="store_true")
    verify.set_defaults(handler=lambda args: _verify(args, open_database))


def _verify(args: argparse.Namespace, open_database) -> int:
    """Reads every entry: on PostgreSQL a supervisor's or admin's login, or the owner."""
    import sys

    from cati.services.users import SUPERVISOR_ROLES, acting_user_id, require_role
    from cati.storage.audit_chain import verify

    database = open_database(args)
    user_id = acting_user_id(database, None)
    with database.unit(immediate=False) as session:
        if user_id is not None:
            require_role(session, user_id, SUPERVISOR_ROLES,
                         "only a supervisor or an admin can verify the whole audit log "
                         "(仅督导或管理员可以校验审计日志)")
        report = verify(session)
    if args.json:
        print(json.dumps({"entries": report.entries, "ok": report.ok, "head": report.head,
                          "broken_id": report.broken_id, "reason": report.reason}))
    if not report.ok:
        print(f"cati: audit entry {report.broken_id} breaks the chain: {report.reason} "
              f"(审计日志第 {report.broken_id} 条被改动)", file=sys.stderr)
        return 1
    if not args.json:
        print(f"audit log intact: {report.entries} entries, head {report.head or '-'}")
    return 0


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--user", "--as", dest="user", metavar="NAME",
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
    from cati.services.users import acting_user_id

    database = open_database(args)
    user_id = acting_user_id(database, args.user)
    if user_id is None:
        raise CatiError("name the supervisor or admin reading the log with --user")
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
