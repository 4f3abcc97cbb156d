"""``cati units list | add | update | remove | seed | figures | route list|set|remove``.

    cati units list    --project CODE [--json]
    cati units add     --project CODE NAME --kind KIND [--township T] [--user NAME]
    cati units update  --project CODE UNIT [--name N] [--kind K] [--township T]
                       [--active yes|no] [--user NAME]
    cati units remove  --project CODE UNIT [--user NAME]     (deactivates a unit in use)
    cati units seed    --project CODE [--user NAME]          (the defaults that are missing)
    cati units figures --project CODE [--since DATE] [--until DATE] [--json]
    cati units route list   --project CODE [--json]
    cati units route set    --project CODE CATEGORY TOWNSHIP|'*' UNIT [--subcategory S]
    cati units route remove --project CODE RULE_ID

UNIT is a unit's id or name. The rules are in cati/services/units.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json

from cati.errors import CatiError

# cati.services.units.KINDS (the service is imported only when a command runs).
KINDS = ("派出所", "交警", "综治中心", "治安", "刑侦", "反诈", "住建", "城管", "教育", "卫健",
         "人社", "民政", "其他")


def add_commands(commands: argparse._SubParsersAction, report: argparse._SubParsersAction,
                 open_database) -> None:
    group = commands.add_parser("units", help="responsible units, routing rules, figures")
    actions = group.add_subparsers(dest="action", required=True)

    def command(name: str, help_text: str, handler, *, user: bool = True,
                json_option: bool = False, parent=actions) -> argparse.ArgumentParser:
        parser = parent.add_parser(name, help=help_text)
        parser.add_argument("--project", required=True, metavar="CODE")
        if user:
            parser.add_argument("--user", metavar="NAME",
                                help="the account recorded in the audit log")
        if json_option:
            parser.add_argument("--json", action="store_true", help="JSON output")
        parser.set_defaults(handler=lambda args: handler(args, open_database(args)))
        return parser

    command("list", "list the project's units", _list, user=False, json_option=True)
    add = command("add", "add a unit", _add)
    add.add_argument("name", metavar="NAME")
    add.add_argument("--kind", required=True, choices=KINDS)
    add.add_argument("--township", default="", help="the township it serves ('' : the county)")
    update = command("update", "change a unit", _update)
    update.add_argument("unit", metavar="UNIT", help="id or name")
    update.add_argument("--name")
    update.add_argument("--kind", choices=KINDS)
    update.add_argument("--township")
    update.add_argument("--active", choices=("yes", "no"))
    remove = command("remove", "remove a unit (deactivated if in use)", _remove)
    remove.add_argument("unit", metavar="UNIT", help="id or name")
    command("seed", "add the default units and routing rules that are missing", _seed)
    figures = command("figures", "per-unit figures: received, in time, solved, satisfied",
                      _figures, user=False, json_option=True)
    figures.add_argument("--since", metavar="YYYY-MM-DD", help="assigned on or after")
    figures.add_argument("--until", metavar="YYYY-MM-DD", help="assigned before")

    route = actions.add_parser("route", help="routing rules: category × township → unit")
    routes = route.add_subparsers(dest="route_action", required=True)
    command("list", "list the routing rules", _route_list, user=False, json_option=True,
            parent=routes)
    route_set = command("set", "route a category (× subcategory) × township to a unit",
                        _route_set, parent=routes)
    route_set.add_argument("category")
    route_set.add_argument("township", help="a township of the project, or * for any")
    route_set.add_argument("unit", metavar="UNIT", help="id or name")
    route_set.add_argument("--subcategory", default="")
    route_remove = command("remove", "remove a routing rule", _route_remove, parent=routes)
    route_remove.add_argument("rule_id", type=int, metavar="RULE_ID")


def _ids(args: argparse.Namespace, database) -> tuple[int, int | None]:
    from cati.services.suggestions import project_id_of
    from cati.services.users import acting_user_id

    project_id = project_id_of(database, args.project)
    return project_id, acting_user_id(database, getattr(args, "user", None))


def _list(args: argparse.Namespace, database) -> int:
    from cati.services import units

    project_id, _user = _ids(args, database)
    rows = units.list_units(database, project_id)
    if args.json:
        print(json.dumps([row.as_json() for row in rows], ensure_ascii=False))
        return 0
    for row in rows:
        state = "" if row.active else " (inactive 已停用)"
        print(f"{row.id:>5} {row.kind:<6} {row.township or '-':<10} {row.name}{state}"
              f"  [{row.suggestions} suggestions]")
    return 0


def _add(args: argparse.Namespace, database) -> int:
    from cati.services import units

    project_id, user = _ids(args, database)
    row = units.add_unit(database, project_id, args.name, args.kind, township=args.township,
                         user_id=user)
    print(json.dumps(row.as_json(), ensure_ascii=False))
    return 0


def _update(args: argparse.Namespace, database) -> int:
    from cati.services import units

    project_id, user = _ids(args, database)
    unit_id = units.find_unit(database, project_id, args.unit)
    if all(value is None for value in (args.name, args.kind, args.township, args.active)):
        raise CatiError("nothing to change: give --name, --kind, --township or --active")
    row = units.update_unit(database, project_id, unit_id, name=args.name, kind=args.kind,
                            township=args.township,
                            active=None if args.active is None else args.active == "yes",
                            user_id=user)
    print(json.dumps(row.as_json(), ensure_ascii=False))
    return 0


def _remove(args: argparse.Namespace, database) -> int:
    from cati.services import units

    project_id, user = _ids(args, database)
    unit_id = units.find_unit(database, project_id, args.unit)
    deleted = units.remove_unit(database, project_id, unit_id, user_id=user)
    print(f"unit {unit_id} " + ("removed" if deleted else
                                "deactivated: suggestions or routing rules name it"))
    return 0


def _seed(args: argparse.Namespace, database) -> int:
    from cati.services import units

    project_id, user = _ids(args, database)
    result = units.seed_units(database, project_id, user_id=user)
    print(f"added {result.units_added} units and {result.rules_added} routing rules "
          f"({len(result.townships)} townships)")
    return 0


def _day(value: str | None, what: str) -> dt.datetime | None:
    if value is None:
        return None
    from cati.services.units import TIME_ZONE

    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise CatiError(f"{what} '{value}' is not a date YYYY-MM-DD") from None
    return dt.datetime.combine(day, dt.time(), TIME_ZONE).astimezone(dt.UTC)


def _figures(args: argparse.Namespace, database) -> int:
    from cati.services import units

    project_id, _user = _ids(args, database)
    rows = units.project_unit_figures(database, project_id,
                                      since=_day(args.since, "--since"),
                                      until=_day(args.until, "--until"))
    if args.json:
        print(json.dumps([row.as_json() for row in rows], ensure_ascii=False))
        return 0

    def rate(value: float | None) -> str:
        return "-" if value is None else f"{value:.0%}"

    print(f"{'unit 单位':<16} {'received':>8} {'in time':>8} {'overdue':>8} {'solved':>7} "
          f"{'satisfied':>9}")
    for row in rows:
        print(f"{row.unit:<16} {row.received:>8} {rate(row.in_time_rate):>8} {row.overdue:>8} "
              f"{rate(row.solved_rate):>7} {rate(row.satisfaction_rate):>9}")
    return 0


def _route_list(args: argparse.Namespace, database) -> int:
    from cati.services import units

    project_id, _user = _ids(args, database)
    rows = units.list_rules(database, project_id)
    if args.json:
        print(json.dumps([row.as_json() for row in rows], ensure_ascii=False))
        return 0
    for row in rows:
        state = "" if row.unit_active else " (inactive 已停用)"
        print(f"{row.id:>5} {row.category:<8} {row.subcategory or '*':<10} {row.township:<10} "
              f"→ {row.unit}{state}")
    return 0


def _route_set(args: argparse.Namespace, database) -> int:
    from cati.services import units

    project_id, user = _ids(args, database)
    row = units.set_rule(database, project_id, args.category, args.township, args.unit,
                         subcategory=args.subcategory, user_id=user)
    print(json.dumps(row.as_json(), ensure_ascii=False))
    return 0


def _route_remove(args: argparse.Namespace, database) -> int:
    from cati.services import units

    project_id, user = _ids(args, database)
    units.remove_rule(database, project_id, args.rule_id, user_id=user)
    print(f"routing rule {args.rule_id} removed")
    return 0
