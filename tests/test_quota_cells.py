"""Quota cells with a condition (sex × age band, a sample column) against a real store, both
backends: filled by interviews walking the shipped form, the next respondent in a full cell
screened out (4.80), the cases of a full sample-only cell not claimed (also those imported
after the cell was set), pasted cells all or none, and the command line."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from forms import form_answers
from sqlalchemy import func, insert, select

from cati.calling.outcomes import record_outcome
from cati.calling.queue import claim_next_case
from cati.config import QUESTIONNAIRE_DIR
from cati.errors import CatiError
from cati.services.admin import list_quotas as admin_list_quotas
from cati.services.admin import parse_quota_lines, set_quotas
from cati.services.interviews import open_interview, save_answers
from cati.services.monitor import snapshot
from cati.services.projects import create_project
from cati.services.questionnaires import form_of
from cati.services.quotas import list_quotas, recount, set_quota
from cati.services.sample_import import import_sample
from cati.services.users import add_user
from cati.storage.models import Case, Interview, Quota, QuotaMember

BEIJING = ZoneInfo("Asia/Shanghai")
MONDAY_10 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=BEIJING).astimezone(dt.UTC)
MEN_18_34 = "${gender} = '1' and ${resp_age} >= 18 and ${resp_age} < 35"
WOMEN_60 = "${gender} = '2' and ${resp_age} >= 60"


@pytest.fixture
def project(database):
    """The shipped form; six fresh numbers whose phone list had a 性别 (sex) column."""
    with database.unit() as session:
        project = create_project(session, "CELLS", QUESTIONNAIRE_DIR / "public_safety.xlsx")
        supervisor = add_user(session, "zhang", "password-123", "supervisor").id
        rows = [{"project_id": project.id, "phone_e164": f"+86138000000{n:02d}",
                 "state": "fresh", "attempts": 0, "priority": 0, "stratum": "古槐街道",
                 "attributes": {"性别": sex, "备注": f"第{n}行"},
                 "time_zone": "Asia/Shanghai", "draw": n}
                for n, sex in enumerate(["男", "女", "男", "女", "男", "女"])]
        session.execute(insert(Case), rows)
        form = form_of(session, project.questionnaire_id)
    return project.id, supervisor, form


def _interview(database, project_id, form, wanted, *, outcome=True):
    """One call walked the way the window saves it: each answer of the real form in turn.
    Returns (the save that said the quota was full or None, the interview id, case id)."""
    claimed = claim_next_case(database, project_id, "ws", now=MONDAY_10)
    assert claimed is not None
    info = open_interview(database, project_id, case_id=claimed.case_id, workstation="ws",
                          now=MONDAY_10)
    answers = form_answers(form, wanted, context=info.context)
    for question, value in answers.items():
        saved = save_answers(database, info.id, {question: value}, current_item=question,
                             workstation="ws", now=MONDAY_10)
        if saved.quota_full:
            record_outcome(database, claimed.case_id, "ws", "4.80", now=MONDAY_10,
                           interview_id=info.id)
            return saved, info.id, claimed.case_id
    if outcome:
        record_outcome(database, claimed.case_id, "ws", "1.1", now=MONDAY_10,
                       interview_id=info.id)
    return None, info.id, claimed.case_id


def _cells(database, project_id):
    return {c.name: (c.completes, c.target, c.full) for c in list_quotas(database, project_id)}


def test_a_sex_by_age_band_cell_fills_and_screens_out_the_next_respondent(database, project):
    project_id, _, form = project
    set_quota(database, project_id, "男18-34", 1, MEN_18_34)
    set_quota(database, project_id, "女60+", 2, WOMEN_60)
    set_quota(database, project_id, "古槐街道", 10)  # a stratum quota keeps working beside them
    assert _cells(database, project_id) == {"古槐街道": (0, 10, False),
                                            "男18-34": (0, 1, False), "女60+": (0, 2, False)}

    full, _, _ = _interview(database, project_id, form, {"age": "25", "gender": "1"})
    assert full is None
    assert _cells(database, project_id)["男18-34"] == (1, 1, True)

    # The next young man: every answer up to his sex is saved; the sex makes the cell
    # certain, and it is full.
    full, second, case_id = _interview(database, project_id, form, {"age": "30", "gender": "1"})
    assert full is not None and full.quota_cell == "男18-34"
    with database.unit() as session:
        interview = session.get(Interview, second)
        assert (interview.state, interview.disposition) == ("screened_out", "4.80")
        assert session.get(Case, case_id).disposition == "4.80"

    # A woman of 65 and a man of 50 complete: one counts in 女60+, the other in no cell.
    assert _interview(database, project_id, form, {"age": "65", "gender": "2"})[0] is None
    assert _interview(database, project_id, form, {"age": "50", "gender": "1"})[0] is None
    assert _cells(database, project_id) == {"古槐街道": (3, 10, False),
                                            "男18-34": (1, 1, True), "女60+": (1, 2, False)}
    # The monitor's quota table lists the cells beside the strata.
    shot = snapshot(database, project_id, now=MONDAY_10)
    assert [(c.name, c.completes, c.target, c.condition) for c in shot.cells] == [
        ("女60+", 1, 2, WOMEN_60), ("男18-34", 1, 1, MEN_18_34)]
    assert [(r.stratum, r.target, r.completes) for r in shot.strata] == [("古槐街道", 10, 3)]
    # The kept counts agree with a full re-evaluation of every complete.
    assert [(r.name, r.kept, r.evaluated) for r in recount(database, project_id)] == [
        ("女60+", 1, 1), ("男18-34", 1, 1)]


def test_the_answer_the_cell_reads_comes_before_its_last_one(database, project):
    """Age alone does not make the sex × age cell certain: nothing ends before the sex."""
    project_id, _, form = project
    set_quota(database, project_id, "男18-34", 0, MEN_18_34)  # full from the start
    full, interview_id, _ = _interview(database, project_id, form,
                                       {"age": "22", "gender": "1"})
    assert full is not None and full.quota_cell == "男18-34"
    with database.unit() as session:
        assert session.get(Interview, interview_id).current_item == "gender"
    # A woman of the same age is not in the cell: she completes.
    assert _interview(database, project_id, form, {"age": "22", "gender": "2"})[0] is None


def test_a_full_sample_column_cell_is_not_served_at_the_claim(database, project, tmp_path):
    project_id, _, form = project
    cell = set_quota(database, project_id, "样本男性", 1, "${性别} = '男'")
    assert cell.sample_only and not cell.full
    full, _, first_case = _interview(database, project_id, form, {"age": "40"})
    assert full is None
    with database.unit() as session:
        assert session.get(Case, first_case).attributes["性别"] == "男"
    assert _cells(database, project_id)["样本男性"] == (1, 1, True)
    # From now on only the women's numbers are served.
    served = []
    while (claimed := claim_next_case(database, project_id, "ws2", now=MONDAY_10)) is not None:
        served.append(claimed.case_id)
    with database.unit() as session:
        sexes = [session.get(Case, case_id).attributes["性别"] for case_id in served]
    assert sexes == ["女", "女", "女"]
    # Numbers imported after the cell was set are stamped too: the new man is skipped.
    from sample_files import write_csv

    path = write_csv(tmp_path / "more.csv", [["电话", "乡镇", "性别"],
                                             ["13912345678", "古槐街道", "男"],
                                             ["13912345679", "古槐街道", "女"]])
    assert import_sample(database, "CELLS", path).imported == 2
    claimed = claim_next_case(database, project_id, "ws3", now=MONDAY_10)
    with database.unit() as session:
        assert session.get(Case, claimed.case_id).attributes["性别"] == "女"
    assert claim_next_case(database, project_id, "ws4", now=MONDAY_10) is None
    # Raising the target serves the men again.
    set_quota(database, project_id, "样本男性", 5, "${性别} = '男'")
    assert claim_next_case(database, project_id, "ws5", now=MONDAY_10) is not None


def test_pasted_cells_are_set_all_or_none(database, project):
    project_id, supervisor, _ = project
    good = f"男18-34\t40\t{MEN_18_34}\n女60+\t30\t{WOMEN_60}\n古槐街道\t100\n"
    assert parse_quota_lines(good)[0] == ("男18-34", 40, MEN_18_34)
    bad = good + "女18-34\t40\t${gender} = '2' and ${income} < 35\n"
    with pytest.raises(CatiError, match=r"\$\{income\} is neither a question"):
        set_quotas(database, supervisor, project_id, parse_quota_lines(bad))
    with database.unit() as session:
        assert session.scalar(select(func.count()).select_from(Quota)) == 0
    with pytest.raises(CatiError, match="line 2"):
        parse_quota_lines(f"男18-34\t40\t{MEN_18_34}\n女60+\tmany\t{WOMEN_60}\n")
    cells = set_quotas(database, supervisor, project_id, parse_quota_lines(good))
    assert [(c.name, c.target, c.condition) for c in cells] == [
        ("男18-34", 40, MEN_18_34), ("女60+", 30, WOMEN_60), ("古槐街道", 100, "")]
    listed = admin_list_quotas(database, supervisor, project_id)
    assert [c.name for c in listed] == ["古槐街道", "女60+", "男18-34"]


@pytest.mark.parametrize("condition, words", [
    ("${gender} = '1' and", "does not read"),
    ("${shoe_size} > 40", "${shoe_size} is neither a question"),
    ("gender = 1", "must name what it reads"),
])
def test_a_bad_condition_is_refused_and_nothing_is_stored(database, project, condition, words):
    project_id, _, _ = project
    with pytest.raises(CatiError, match=words.replace("$", r"\$").replace("{", r"\{")):
        set_quota(database, project_id, "坏", 5, condition)
    with database.unit() as session:
        assert session.scalar(select(func.count()).select_from(Quota)) == 0


def test_the_command_line_sets_lists_and_recounts_cells(run_cli, database, db_url, project):
    project_id, _, form = project
    set_ = run_cli("--db", db_url, "quota", "set", "--project", "CELLS", "--name", "男18-34",
                   "--target", "40", "--when", MEN_18_34)
    assert set_.returncode == 0, set_.stderr
    assert set_.stdout.strip() == f"男18-34: 0/40 when {MEN_18_34}"
    bad = run_cli("--db", db_url, "quota", "set", "--project", "CELLS", "--name", "女18-34",
                  "--target", "40", "--when", "${gender} = '2' and ${incom} < 35")
    assert bad.returncode == 1 and len(bad.stderr.strip().splitlines()) == 1
    assert "${incom} is neither a question" in bad.stderr and "Traceback" not in bad.stderr
    _interview(database, project_id, form, {"age": "20", "gender": "1"})
    listed = json.loads(run_cli("--db", db_url, "quota", "list", "--project", "CELLS",
                                "--json").stdout)
    assert listed == [{"stratum": "男18-34", "name": "男18-34", "target": 40, "completes": 1,
                       "full": False, "condition": MEN_18_34, "sample_only": False}]
    # A membership lost (here: deleted by hand) is found by the recount, and repaired.
    with database.unit() as session:
        session.execute(QuotaMember.__table__.delete())
    differs = run_cli("--db", db_url, "quota", "recount", "--project", "CELLS", "--json")
    assert differs.returncode == 1
    assert json.loads(differs.stdout) == [{"name": "男18-34", "kept": 0, "evaluated": 1,
                                           "agrees": False}]
    assert run_cli("--db", db_url, "quota", "recount", "--project", "CELLS",
                   "--repair").returncode == 0
    assert _cells(database, project_id)["男18-34"] == (1, 40, False)
