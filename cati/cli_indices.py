"""Commands: ``cati report indices``, ``cati report monthly`` and ``cati report settings``.

``report monthly --out FILE.docx`` writes the Word 通报 (:mod:`cati.reporting.bulletin`),
``--out FILE.xlsx`` the workbook; any other extension is refused in one line. ``report settings``
prints ``{"centre_name", "composite", "min_n", "targets", "earlier_projects"}`` (see
:mod:`cati.services.bulletin`); ``--set FILE.json`` changes some of them first.

``report indices --series S --from DAY --to DAY`` reports the interviews of the series' waves
completed in those days (Beijing), by the series' rule; its rule carries ``"from"``/``"to"``.
The rule's ``"min_n"``, ``"rule_source"`` (frozen | project | series | questionnaire) and
``"frozen_at"`` say which rule was in force.

``report indices --json`` prints one object ``{"rule": {...}, "rows": [...]}``; each row is
``{"index", "stratum" (a name or "ALL"), "n", "denominator", "value", "moe", "rank",
"tied_with", "change"}``. value, moe and change are floats rounded half-up to 6 decimals (rates
as shares 0..1, scores in points) or null when undefined; the arithmetic behind them is exact.
Rows come per index in the questionnaire's order: ALL, then the strata by rank. ``"by_mode"``
splits the same indices by interview mode: per index one ``{"index", "mode" ("phone", "field"
or "web"), "n", "denominator", "value", "moe"}`` per mode with counted interviews. The text
output shows that split under each index when there is more than one mode.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import unicodedata

from cati.errors import CatiError
from cati.reporting.indices import ALL, MODE_LABELS, IndexRow, IndexRule, round_half_up


def add_commands(commands: argparse._SubParsersAction, report: argparse._SubParsersAction,
                 open_database) -> None:
    """Add ``report indices`` and ``report monthly`` to the ``report`` subcommands."""
    indices = report.add_parser(
        "indices", help="township indices: value, margin of error, rank, ties, change")
    which = indices.add_mutually_exclusive_group(required=True)
    which.add_argument("--project", metavar="CODE", help="one project (wave)")
    which.add_argument("--series", metavar="CODE",
                       help="the interviews of the series' waves completed --from … --to")
    indices.add_argument("--from", dest="first", type=_day, metavar="YYYY-MM-DD")
    indices.add_argument("--to", dest="last", type=_day, metavar="YYYY-MM-DD")
    indices.add_argument("--compare", metavar="CODE",
                         help="an earlier project (wave) on the same questionnaire")
    indices.add_argument("--json", action="store_true", help="one JSON object on stdout")
    indices.add_argument("--xlsx", metavar="FILE", help="also write the index sheets to FILE")
    indices.set_defaults(handler=lambda args: _report_indices(args, open_database))

    monthly = report.add_parser(
        "monthly", help="the monthly report: the Word 通报 (.docx) or the workbook (.xlsx)")
    monthly.add_argument("--project", required=True, metavar="CODE")
    monthly.add_argument("--compare", metavar="CODE",
                         help="an earlier project (wave) on the same questionnaire")
    monthly.add_argument("--out", required=True, metavar="FILE.docx|FILE.xlsx")
    monthly.set_defaults(handler=lambda args: _report_monthly(args, open_database))

    settings = report.add_parser(
        "settings", help="the Word report's settings: centre name, composite, min n, targets, "
                         "earlier waves")
    settings.add_argument("--project", required=True, metavar="CODE")
    settings.add_argument("--set", metavar="FILE.json", dest="set_file",
                          help="a JSON object of settings to change (null: back to default)")
    settings.add_argument("--user", metavar="NAME", help="the account recorded in the audit log")
    settings.set_defaults(handler=lambda args: _report_settings(args, open_database))


def _report_indices(args: argparse.Namespace, open_database) -> int:
    from cati.reporting.monthly import checked_path, write_indices_workbook
    from cati.services.indices_report import indices_report

    if args.xlsx:
        checked_path(args.xlsx)  # a wrong path fails before the work
    if args.series and (args.first is None or args.last is None or args.compare):
        raise CatiError("--series needs --from and --to (and takes no --compare)")
    if args.project and (args.first or args.last):
        raise CatiError("--from and --to go with --series (a project is one wave)")
    with open_database(args).unit(immediate=False) as session:
        if args.series:
            from cati.services.indices_report import series_indices_report

            report = series_indices_report(session, args.series, args.first, args.last)
        else:
            report = indices_report(session, args.project, args.compare)
    if args.xlsx:
        write_indices_workbook(report, args.xlsx)
    if args.json:
        print(json.dumps(report.as_json(), ensure_ascii=False))
    else:
        print(render_text(report))
        if args.xlsx:
            print(f"wrote {args.xlsx}")
    return 0


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a day like 2026-11-30") from None


def _report_monthly(args: argparse.Namespace, open_database) -> int:
    from cati.reporting.monthly import write_report

    out = write_report(open_database(args), args.project, args.out, args.compare)
    print(f"wrote the monthly report of {args.project} to {out}")
    return 0


def _report_settings(args: argparse.Namespace, open_database) -> int:
    """Show (or change, then show) the report settings in force, as one JSON object:
    ``{"centre_name", "composite", "min_n", "targets", "earlier_projects"}``."""
    from dataclasses import asdict
    from pathlib import Path

    from cati.errors import CatiError
    from cati.services.bulletin import bulletin_settings, update_bulletin_settings
    from cati.services.users import acting_user_id

    database = open_database(args)
    if args.set_file is None:
        with database.unit(immediate=False) as session:
            shown = bulletin_settings(session, args.project)
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
        shown = update_bulletin_settings(database, args.project, changes,
                                         user_id=acting_user_id(database, args.user))
    data = asdict(shown)
    data["earlier_projects"] = list(data["earlier_projects"])
    print(json.dumps(data, ensure_ascii=False, indent=2))
    return 0


# -- the readable table --------------------------------------------------------------------------

COLUMNS = (("排名", 4, ">"), ("乡镇(街道)", 14, "<"), ("样本", 6, ">"), ("分母", 6, ">"),
           ("指数", 8, ">"), ("±误差", 8, ">"))


def render_text(report) -> str:
    rule = report.rule
    lines = [f"{report.project_name}({report.project_code})  问卷 {rule.form_id} "
             f"v{rule.form_version}"
             + (f"  对比上期 {report.compare_name}({rule.compare})" if rule.compare else "")]
    lines += [f"  {line}" for line in rule.describe_counting()]
    if not rule.indices:
        lines.append("问卷没有定义指数(indices 表)。")
    for index in rule.indices:
        lines += ["", f"{index.label}  [{index.name}]", f"  {rule.describe_index(index)}"]
        headings = [_cell(title, width, "<" if align == "<" else ">")
                    for title, width, align in COLUMNS]
        headings.append(("较上期  " if rule.compare else "") + "并列")
        lines.append(" ".join(headings))
        lines += [_text_row(index, row, rule.compare is not None)
                  for row in report.rows_of(index.name)]
        if len(report.modes) > 1:
            lines.append("  按访问方式 by mode: " + "；".join(
                f"{MODE_LABELS.get(row.stratum, row.stratum)} {_shown(row.value, index.share)}"
                + ("" if row.moe is None else " ±" + _shown(row.moe, index.share))
                + f" (n={row.n})" for row in report.mode_rows_of(index.name)))
    return "\n".join(lines)


def _text_row(index: IndexRule, row: IndexRow, comparing: bool) -> str:
    cells = [
        "—" if row.rank is None else str(row.rank),
        "总体(ALL)" if row.stratum == ALL else row.stratum,
        str(row.n), str(row.denominator),
        _shown(row.value, index.share), "" if row.moe is None else "±" + _shown(row.moe,
                                                                               index.share),
    ]
    text = " ".join(_cell(value, width, align)
                    for value, (_, width, align) in zip(cells, COLUMNS, strict=True))
    if comparing:
        change = "—" if row.change is None else _shown(row.change, index.share, signed=True)
        text += " " + _cell(change, 7, ">") + " "
    return text + " " + "、".join(row.tied_with)


def _shown(value, share: bool, signed: bool = False) -> str:
    """Rounded half-up for display: shares as percentages (1 decimal), points with 2."""
    if value is None:
        return "—"
    shown = round_half_up(value * 100 if share else value, 1 if share else 2)
    text = f"{shown:+}" if signed else f"{shown}"
    return text + ("%" if share and not signed else "")


def _cell(text: str, width: int, align: str) -> str:
    """Pad to ``width`` terminal columns (CJK characters take two)."""
    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    pad = " " * max(0, width - used)
    return text + pad if align == "<" else pad + text
