"""Commands for the calling set-up: quotas and the disposition table."""

from __future__ import annotations

import argparse
import json

from cati.services.projects import get_project


def add_commands(commands: argparse._SubParsersAction, open_database) -> None:
    quota = commands.add_parser("quota", help="completes targets per stratum or per cell"
                                ).add_subparsers(dest="action", required=True)
    put = quota.add_parser("set", help="set a stratum's target (0 stops it at once), or a "
                           "cell's with --when")
    put.add_argument("--project", required=True, metavar="CODE")
    put.add_argument("--stratum", "--name", dest="stratum", required=True,
                     help="the stratum, or the cell's name with --when")
    put.add_argument("--target", required=True, type=int)
    put.add_argument("--when", metavar="EXPR", default=None,
                     help="the cell's condition, an XLSForm expression over the questionnaire's "
                     "answers and the sample's columns, e.g. \"${gender} = '1' and "
                     "${resp_age} < 35\"")
    put.set_defaults(handler=lambda args: _quota_set(args, open_database(args)))
    load = quota.add_parser("load", help="set many quotas from a file: all or none (.xlsx: the "
                            "first sheet; .csv; .txt/.tsv as pasted): stratum and target, or "
                            "name, target and condition, per row")
    load.add_argument("file")
    load.add_argument("--project", required=True, metavar="CODE")
    load.set_defaults(handler=lambda args: _quota_load(args, open_database(args)))
    drop = quota.add_parser("remove", help="remove a stratum's (or a cell's) quota")
    drop.add_argument("--project", required=True, metavar="CODE")
    drop.add_argument("--stratum", "--name", dest="stratum", required=True)
    drop.set_defaults(handler=lambda args: _quota_remove(args, open_database(args)))
    show = quota.add_parser("list", help="targets and completes")
    show.add_argument("--project", required=True, metavar="CODE")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=lambda args: _quota_list(args, open_database(args)))
    again = quota.add_parser("recount", help="re-evaluate every complete against the cells' "
                             "conditions and compare with the kept counts")
    again.add_argument("--project", required=True, metavar="CODE")
    again.add_argument("--repair", action="store_true",
                       help="rewrite the kept memberships to the re-evaluation")
    again.add_argument("--json", action="store_true")
    again.set_defaults(handler=lambda args: _quota_recount(args, open_database(args)))

    disp = commands.add_parser("disposition", help="the project's disposition table"
                               ).add_subparsers(dest="action", required=True)
    listing = disp.add_parser("list", help="codes, labels, classes, retry delays")
    listing.add_argument("--project", required=True, metavar="CODE")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=lambda args: _disposition_list(args, open_database(args)))
    edit = disp.add_parser("set", help="change a disposition's labels, delay or shortcut")
    edit.add_argument("code")
    edit.add_argument("--project", required=True, metavar="CODE")
    edit.add_argument("--label-zh")
    edit.add_argument("--label-en")
    edit.add_argument("--retry-minutes", type=int)
    edit.add_argument("--shortcut", help='a key such as F4, or "" for none')
    edit.add_argument("--counts-attempt", choices=("yes", "no"))
    edit.set_defaults(handler=lambda args: _disposition_set(args, open_database(args)))


def _project_id(database, code: str) -> int:
    with database.unit(immediate=False) as session:
        return get_project(session, code).id


def _quota_set(args, database) -> int:
    from cati.services.quotas import set_quota

    cell = set_quota(database, _project_id(database, args.project), args.stratum, args.target,
                     args.when)
    print(f"{cell.stratum}: {cell.completes}/{cell.target}" + (" (full)" if cell.full else "")
          + (f" when {cell.condition}" if cell.condition else ""))
    return 0


def _quota_load(args, database) -> int:
    from cati.errors import CatiError
    from cati.services.admin import parse_quota_lines, set_quotas

    text, where = _quota_file_text(args.file)
    try:
        cells = parse_quota_lines(text)
    except CatiError as error:
        raise CatiError(f"{where}: {error}".replace("line ", "row ")) from None
    for cell in set_quotas(database, None, _project_id(database, args.project), cells):
        print(f"{cell.stratum}: {cell.completes}/{cell.target}" + (" (full)" if cell.full else "")
              + (f" when {cell.condition}" if cell.condition else ""))
    return 0


def _quota_file_text(name: str) -> tuple[str, str]:
    """The file's rows as pasted lines (cells joined by tabs), and where it is, for messages."""
    import csv
    from pathlib import Path

    from cati.errors import CatiError

    path = Path(name)
    if not path.is_file():
        raise CatiError(f"{name}: no such file (找不到文件)")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        import openpyxl

        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as error:  # any unreadable workbook is one line
            raise CatiError(f"{name}: not a readable workbook ({type(error).__name__}) "
                            "(无法读取的 Excel 文件)") from None
        sheet = book.worksheets[0]
        rows = ["\t".join("" if value is None else str(value).strip() for value in row)
                for row in sheet.iter_rows(values_only=True)]
        book.close()
        return "\n".join(rows), f"{name}, sheet {sheet.title}"
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise CatiError(f"{name}: not UTF-8 text (文件须为 UTF-8 文本)") from None
    if suffix == ".csv":
        text = "\n".join("\t".join(cell.strip() for cell in row)
                         for row in csv.reader(text.splitlines()))
    return text, name


def _quota_remove(args, database) -> int:
    from cati.errors import NotFound
    from cati.services.quotas import remove_quota

    if not remove_quota(database, _project_id(database, args.project), args.stratum):
        raise NotFound(f"no quota for stratum '{args.stratum}' in {args.project}")
    return 0


def _quota_list(args, database) -> int:
    from cati.services.quotas import list_quotas

    cells = list_quotas(database, _project_id(database, args.project))
    if args.json:
        print(json.dumps([{"stratum": c.stratum, "name": c.name, "target": c.target,
                           "completes": c.completes, "full": c.full,
                           "condition": c.condition, "sample_only": c.sample_only}
                          for c in cells], ensure_ascii=False))
        return 0
    for cell in cells:
        print(f"{cell.stratum}\t{cell.completes}/{cell.target}" + ("\tfull" if cell.full else "")
              + (f"\twhen {cell.condition}" if cell.condition else ""))
    return 0


def _quota_recount(args, database) -> int:
    from cati.services.quotas import recount

    rows = recount(database, _project_id(database, args.project), repair=args.repair)
    if args.json:
        print(json.dumps([{"name": r.name, "kept": r.kept, "evaluated": r.evaluated,
                           "agrees": r.agrees} for r in rows], ensure_ascii=False))
    else:
        for row in rows:
            print(f"{row.name}\tkept {row.kept}\tevaluated {row.evaluated}"
                  + ("" if row.agrees else ("\trepaired" if args.repair else "\tDIFFERS")))
    return 0 if args.repair or all(r.agrees for r in rows) else 1


def _disposition_list(args, database) -> int:
    from dataclasses import asdict

    from cati.services.dispositions import list_dispositions

    rows = list_dispositions(database, _project_id(database, args.project))
    if args.json:
        print(json.dumps([asdict(row) for row in rows], ensure_ascii=False))
        return 0
    for row in rows:
        retry = "final" if row.final else f"retry {row.retry_minutes} min"
        print(f"{row.code:<6} {row.aapor_class:<2} {row.label_zh} / {row.label_en} · {retry}"
              + (f" · {row.shortcut}" if row.shortcut else ""))
    return 0


def _disposition_set(args, database) -> int:
    from cati.services.dispositions import update_disposition

    changes: dict[str, object] = {}
    for name in ("label_zh", "label_en", "retry_minutes", "shortcut"):
        value = getattr(args, name)
        if value is not None:
            changes[name] = value
    if args.counts_attempt is not None:
        changes["counts_attempt"] = args.counts_attempt == "yes"
    info = update_disposition(database, _project_id(database, args.project), args.code,
                              **changes)
    print(f"{info.code} {info.label_zh} / {info.label_en}")
    return 0
