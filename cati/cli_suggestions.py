"""``cati suggestions collect | list | set | export | follow-up | settings``.

    cati suggestions collect   --project CODE [--user NAME]
    cati suggestions list      --project CODE [--status S] [--category C] [--json]
    cati suggestions set ID    [--valid yes|no|unreviewed] [--category C] [--unit U]
                               [--status S] [--notes TEXT] [--reply TEXT] [--user NAME]
                               (also spelled ``update``)
    cati suggestions export    --project CODE --out FILE.xlsx|FILE.csv [--status S]
                               [--category C] [--user NAME]
    cati suggestions follow-up --project CODE [--user NAME]
    cati suggestions settings  --project CODE [--set FILE.json] [--user NAME]
    cati suggestions intake    --project CODE FILE.csv|FILE.xlsx [--user NAME]
    cati suggestions overdue   --project CODE [--json]
    cati suggestions subcategory ID SUBCATEGORY [--user NAME]   ('' clears it)

``--user`` names the account the audit log records (it must be a supervisor or an admin);
without it the entry has no user. The rules are in cati/services/suggestions.py.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from cati.errors import CatiError

VALID_WORDS = {"yes": True, "no": False, "unreviewed": None}
# cati.services.suggestions.STATUSES (the service is imported only when a command runs).
STATUSES = ("new", "assigned", "resolved", "reopened", "checked", "unreachable", "refused")


def add_commands(commands: argparse._SubParsersAction, report: argparse._SubParsersAction,
                 open_database) -> None:
    """Add this module's commands (top-level ones to ``commands``, report ones to ``report``)."""
    group = commands.add_parser("suggestions",
                                help="residents' suggestions: review, route, follow-up calls")
    actions = group.add_subparsers(dest="action", required=True)

    collect = actions.add_parser("collect", help="turn new open answers into suggestions")
    _project_option(collect)
    _user_option(collect)
    collect.set_defaults(handler=lambda args: _collect(args, open_database(args)))

    listing = actions.add_parser("list", help="list the suggestions of a project")
    _project_option(listing)
    _filters(listing)
    listing.add_argument("--json", action="store_true", help="one JSON array")
    listing.set_defaults(handler=lambda args: _list(args, open_database(args)))

    change = actions.add_parser("set", aliases=["update"], help="review one suggestion")
    change.add_argument("suggestion_id", type=int, metavar="ID")
    change.add_argument("--valid", choices=tuple(VALID_WORDS))
    change.add_argument("--category", help="one of the project's categories ('' clears it)")
    change.add_argument("--unit", help="the responsible unit ('' clears it)")
    change.add_argument("--status", choices=STATUSES)
    change.add_argument("--notes")
    change.add_argument("--reply", help="what the responsible unit did (read to the resident "
                                        "on the call-back; '' clears it)")
    _user_option(change)
    change.set_defaults(handler=lambda args: _set(args, open_database(args)))

    export = actions.add_parser("export", help="write the suggestions to .xlsx or .csv")
    _project_option(export)
    export.add_argument("--out", required=True, metavar="FILE")
    _filters(export)
    _user_option(export)
    export.set_defaults(handler=lambda args: _export(args, open_database(args)))

    follow = actions.add_parser("follow-up", help="create the follow-up call project for the "
                                                  "resolved suggestions")
    _project_option(follow)
    _user_option(follow)
    follow.set_defaults(handler=lambda args: _follow_up(args, open_database(args)))

    settings = actions.add_parser("settings", help="show (or change) the suggestion settings")
    _project_option(settings)
    settings.add_argument("--set", metavar="FILE.json", dest="set_file",
                          help="a JSON object of settings to change (null: back to default)")
    _user_option(settings)
    settings.set_defaults(handler=lambda args: _settings(args, open_database(args)))

    intake = actions.add_parser("intake", help="take in opinions from the hotline, letters, "
                                               "boxes and 110 records (.csv or .xlsx)")
    _project_option(intake)
    intake.add_argument("file", metavar="FILE")
    _user_option(intake)
    intake.set_defaults(handler=lambda args: _intake(args, open_database(args)))

    late = actions.add_parser("overdue", help="suggestions still with their unit after the "
                                              "deadline")
    _project_option(late)
    late.add_argument("--json", action="store_true", help="one JSON array")
    late.set_defaults(handler=lambda args: _overdue(args, open_database(args)))

    sub = actions.add_parser("subcategory", help="set a suggestion's subcategory (and route "
                                                 "it again while it is new)")
    sub.add_argument("suggestion_id", type=int, metavar="ID")
    sub.add_argument("subcategory")
    _user_option(sub)
    sub.set_defaults(handler=lambda args: _subcategory(args, open_database(args)))


def _project_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", required=True, metavar="CODE")


def _user_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--user", metavar="NAME", help="the account recorded in the audit log")


def _filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--status", choices=STATUSES)
    parser.add_argument("--category", help="only this category ('' for none)")


def _user(args: argparse.Namespace, database) -> int | None:
    from cati.services.users import acting_user_id

    return acting_user_id(database, args.user)


def _collect(args: argparse.Namespace, database) -> int:
    from cati.services import suggestions as service

    project_id = service.project_id_of(database, args.project)
    result = service.collect_suggestions(database, project_id, user_id=_user(args, database))
    print(f"collected {result.added} new suggestions ({result.proposed} with a proposed "
          f"category), {result.skipped} empty or 'no suggestion' answers skipped; "
          f"{result.checked} checked by follow-up calls, {result.reopened} reopened (not solved "
          f"or dissatisfied), {result.unreachable} unreachable, {result.refused} refused")
    return 0


def _list(args: argparse.Namespace, database) -> int:
    from cati.services import suggestions as service

    project_id = service.project_id_of(database, args.project)
    rows = service.list_suggestions(database, project_id, status=args.status,
                                    category=args.category)
    if args.json:
        print(json.dumps([row.as_json() for row in rows], ensure_ascii=False))
        return 0
    for row in rows:
        valid = {None: "?", True: "yes", False: "no"}[row.valid]
        category = (row.category or "-") + (" (proposed)" if row.proposed else "")
        text = " ".join(row.text.split())
        print(f"{row.id:>6} {row.status:<9} valid:{valid:<4} {category:<20} "
              f"{row.responsible_unit or '-':<12} {row.stratum or '-':<10} {text[:60]}")
    return 0


def _set(args: argparse.Namespace, database) -> int:
    from cati.services import suggestions as service

    changes: dict[str, object] = {}
    if args.valid is not None:
        changes["valid"] = VALID_WORDS[args.valid]
    if args.category is not None:
        changes["category"] = args.category
    if args.unit is not None:
        changes["responsible_unit"] = args.unit
    if args.status is not None:
        changes["status"] = args.status
    if args.notes is not None:
        changes["notes"] = args.notes
    if args.reply is not None:
        changes["reply"] = args.reply
    if not changes:
        raise CatiError("nothing to change: give --valid, --category, --unit, --status, "
                        "--notes or --reply")
    row = service.update_suggestion(database, args.suggestion_id, user_id=_user(args, database),
                                    **changes)
    print(json.dumps(row.as_json(), ensure_ascii=False))
    return 0


def _export(args: argparse.Namespace, database) -> int:
    from cati.services import suggestions as service

    project_id = service.project_id_of(database, args.project)
    count = service.export_suggestions(database, project_id, args.out, status=args.status,
                                       category=args.category, user_id=_user(args, database))
    print(f"wrote {count} suggestions to {args.out}")
    return 0


def _follow_up(args: argparse.Namespace, database) -> int:
    from cati.services import suggestions as service

    project_id = service.project_id_of(database, args.project)
    result = service.create_follow_up(database, project_id, user_id=_user(args, database))
    skipped = ""
    if result.skipped_no_phone or result.skipped_dnc:
        skipped = (f" (left out: {result.skipped_no_phone} without a phone number, "
                   f"{result.skipped_dnc} on the do-not-call list)")
    print(f"created follow-up project {result.code}: {result.cases} cases for "
          f"{result.suggestions} suggestions{skipped}")
    return 0


def _settings(args: argparse.Namespace, database) -> int:
    from cati.services import suggestions as service

    project_id = service.project_id_of(database, args.project)
    if args.set_file is None:
        config = service.project_suggestion_settings(database, project_id)
    else:
        path = Path(args.set_file)
        try:
            changes = json.loads(path.read_text(encoding="utf-8-sig"))
        except OSError as exc:
            raise CatiError(f"{path.name}: cannot read the file ({exc.strerror or exc})") \
                from None
        except ValueError as exc:
            raise CatiError(f"{path.name}: not JSON ({exc})") from None
        if not isinstance(changes, dict):
            raise CatiError(f"{path.name}: give a JSON object of settings")
        config = service.update_suggestion_settings(database, project_id, changes,
                                                    user_id=_user(args, database))
    print(json.dumps(config.as_json(), ensure_ascii=False, indent=2))
    return 0


def _intake(args: argparse.Namespace, database) -> int:
    from cati.services import suggestions as service
    from cati.services import units

    project_id = service.project_id_of(database, args.project)
    result = units.intake_file(database, project_id, args.file, user_id=_user(args, database))
    print(f"took in {result.added} opinions ({result.routed} routed to a unit)")
    return 0


def _overdue(args: argparse.Namespace, database) -> int:
    from cati.services import suggestions as service
    from cati.services import units

    project_id = service.project_id_of(database, args.project)
    rows = units.overdue(database, project_id)
    if args.json:
        print(json.dumps([row.as_json() for row in rows], ensure_ascii=False))
        return 0
    for row in rows:
        text = " ".join(row.text.split())
        print(f"{row.id:>6} {row.days_overdue:>3} days  {row.responsible_unit or '-':<14} "
              f"{row.category or '-':<8} {text[:50]}")
    return 0


def _subcategory(args: argparse.Namespace, database) -> int:
    from cati.services import units

    unit = units.set_subcategory(database, args.suggestion_id, args.subcategory,
                                 user_id=_user(args, database))
    print(f"suggestion {args.suggestion_id}: subcategory set; unit {unit or '-'}")
    return 0
