"""``cati assign``: named interviewers on a project or on a stratum (cati.services.assignments).

``add PROJECT --user NAME [--stratum S] [--only]``, ``remove PROJECT --user NAME [--stratum S]``,
``list PROJECT [--json]`` (JSON: ``[{"user": ..., "stratum": null | "...", "only": bool}]``).
``--as NAME`` names the supervisor recorded in the audit log (SQLite; on PostgreSQL a login acts
as itself, cati.services.users.acting_user_id). Refusals are one line and store nothing.
"""

from __future__ import annotations

import argparse
import json

from cati.services.projects import get_project


def add_commands(commands: argparse._SubParsersAction, open_database) -> None:
    assign = commands.add_parser("assign", help="named interviewers on a project or a stratum"
                                 ).add_subparsers(dest="action", required=True)
    add = assign.add_parser("add", help="put an interviewer on the project or one stratum")
    add.add_argument("project", metavar="PROJECT")
    add.add_argument("--user", required=True, metavar="NAME", help="the interviewer")
    add.add_argument("--stratum", metavar="S", help="one stratum of the sample (default: the "
                     "whole project)")
    add.add_argument("--only", action="store_true",
                     help="the interviewer takes their assigned strata alone")
    add.add_argument("--as", dest="acting", metavar="NAME",
                     help="the supervisor recorded in the audit log")
    add.set_defaults(handler=lambda args: _add(args, open_database(args)))
    remove = assign.add_parser("remove", help="take an interviewer off the project or a stratum")
    remove.add_argument("project", metavar="PROJECT")
    remove.add_argument("--user", required=True, metavar="NAME")
    remove.add_argument("--stratum", metavar="S")
    remove.add_argument("--as", dest="acting", metavar="NAME")
    remove.set_defaults(handler=lambda args: _remove(args, open_database(args)))
    show = assign.add_parser("list", help="the project's assignments")
    show.add_argument("project", metavar="PROJECT")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=lambda args: _list(args, open_database(args)))


def _project_id(database, code: str) -> int:
    with database.unit(immediate=False) as session:
        return get_project(session, code).id


def _actor(database, args) -> int | None:
    from cati.services.users import acting_user_id

    return acting_user_id(database, args.acting)


def _where(stratum: str | None) -> str:
    return f"stratum {stratum}" if stratum else "the whole project"


def _add(args, database) -> int:
    from cati.services.assignments import add_assignment

    project_id = _project_id(database, args.project)
    made = add_assignment(database, project_id, args.user, stratum=args.stratum,
                          only=args.only, actor_id=_actor(database, args))
    print(f"{made.user} assigned to {_where(made.stratum)} of {args.project}"
          + (" (only)" if made.only else ""))
    return 0


def _remove(args, database) -> int:
    from cati.services.assignments import remove_assignment

    project_id = _project_id(database, args.project)
    remove_assignment(database, project_id, args.user, stratum=args.stratum,
                      actor_id=_actor(database, args))
    print(f"{args.user.strip()} no longer assigned to {_where(args.stratum)} of {args.project}")
    return 0


def _list(args, database) -> int:
    from cati.services.assignments import list_assignments

    rows = list_assignments(database, _project_id(database, args.project))
    if args.json:
        print(json.dumps([row.as_json() for row in rows], ensure_ascii=False))
        return 0
    for row in rows:
        print(f"{row.user}\t{row.stratum or '*'}\t{'only' if row.only else ''}".rstrip())
    return 0
