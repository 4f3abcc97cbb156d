"""Render the first pages of the demo's Word report to PNG for the README.

    .venv/bin/python scripts/render_bulletin.py [--pages 4] [--out docs/screenshots] [--db FILE]

The demo (``cati demo``: the series DEMO-SERIES, two closed months and this month's open wave,
played through the real queue, engine and services) is made in a SQLite file (reused when
``--db`` names one that exists); then ``cati report monthly --out …docx`` for the last closed
month, and LibreOffice (headless) + pdftoppm turn its first pages into
docs/screenshots/bulletin_p1.png, bulletin_p2.png … Needs the Debian packages
libreoffice-writer-nogui (or libreoffice-writer) and poppler-utils. Not part of the test suite:
the demo takes a few minutes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cati.services.demo import DEMO_SERIES, build_demo_history, create_demo  # noqa: E402
from cati.services.series import waves  # noqa: E402
from cati.storage.db import Database  # noqa: E402
from cati.storage.models import Project  # noqa: E402

TODAY = dt.date(2026, 12, 7)  # the demo's months: October and November closed, December open


def build(database: Database) -> str:
    """The demo's last closed month's project code (made first when missing)."""
    with database.unit() as session:
        if session.scalar(select(Project.id).where(Project.code == "DEMO")) is None:
            create_demo(session)
    build_demo_history(database, today=TODAY, progress=lambda line: print(line, file=sys.stderr))
    with database.unit(immediate=False) as session:
        return [wave.code for wave in waves(session, DEMO_SERIES) if wave.status == "closed"][-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=4)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--keep", type=Path, help="also keep the .docx here")
    parser.add_argument("--db", type=Path, help="a SQLite file: built when missing, reused "
                        "when present (to render again after a layout change)")
    args = parser.parse_args()
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None or shutil.which("pdftoppm") is None:
        print("needs LibreOffice and pdftoppm: apt-get install libreoffice-writer-nogui "
              "poppler-utils", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        path = args.db or work / "month.db"
        url = f"sqlite:///{path}"
        database = Database(url)
        database.upgrade()
        code = build(database)
        database.dispose()
        docx = work / "bulletin.docx"
        subprocess.run([sys.executable, "-m", "cati", "--db", url, "report", "monthly",
                        "--project", code, "--out", str(docx)], check=True)
        if args.keep:
            shutil.copy(docx, args.keep)
        subprocess.run([office, "--headless", f"-env:UserInstallation=file://{work}/lo",
                        "--convert-to", "pdf", "--outdir", str(work), str(docx)], check=True,
                       stdout=subprocess.DEVNULL)
        args.out.mkdir(parents=True, exist_ok=True)
        for old in args.out.glob("bulletin_p*.png"):
            old.unlink()
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", str(args.pages),
                        str(work / "bulletin.pdf"), str(work / "page")], check=True)
        for number, page in enumerate(sorted(work.glob("page*.png")), start=1):
            shutil.copy(page, args.out / f"bulletin_p{number}.png")
            print(args.out / f"bulletin_p{number}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
