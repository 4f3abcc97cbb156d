"""Quota cells under the people's own PostgreSQL logins: a supervisor sets cells and imports a
list (its cases stamped), an interviewer's login claims past a full sample cell and records the
cells of the interview it completes, and cannot write a membership of any other interview."""

from __future__ import annotations

import psycopg
import pytest
from forms import form_answers
from sqlalchemy import text
from test_pg_security import NOW, Centre, _ids

from cati.calling import project_cache
from cati.calling.outcomes import record_outcome
from cati.calling.queue import claim_next_case
from cati.services.interviews import open_interview, save_answers
from cati.services.questionnaires import form_of
from cati.services.quotas import list_quotas, set_quota
from cati.services.sample_import import import_sample
from cati.storage.db import Database

pytestmark = pytest.mark.postgres


@pytest.fixture
def centre(pg_url, run_cli):
    made = Centre(pg_url, run_cli)
    yield made
    made.drop()


def test_cells_run_under_the_supervisors_and_the_interviewers_own_logins(centre, tmp_path):
    lin = Database(centre.url("lin"))
    ivan = Database(centre.url("ivan"))
    try:
        (tmp_path / "list.csv").write_text(
            "电话,乡镇,性别\n" + "".join(f"1390000{i:04d},城关镇,{'男' if i % 2 else '女'}\n"
                                         for i in range(6)), encoding="utf-8")
        assert import_sample(lin, "SAFE", tmp_path / "list.csv").imported == 6
        project, _ = _ids(lin)
        set_quota(lin, project, "女40+", 5, "${gender} = '2' and ${resp_age} >= 40")
        set_quota(lin, project, "样本女性", 1, "${性别} = '女'")
        set_quota(lin, project, "样本男性", 0, "${性别} = '男'")  # full: women only
        project, me = _ids(ivan)
        claimed = claim_next_case(ivan, project, "ws-ivan", interviewer_id=me, now=NOW)
        info = open_interview(ivan, project, case_id=claimed.case_id, interviewer_id=me,
                              workstation="ws-ivan", now=NOW)
        with ivan.unit(immediate=False) as session:
            form = form_of(session, info.questionnaire_id)
            sex = session.execute(text("SELECT attributes->>'性别' FROM cases WHERE id = :id"),
                                  {"id": claimed.case_id}).scalar()
        assert sex == "女"
        for question, value in form_answers(form, {"age": "45", "gender": "2"},
                                            context=info.context).items():
            assert not save_answers(ivan, info.id, {question: value}, current_item=question,
                                    workstation="ws-ivan", now=NOW).quota_full
        record_outcome(ivan, claimed.case_id, "ws-ivan", "1.1", interviewer_id=me, now=NOW,
                       interview_id=info.id)
        assert {c.name: (c.completes, c.full) for c in list_quotas(lin, project)} == {
            "女40+": (1, False), "样本女性": (1, True), "样本男性": (0, True)}
        assert claim_next_case(ivan, project, "ws-x", interviewer_id=me, now=NOW) is None
        # 样本男性 opened again: the interviewer's claims get only the men's numbers.
        set_quota(lin, project, "样本男性", 5)
        project_cache.forget()  # another workstation sees it within a second (its cache)
        with ivan.unit(immediate=False) as session:
            served = []
            for n in range(5):
                got = claim_next_case(ivan, project, f"ws-{n}", interviewer_id=me, now=NOW)
                if got is None:
                    break
                served.append(session.execute(text(
                    "SELECT attributes->>'性别' FROM cases WHERE id = :id"),
                    {"id": got.case_id}).scalar())
        assert served == ["男", "男", "男"]
        # The interviewer's login writes no other membership, and no stamp.
        with centre.raw("ivan") as connection:
            other = connection.execute("SELECT id FROM quotas WHERE stratum = '女40+'"
                                       ).fetchone()[0]
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                connection.execute("INSERT INTO case_quota_cells (case_id, quota_id) "
                                   "SELECT id, %s FROM cases LIMIT 1", (other,))
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                connection.execute("DELETE FROM quota_members")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):  # not a complete of its
                connection.execute(
                    "INSERT INTO quota_members (quota_id, interview_id) VALUES (%s, %s)",
                    (other, info.id + 1000))
    finally:
        ivan.dispose()
        lin.dispose()
