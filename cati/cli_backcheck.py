"""``cati backcheck draw | list | figures``: back-check calls (复核).

    cati backcheck draw PROJECT --rate 5% [--min-per-interviewer 1] [--seed N] [--user NAME]
                        [--json]
    cati backcheck list PROJECT [--user NAME] [--json]
    cati backcheck figures PROJECT [--user NAME] [--json]

``draw`` prints, with ``--json``, {"project": CODE-FH, "drawn": N, "per_interviewer":
{username: n}}. ``list`` and ``figures`` first write the results of the back-check calls that
have one (cati/services/backcheck.py has the rules). ``--user`` names the account the audit log
records (a supervisor or an admin).
"""

from __future__ import annotations

import argparse
import json


def add_commands(commands: argparse._SubParsersAction, report: argparse._SubParsersAction,
                 open_database) -> None:
    group = commands.add_parser("backcheck", help="back-check calls (复核): draw completed "
                                                  "interviews, list results, figures")
    actions = group.add_subparsers(dest="action", required=True)

    draw = actions.add_parser("draw", help="draw a random share of every interviewer's "
                                           "completed interviews for back-check calls")
    draw.add_argument("project", metavar="PROJECT")
    draw.add_argument("--rate", required=True, help="the share to check, e.g. 5%% or 0.05")
    draw.add_argument("--min-per-interviewer", type=_count, default=1, metavar="N",
                      help="at least this many per interviewer (default 1)")
    draw.add_argument("--seed", type=int, help="the random draw's seed (repeatable draws)")
    _common(draw)
    draw.set_defaults(handler=lambda args: _draw(args, open_database(args)))

    listing = actions.add_parser("list", help="one row per drawn interview with its result")
    listing.add_argument("project", metavar="PROJECT")
    _common(listing)
    listing.set_defaults(handler=lambda args: _list(args, open_database(args)))

    figures = actions.add_parser("figures", help="per interviewer: completes, drawn, checked, "
                                                 "confirmed, not confirmed, rate")
    figures.add_argument("project", metavar="PROJECT")
    _common(figures)
    figures.set_defaults(handler=lambda args: _figures(args, open_database(args)))


def _count(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a whole number") from None
    if number < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return number


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--user", metavar="NAME", help="the account recorded in the audit log")
    parser.add_argument("--json", action="store_true", help="JSON on stdout")


def _user(args: argparse.Namespace, database) -> int | None:
    from cati.services.users import acting_user_id

    return acting_user_id(database, args.user)


def _draw(args: argparse.Namespace, database) -> int:
    from cati.services import backcheck as service

    rate = service.parse_rate(args.rate)  # before anything is read: a bad rate is one line
    project_id = service.project_id_of(database, args.project)
    result = service.draw_backchecks(database, project_id, rate=rate,
                                     min_per_interviewer=args.min_per_interviewer,
                                     seed=args.seed, user_id=_user(args, database))
    if args.json:
        print(json.dumps(result.as_json(), ensure_ascii=False))
        return 0
    made = " (created)" if result.created else ""
    print(f"drew {result.drawn} completed interviews into {result.project}{made}")
    for name, count in result.per_interviewer.items():
        print(f"  {name:<16} {count}")
    if result.skipped_dnc:
        print(f"left out: {result.skipped_dnc} on the do-not-call list")
    return 0


def _list(args: argparse.Namespace, database) -> int:
    from cati.services import backcheck as service

    project_id = service.project_id_of(database, args.project)
    rows = service.list_backchecks(database, project_id, user_id=_user(args, database))
    if args.json:
        print(json.dumps([row.as_json() for row in rows], ensure_ascii=False))
        return 0
    for row in rows:
        date = row.original_date.astimezone().strftime("%Y-%m-%d") if row.original_date else "-"
        result = row.result or "pending"
        void = " void" if row.void else ""
        print(f"{row.interview_id:>8} {row.interviewer:<16} {date} {result:<13}{void} "
              f"{'; '.join(row.discrepancies)}".rstrip())
    return 0


def _figures(args: argparse.Namespace, database) -> int:
    from cati.services import backcheck as service

    project_id = service.project_id_of(database, args.project)
    figures = service.backcheck_figures(database, project_id, user_id=_user(args, database))
    if args.json:
        print(json.dumps([f.as_json() for f in figures], ensure_ascii=False))
        return 0
    print(f"{'interviewer':<16} {'completes':>9} {'drawn':>6} {'checked':>7} "
          f"{'confirmed':>9} {'not conf.':>9} {'rate':>6}")
    for f in figures:
        rate = "-" if f.rate is None else f"{f.rate:.0%}"
        print(f"{f.interviewer:<16} {f.completes:>9} {f.drawn:>6} {f.checked:>7} "
              f"{f.confirmed:>9} {f.not_confirmed:>9} {rate:>6}")
    return 0

