"""Commands: ``cati series create|list``, ``cati wave open|close|list`` and
``cati report rule show|set``.

``series list --json`` prints a list of ``{"code", "name", "waves", "open_wave", "quotas",
"index_policy", "created_at"}``; ``wave list SERIES --json`` a list of ``{"project", "name",
"series", "period", "status", "opened_at", "closed_at", "completes"}`` oldest first;
``report rule show --json`` ``{"project" | "series", "source", "frozen_at", "index_policy",
"min_n"}``. ``report rule set`` takes a JSON file (an ``index_policy`` object) and/or options
that change one part of the rule in force; the result is checked against the questionnaire
before it is stored, and a mistake is one line with nothing stored.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from cati.errors import CatiError


def add_commands(commands: argparse._SubParsersAction, report: argparse._SubParsersAction,
                 open_database) -> None:
    series = commands.add_parser("series", help="survey series (测评系列): their waves share a "
                                                "rule and standing links").add_subparsers(
        dest="action", required=True)
    create = series.add_parser("create", help="create a series")
    create.add_argument("code")
    create.add_argument("--name", required=True)
    create.set_defaults(handler=lambda args: _series_create(args, open_database))
    listing = series.add_parser("list", help="list the series")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=lambda args: _series_list(args, open_database))

    wave = commands.add_parser("wave", help="the waves (periods) of a series").add_subparsers(
        dest="action", required=True)
    opening = wave.add_parser(
        "open", help="open the series' wave for a period: a new project (on --form, else the "
                     "previous wave's questionnaire) or an existing project")
    opening.add_argument("series", metavar="SERIES")
    opening.add_argument("--period", required=True, metavar="YYYY-MM")
    opening.add_argument("--project", required=True, metavar="CODE")
    opening.add_argument("--form", metavar="FILE.xlsx")
    opening.add_argument("--name")
    opening.set_defaults(handler=lambda args: _wave_open(args, open_database))
    closing = wave.add_parser("close", help="close (freeze) a wave: no answer of any mode is "
                                            "taken afterwards; its rule is kept with it")
    closing.add_argument("project", metavar="PROJECT")
    closing.add_argument("--json", action="store_true")
    closing.set_defaults(handler=lambda args: _wave_close(args, open_database))
    waves = wave.add_parser("list", help="the series' waves, oldest first")
    waves.add_argument("series", metavar="SERIES")
    waves.add_argument("--json", action="store_true")
    waves.set_defaults(handler=lambda args: _wave_list(args, open_database))

    rule = report.add_parser("rule", help="the index rule in force (正面回答、不了解、权重、最低样本量)"
                             ).add_subparsers(dest="rule_action", required=True)
    show = rule.add_parser("show", help="print the rule in force")
    _target(show)
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=lambda args: _rule_show(args, open_database))
    change = rule.add_parser("set", help="change the rule (checked against the questionnaire)")
    _target(change)
    change.add_argument("file", nargs="?", metavar="FILE.json",
                        help="a whole index_policy object (replaces the rule)")
    change.add_argument("--positive", action="append", default=[], metavar="INDEX=C1,C2",
                        help="an index's positive choices")
    change.add_argument("--dont-know", choices=("counts", "excluded"),
                        help="不了解 (and 说不清) answers count in the denominators, or are "
                             "left out of them")
    change.add_argument("--weights", action="append", default=[], metavar="INDEX=W1,W2,...",
                        help="a composite's weights, one per part")
    change.add_argument("--min-n", type=int, metavar="N",
                        help="strata with fewer interviews are shown but not ranked")
    change.add_argument("--include-partials", choices=("yes", "no"))
    change.add_argument("--json", action="store_true")
    change.set_defaults(handler=lambda args: _rule_set(args, open_database))


def _target(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--project", metavar="CODE")
    group.add_argument("--series", metavar="CODE")


def _user(database) -> int | None:
    from cati.services.users import acting_user_id

    return acting_user_id(database, None)


def _series_create(args: argparse.Namespace, open_database) -> int:
    from cati.services.series import create_series

    database = open_database(args)
    user = _user(database)
    with database.unit() as session:
        made = create_series(session, args.code, args.name, user_id=user)
    print(f"created series {made.code}: {made.name}")
    return 0


def _series_list(args: argparse.Namespace, open_database) -> int:
    from cati.services.series import list_series

    with open_database(args).unit(immediate=False) as session:
        found = list_series(session)
    if args.json:
        print(json.dumps([s.as_json() for s in found], ensure_ascii=False))
        return 0
    for s in found:
        print(f"{s.code:<16} {s.waves:>3} waves  open: {s.open_wave or '—':<16} {s.name}")
    return 0


def _wave_open(args: argparse.Namespace, open_database) -> int:
    from cati.services.series import start_wave

    database = open_database(args)
    user = _user(database)
    with database.unit() as session:
        wave = start_wave(session, args.series, args.period, args.project,
                          form_path=args.form, name=args.name, user_id=user)
    print(f"opened wave {wave.period} of {wave.series}: project {wave.code}")
    return 0


def _wave_close(args: argparse.Namespace, open_database) -> int:
    from cati.services.series import close_wave

    database = open_database(args)
    user = _user(database)
    with database.unit() as session:
        wave = close_wave(session, args.project, user_id=user)
    if args.json:
        print(json.dumps(wave.as_json(), ensure_ascii=False))
    else:
        print(f"closed {wave.code} ({wave.period or 'no series'}) at "
              f"{wave.closed_at.isoformat(timespec='seconds') if wave.closed_at else ''}: "
              f"{wave.completes} completes frozen with the rule in force")
    return 0


def _wave_list(args: argparse.Namespace, open_database) -> int:
    from cati.services.series import waves

    with open_database(args).unit(immediate=False) as session:
        found = waves(session, args.series)
    if args.json:
        print(json.dumps([w.as_json() for w in found], ensure_ascii=False))
        return 0
    for w in found:
        closed = w.closed_at.isoformat(timespec="minutes") if w.closed_at else ""
        print(f"{w.period or '':<8} {w.code:<16} {w.status:<7} {w.completes:>6} completes  "
              f"{closed}")
    return 0


# -- the rule ----------------------------------------------------------------------------------

def _rule_show(args: argparse.Namespace, open_database) -> int:
    from cati.reporting.indices import DEFAULT_MIN_N
    from cati.services.series import project_rule, series_rule

    with open_database(args).unit(immediate=False) as session:
        if args.project:
            in_force = project_rule(session, args.project)
            shown: dict[str, Any] = {"project": args.project, "source": in_force.source,
                                     "frozen_at": in_force.frozen_at.isoformat()
                                     if in_force.frozen_at else None,
                                     "index_policy": in_force.policy}
        else:
            policy = series_rule(session, args.series)
            shown = {"series": args.series, "source": "series" if policy else "questionnaire",
                     "frozen_at": None, "index_policy": policy}
    shown["min_n"] = shown["index_policy"].get("min_n", DEFAULT_MIN_N)
    if args.json:
        print(json.dumps(shown, ensure_ascii=False))
        return 0
    print(f"{'project ' + args.project if args.project else 'series ' + args.series}: "
          f"rule from {shown['source']}"
          + (f" (frozen {shown['frozen_at']})" if shown["frozen_at"] else ""))
    print(json.dumps(shown["index_policy"], ensure_ascii=False, indent=2, sort_keys=True))
    print(f"min_n {shown['min_n']}")
    return 0


DONT_KNOW = ("8",)  # the shipped forms' 不了解/说不清 choice


def _rule_set(args: argparse.Namespace, open_database) -> int:
    from cati.services.series import project_rule, series_rule, set_rule

    database = open_database(args)
    user = _user(database)
    with database.unit() as session:
        if args.file:
            policy = _read_policy_file(args.file)
        elif args.project:
            policy = dict(project_rule(session, args.project).policy)
        else:
            policy = series_rule(session, args.series)
        policy = _with_options(session, args, policy)
        stored = set_rule(session, policy, project_code=args.project, series_code=args.series,
                          user_id=user)
    if args.json:
        print(json.dumps(stored, ensure_ascii=False))
    else:
        print(f"rule of {'project ' + args.project if args.project else 'series ' + args.series}"
              f" set: {json.dumps(stored, ensure_ascii=False, sort_keys=True)}")
    return 0


def _read_policy_file(name: str) -> dict[str, Any]:
    path = Path(name)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatiError(f"{name}: cannot read ({exc.strerror or exc})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CatiError(f"{name}: not a JSON file ({exc})") from None
    if not isinstance(data, dict):
        raise CatiError(f"{name}: the rule must be a JSON object (an index_policy)")
    return data


def _pairs(values: list[str], option: str) -> list[tuple[str, list[str]]]:
    result = []
    for value in values:
        name, sep, rest = value.partition("=")
        parts = [p.strip() for p in rest.split(",") if p.strip()]
        if not sep or not name.strip() or not parts:
            raise CatiError(f"{option} {value!r}: write INDEX=A,B (e.g. sat_police_rate=1,2)")
        result.append((name.strip(), parts))
    return result


def _with_options(session, args: argparse.Namespace, policy: dict[str, Any]) -> dict[str, Any]:
    """The rule with the command's options applied (each changes one part)."""
    policy = {key: (dict(value) if isinstance(value, dict) else value)
              for key, value in policy.items()}
    for name, choices in _pairs(args.positive, "--positive"):
        policy.setdefault("positive", {})[name] = choices
    for name, weights in _pairs(args.weights, "--weights"):
        numbers = []
        for weight in weights:
            try:
                numbers.append(int(weight) if weight.isdigit() else float(weight))
            except ValueError:
                raise CatiError(f"--weights {name}: {weight!r} is not a number") from None
        policy.setdefault("weights", {})[name] = numbers
    if args.min_n is not None:
        policy["min_n"] = args.min_n
    if args.include_partials is not None:
        policy["include_partials"] = args.include_partials == "yes"
    if args.dont_know is not None:
        policy["excluded"] = _dont_know(session, args, policy, args.dont_know == "excluded")
    return policy


def _dont_know(session, args: argparse.Namespace, policy: dict[str, Any],
               excluded: bool) -> dict[str, list[str]]:
    """The ``excluded`` part with the 不了解 choice (8) of every rate and score index left out
    of, or counted in, the denominators."""
    from sqlalchemy import select

    from cati.services.questionnaires import form_of
    from cati.storage.models import Project, Series

    query = select(Project)
    if args.project:
        query = query.where(Project.code == args.project)
    else:
        query = query.join(Series, Series.id == Project.series_id).where(
            Series.code == args.series).order_by(Project.period.desc()).limit(1)
    project = session.scalar(query)
    if project is None:
        raise CatiError("--dont-know needs a wave to read the questionnaire's indices from")
    form = form_of(session, project.questionnaire_id)
    result = {name: list(choices) for name, choices in (policy.get("excluded") or {}).items()}
    for definition in form.indices:
        if definition.method == "mean":
            continue
        current = set(result.get(definition.name, definition.excluded))
        offered = {c.name for q in definition.source for c in form.choices_of(form.item(q))}
        dont_know = set(DONT_KNOW) & offered
        current = (current | dont_know) if excluded else (current - dont_know)
        result[definition.name] = sorted(current)
    return result
