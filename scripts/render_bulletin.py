"""Make a demo-like month's Word report and render its first pages to PNG for the README.

    .venv/bin/python scripts/render_bulletin.py [--pages 4] [--out docs/screenshots]

Three monthly waves on the shipped questionnaire, 19 townships with about 32 interviews each,
played through the services (claim, interview, outcome), suggestions collected and handled by
units; then ``cati report monthly --out …docx`` and LibreOffice (headless) + pdftoppm turn the
first pages into docs/screenshots/bulletin_p1.png, bulletin_p2.png … Needs the Debian packages
libreoffice-writer-nogui (or libreoffice-writer) and poppler-utils. Not part of the test suite:
it takes some minutes (about 1,800 interviews).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from sqlalchemy import insert

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cati.calling.outcomes import record_outcome  # noqa: E402
from cati.calling.queue import claim_next_case  # noqa: E402
from cati.config import QUESTIONNAIRE_DIR  # noqa: E402
from cati.questionnaire.engine import InterviewEngine  # noqa: E402
from cati.services.bulletin import update_bulletin_settings  # noqa: E402
from cati.services.interviews import open_interview, save_answers  # noqa: E402
from cati.services.projects import create_project  # noqa: E402
from cati.services.questionnaires import form_of  # noqa: E402
from cati.services.suggestions import (  # noqa: E402
    collect_suggestions,
    list_suggestions,
    update_suggestion,
)
from cati.storage.db import Database  # noqa: E402
from cati.storage.models import Case  # noqa: E402

FORM = QUESTIONNAIRE_DIR / "public_safety.xlsx"
WAVES = (("PY2026_09", "平舆县2026年9月测评", dt.datetime(2026, 9, 14, 1, 0, tzinfo=dt.UTC)),
         ("PY2026_10", "平舆县2026年10月测评", dt.datetime(2026, 10, 12, 1, 0, tzinfo=dt.UTC)),
         ("PY2026_11", "平舆县2026年11月测评", dt.datetime(2026, 11, 16, 1, 0, tzinfo=dt.UTC)))
PER_TOWNSHIP = 32
SUGGESTIONS = (("路口红绿灯时间太短,希望调整", "交警大队"), ("晚上多巡逻,加装摄像头", "派出所"),
               ("小区经常有人偷电动车", "派出所"), ("电信诈骗太多,希望多宣传", "刑警大队"),
               ("办身份证要排很久的队", "派出所"), ("邻居纠纷需要调解", "综治中心"),
               ("村里路灯坏了没人修", "综治中心"), ("集市附近乱停车严重", "交警大队"))
REASONS = ("没有", "没有", "办事效率不高", "出警太慢", "派出所民警态度不好", "判决执行太慢",
           "不了解他们的工作", "打官司难")
DEFAULTS = {"phone_kind": "3", "age": "45", "residence": "1", "occupation": "2",
            "urban_rural": "2", "trend": "1", "campaign_aware": "1", "gang_exists": "2",
            "campaign_sat": "1", "gender": "1", "follow_up_ok": "1", "safety_worry": ["1"],
            "suggestion": "没有", "unsat_reason": "办事效率不高"}


def person(rng: random.Random, township: str, level: float) -> dict:
    def pick(good: float, unknown: float) -> str:
        roll = rng.random()
        if roll < unknown:
            return "8"
        roll = (roll - unknown) / (1 - unknown)
        return rng.choice("12") if roll < good else rng.choice("34")

    answers = {"township": township, "safety": pick(level, 0.01),
               "sat_police": pick(level - 0.02, 0.03),
               "sat_procuratorate": pick(level - 0.04, 0.18),
               "sat_court": pick(level - 0.03, 0.14),
               "sat_justice": pick(level - 0.05, 0.22),
               "trend": rng.choice("1112"), "gender": rng.choice("12"),
               "urban_rural": rng.choice("12"), "age": str(rng.randint(20, 75))}
    if answers["safety"] == "8":
        answers["safety"] = "2"
    answers["campaign_aware"] = "1" if rng.random() < level else "2"
    answers["campaign_sat"] = pick(level, 0.0)
    answers["unsat_reason"] = rng.choice(REASONS)
    if rng.random() < 0.12:
        answers["suggestion"] = rng.choice(SUGGESTIONS)[0]
    return answers


def play(database: Database, project_id: int, people: list[dict], when: dt.datetime) -> None:
    with database.unit() as session:
        from cati.storage.models import Project

        form = form_of(session, session.get(Project, project_id).questionnaire_id)
    for number, answers in enumerate(people):
        now = when + dt.timedelta(seconds=5 * number)  # within one morning's calling hours
        claimed = claim_next_case(database, project_id, "ws1", now=now)
        interview = open_interview(database, project_id, case_id=claimed.case_id,
                                   workstation="ws1", now=now)
        engine = InterviewEngine.start(form, seed=interview.seed, clock=lambda now=now: now)
        while not engine.finished and (item := engine.current_item) is not None:
            if not item.is_question:
                engine.answer()
                continue
            value = answers.get(item.name, DEFAULTS.get(item.name))
            if value is None:
                value = engine.offered_choices(item)[0].name if item.kind.startswith(
                    "select") else "没有"
            if engine.answer(value) is not None:
                raise SystemExit(f"the form refused {item.name}={value}")
        save_answers(database, interview.id, engine.take_changes(), current_item=None,
                     workstation="ws1", now=now)
        record_outcome(database, claimed.case_id, "ws1", engine.outcome.disposition or "1.1",
                       now=now, interview_id=interview.id)
        if number % 100 == 0:
            print(f"  {number}/{len(people)}", file=sys.stderr)


def build(database: Database, rng: random.Random) -> None:
    form_townships = None
    levels: dict[str, float] = {}
    for wave, (code, name, when) in enumerate(WAVES):
        with database.unit() as session:
            project = create_project(session, code, FORM, name=name)
            if form_townships is None:
                form = form_of(session, project.questionnaire_id)
                form_townships = [c.name for c in form.choices_of(form.item("township"))]
                levels = {t: rng.uniform(0.80, 0.95) for t in form_townships}
            people = []
            for township in form_townships:
                count = PER_TOWNSHIP + rng.randint(-2, 3)
                if wave == 2 and township == form_townships[-2]:
                    count = 14  # a township short of interviews this month: shown, not ranked
                level = min(0.99, levels[township] + 0.02 * wave + rng.uniform(-0.04, 0.04))
                people += [person(rng, township, level) for _ in range(count)]
            rng.shuffle(people)
            session.execute(insert(Case), [
                {"project_id": project.id, "phone_e164": f"+86139{wave:02d}{n:06d}",
                 "state": "fresh", "attempts": 0, "priority": 0, "stratum": "",
                 "attributes": {}, "time_zone": "Asia/Shanghai", "number_type": "mobile"}
                for n in range(len(people) + 40)])
            project_id = project.id
        print(f"{code}: {len(people)} interviews", file=sys.stderr)
        play(database, project_id, people, when)
        later = when + dt.timedelta(days=3)
        collect_suggestions(database, project_id, now=later)
        units = dict(SUGGESTIONS)
        for row in list_suggestions(database, project_id):
            unit = units.get(row.text)
            if unit is None:
                continue
            unit = f"县公安局{unit}" if unit.endswith("大队") else f"{row.stratum}{unit}"
            steps = rng.choice([("assigned",), ("assigned", "resolved"),
                                ("assigned", "resolved", "checked"),
                                ("assigned", "resolved", "checked")])
            for status in steps:
                update_suggestion(database, row.id, status=status, valid=True,
                                  responsible_unit=unit, now=later)
    update_bulletin_settings(database, WAVES[-1][0], {
        "centre_name": "平舆县民情调查服务中心",
        "earlier_projects": [code for code, _, _ in WAVES[:-1]],
        "targets": {"composite": 0.85, "safety_rate": 0.9}})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=4)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--keep", type=Path, help="also keep the .docx here")
    parser.add_argument("--seed", type=int, default=2026)
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
        made = path.exists()
        database = Database(url)
        database.upgrade()
        if not made:
            build(database, random.Random(args.seed))
        database.dispose()
        docx = work / "bulletin.docx"
        subprocess.run([sys.executable, "-m", "cati", "--db", url, "report", "monthly",
                        "--project", WAVES[-1][0], "--out", str(docx)], check=True)
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
