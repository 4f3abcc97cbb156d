"""Command: ``cati journal list`` — the workstation's journal (see cati.journal).

Entries the database refused (the case went to another workstation while this one was cut off)
and entries still waiting for the database are kept there, never dropped, for a supervisor to
read and merge by hand. ``--json`` prints one object per line: ``{"id", "database", "kind",
"interview_id", "case_id", "user_id", "workstation", "payload", "created_at", "state",
"reason"}``; ``--all`` shows the written entries too. The journal is ``journal.db`` in the user
data directory (``--journal FILE`` reads another one, e.g. copied from a workstation).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from cati.errors import NotFound


def add_commands(commands: argparse._SubParsersAction) -> None:
    journal = commands.add_parser("journal", help="this workstation's journal").add_subparsers(
        dest="action", metavar="ACTION", required=True)
    listing = journal.add_parser("list", help="entries refused or still waiting")
    listing.add_argument("--all", action="store_true", help="the written entries too")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    listing.add_argument("--journal", metavar="FILE", help="another journal file")
    listing.set_defaults(handler=_list)


def _list(args: argparse.Namespace) -> int:
    from cati.config import user_data_dir
    from cati.journal import WRITTEN, Journal

    path = Path(args.journal) if args.journal else user_data_dir() / "journal.db"
    if not path.is_file():
        raise NotFound(f"{path}: no journal (this workstation has not saved anything yet)")
    journal = Journal(path)
    try:
        entries = [e for e in journal.entries() if args.all or e.state != WRITTEN]
    finally:
        journal.close()
    for e in entries:
        if args.json:
            print(json.dumps({"id": e.id, "database": e.database, "kind": e.kind,
                              "interview_id": e.interview_id, "case_id": e.case_id,
                              "user_id": e.user_id, "workstation": e.workstation,
                              "payload": e.payload, "created_at": e.created_at.isoformat(),
                              "state": e.state, "reason": e.reason}, ensure_ascii=False))
        else:
            what = ", ".join(f"{k}={v}" for k, v in sorted(e.payload.get("changes", e.payload)
                                                           .items()))
            print(f"{e.id}\t{e.created_at:%Y-%m-%d %H:%M:%S}\t{e.state}\t{e.kind}\t"
                  f"interview {e.interview_id}\tcase {e.case_id}\t{what}\t{e.reason}")
    if not args.json:
        print(f"{len(entries)} entries")
    return 0
