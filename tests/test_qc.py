"""Quality control by listening (录音抽查), both backends: interviewers complete interviews on
the shipped survey (claim, interview, outcome) whose calls were recorded and filed with the
recordings service; a supervisor draws a share per interviewer, scores them, marks one invalid
(it leaves the indices) and reads the figures; on PostgreSQL an interviewer's login cannot read
the reviews."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import wave

import psycopg
import pytest
from sqlalchemy import insert, select

from cati.calling.outcomes import record_outcome
from cati.config import QUESTIONNAIRE_DIR
from cati.errors import CatiError, NotFound
from cati.questionnaire.loader import load_form
from cati.services.admin import update_project_settings
from cati.services.indices_report import indices_report
from cati.services.interviews import open_interview, save_answers
from cati.services.projects import create_project
from cati.services.qc import draw_reviews, list_reviews, qc_figures, score_review
from cati.services.recordings import CallFacts, attach_call
from cati.services.users import add_user
from cati.services.workstation import next_call
from cati.storage.models import AuditEntry, Case, Interview, QcReview
from cati.telephony.recording import file_recording
from tests.forms import form_answers

NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)  # Monday 10:00 in Beijing
LATER = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)
CODE = "PY2026_11"
FORM = load_form(QUESTIONNAIRE_DIR / "public_safety.xlsx")
RECORDED = {"wang": 10, "li": 4, "zhao": 2}
GOOD = {"read": "5", "leading": "4", "coding": "5", "polite": "5"}


def _call_wav(path, seconds: float = 1.0) -> None:
    """A stereo 8 kHz call as the softphone files it (left interviewer, right respondent)."""
    frames = int(8000 * seconds)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(8000)
        samples = bytearray()
        for n in range(frames):
            left = int(3000 * math.sin(2 * math.pi * 220 * n / 8000))
            right = int(3000 * math.sin(2 * math.pi * 330 * n / 8000))
            samples += left.to_bytes(2, "little", signed=True)
            samples += right.to_bytes(2, "little", signed=True)
        out.writeframes(bytes(samples))


def complete_call(database, project_id: int, interviewer: int, workstation: str, answers,
                  folder, *, record: bool = True) -> tuple[int, int]:
    """Claim, interview, code 1.1; the softphone's call (answered, recorded) stored on the
    attempt the way the interviewer window stores it."""
    call = next_call(database, project_id, interviewer, workstation, now=NOW)
    assert call is not None
    info = open_interview(database, project_id, case_id=call.case_id,
                          interviewer_id=interviewer, workstation=workstation, now=NOW)
    save_answers(database, info.id, answers, current_item=None, user_id=interviewer,
                 workstation=workstation, now=NOW)
    attempt_id = record_outcome(database, call.case_id, workstation, "1.1",
                                interviewer_id=interviewer, now=NOW + dt.timedelta(minutes=12),
                                interview_id=info.id).attempt_id
    if record:
        source = folder / ".incoming" / f"call-{attempt_id}.wav"
        source.parent.mkdir(parents=True, exist_ok=True)
        _call_wav(source)
        filed = file_recording(source, folder, CODE, attempt_id, NOW)
        facts = CallFacts("answered", 200, None, NOW, NOW, NOW + dt.timedelta(seconds=5),
                          NOW + dt.timedelta(minutes=11))
        attach_call(database, attempt_id, facts, filed, actor_id=interviewer)
    return call.case_id, info.id


@pytest.fixture
def survey(database, tmp_path):
    return build_survey(database, tmp_path)


def build_survey(database, tmp_path):
    """Recorded completes of wang (10), li (4) and zhao (2), and one of zhao's by hand."""
    with database.unit() as session:
        admin = add_user(session, "admin", "password-123", "admin", "管理员").id
        boss = add_user(session, "chen", "password-123", "supervisor", "陈督导").id
        people = {name: add_user(session, name, "password-123", "interviewer", name.title()).id
                  for name in RECORDED}
        project = create_project(session, CODE, QUESTIONNAIRE_DIR / "public_safety.xlsx",
                                 name="平舆县11月测评")
        total = sum(RECORDED.values()) + 1
        session.execute(insert(Case), [
            {"project_id": project.id, "phone_e164": f"+861390000{n:04d}", "state": "fresh",
             "attempts": 0, "priority": 0, "stratum": "", "attributes": {},
             "time_zone": "Asia/Shanghai", "number_type": "mobile", "draw": n,
             "phone_raw": f"1390000{n:04d}"} for n in range(total)])
    update_project_settings(database, admin, project.id, max_attempts=2)
    answers = form_answers(FORM, {"age": "46", "township": "1"})
    folder = tmp_path / "recordings"
    interviews: dict[str, list[int]] = {}
    for name, count in RECORDED.items():
        for _ in range(count):
            interviews.setdefault(name, []).append(complete_call(
                database, project.id, people[name], f"ws-{name}", answers, folder)[1])
    # One of zhao's calls dialled by hand: a complete without a recording.
    unrecorded = complete_call(database, project.id, people["zhao"], "ws-zhao", answers, folder,
                               record=False)[1]
    return database, project.id, boss, people, interviews, unrecorded


def test_a_draw_takes_each_interviewers_share_of_recorded_completes_never_twice(survey):
    database, project_id, boss, _people, _interviews, unrecorded = survey
    first = draw_reviews(database, project_id, rate="10%", seed=7, user_id=boss, now=LATER)
    assert (first.drawn, first.per_interviewer) == (3, {"wang": 1, "li": 1, "zhao": 1})
    assert draw_reviews(database, project_id, rate="10%", seed=7, user_id=boss,
                        now=LATER).drawn == 0
    more = draw_reviews(database, project_id, rate="50%", seed=8, user_id=boss, now=LATER)
    assert more.per_interviewer == {"wang": 4, "li": 1, "zhao": 0}  # topped up to 5, 2, 1
    with database.unit(immediate=False) as session:
        drawn = session.scalars(select(QcReview.interview_id)).all()
        audit = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "qc_drawn")).all()
    assert len(drawn) == len(set(drawn)) == 8 and unrecorded not in drawn
    assert [entry.details["review_ids"] for entry in audit] == [
        list(first.review_ids), list(more.review_ids)]
    reviews = list_reviews(database, project_id, user_id=boss)
    assert {r.recording_check for r in reviews} == {"ok"}
    assert all(r.recording.path.endswith(f"attempt-{r.attempt_id}.wav") for r in reviews)
    assert all(abs(r.recording.duration_s - 1.0) < 0.01 for r in reviews)


def test_the_same_seed_draws_the_same_interviews(database, tmp_path):
    # Two centres with the same completes and the same seed: the same sample.
    picked = []
    for attempt in range(2):
        folder = tmp_path / f"centre{attempt}"
        folder.mkdir()
        with database.unit() as session:
            boss = add_user(session, f"boss{attempt}", "password-123", "supervisor").id
            ivan = add_user(session, f"ivan{attempt}", "password-123", "interviewer").id
            project = create_project(session, f"{CODE}_{attempt}",
                                     QUESTIONNAIRE_DIR / "public_safety.xlsx")
            session.execute(insert(Case), [
                {"project_id": project.id, "phone_e164": f"+86139{attempt}000{n:04d}",
                 "state": "fresh", "attempts": 0, "priority": 0, "stratum": "",
                 "attributes": {}, "time_zone": "Asia/Shanghai", "number_type": "mobile",
                 "draw": n, "phone_raw": f"139{attempt}000{n:04d}"} for n in range(6)])
        answers = form_answers(FORM, {"age": "46", "township": "1"})
        ids = [complete_call(database, project.id, ivan, "ws-ivan", answers, folder)[1]
               for _ in range(6)]
        result = draw_reviews(database, project.id, rate="50%", seed=11, user_id=boss)
        with database.unit(immediate=False) as session:
            chosen = session.scalars(select(QcReview.interview_id).where(
                QcReview.id.in_(result.review_ids))).all()
        picked.append(sorted(ids.index(i) for i in chosen))
    assert picked[0] == picked[1] and len(picked[0]) == 3


def _stored(database):
    with database.unit(immediate=False) as session:
        return ([tuple(row) for row in session.execute(select(
                    QcReview.id, QcReview.verdict, QcReview.scores, QcReview.note))],
                [tuple(row) for row in session.execute(select(Interview.id, Interview.state)
                                                       .order_by(Interview.id))],
                len(session.scalars(select(AuditEntry.id)).all()))


def test_scoring_checks_the_recording_and_the_scale_and_scores_once(survey):
    database, project_id, boss, people, _interviews, _unrecorded = survey
    draw_reviews(database, project_id, rate="10%", seed=7, user_id=boss, now=LATER)
    wang, li, zhao = list_reviews(database, project_id, user_id=boss)
    before = _stored(database)
    for bad, said in (({**GOOD, "read": "6"}, "whole number 1–5"),
                      ({**GOOD, "coding": "4.5"}, "whole number 1–5"),
                      ({k: v for k, v in GOOD.items() if k != "polite"}, "needed for polite"),
                      ({**GOOD, "tone": "3"}, "unknown criterion tone")):
        with pytest.raises(CatiError, match=said):
            score_review(database, wang.id, bad, user_id=boss, now=LATER)
    with pytest.raises(CatiError, match="--user"):
        score_review(database, wang.id, GOOD, user_id=None)
    with pytest.raises(CatiError):  # an interviewer does not score
        score_review(database, wang.id, GOOD, user_id=people["li"])
    with pytest.raises(NotFound):
        score_review(database, 99999, GOOD, user_id=boss)
    # A recording changed after it was filed, and one gone: said, and nothing scored.
    with open(li.recording.path, "r+b") as tampered:
        tampered.seek(-2, 2)
        tampered.write(b"\x7f\x7f")
    with pytest.raises(CatiError, match="has changed since it was filed"):
        score_review(database, li.id, GOOD, user_id=boss)
    os.remove(zhao.recording.path)
    with pytest.raises(CatiError, match="is missing"):
        score_review(database, zhao.id, GOOD, user_id=boss)
    assert {r.id: r.recording_check for r in list_reviews(database, project_id,
                                                         user_id=boss)} == {
        wang.id: "ok", li.id: "changed", zhao.id: "missing"}
    assert _stored(database) == before
    scored = score_review(database, wang.id, {**GOOD, "leading": 3}, note="第5题追问时有提示",
                          user_id=boss, now=LATER)
    assert scored.as_json() == {
        "review_id": wang.id, "interview_id": wang.interview_id, "interviewer": "wang",
        "scores": {"read": 5, "leading": 3, "coding": 5, "polite": 5},
        "note": "第5题追问时有提示", "verdict": "valid", "voided": False}
    with pytest.raises(CatiError, match="scored already"):
        score_review(database, wang.id, GOOD, user_id=boss)
    with database.unit(immediate=False) as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "qc_scored")).one()
        review = session.get(QcReview, wang.id)
    assert entry.details["verdict"] == "valid" and entry.details["sha256"] == \
        wang.recording.sha256
    assert (review.scored_by, review.scored_at) == (boss, LATER)


def test_an_invalid_interview_leaves_the_indices_and_its_case_is_called_again(survey):
    database, project_id, boss, _people, _interviews, _unrecorded = survey
    with database.unit(immediate=False) as session:
        counted = indices_report(session, CODE).interviews
    draw_reviews(database, project_id, rate="10%", seed=7, user_id=boss, now=LATER)
    li = next(r for r in list_reviews(database, project_id, user_id=boss)
              if r.interviewer == "li")
    scored = score_review(database, li.id, {**GOOD, "coding": "1"}, invalid=True,
                          note="受访者未回答第3题,访员自行填写", user_id=boss, now=LATER)
    assert (scored.verdict, scored.voided) == ("invalid", True)
    with database.unit(immediate=False) as session:
        assert indices_report(session, CODE).interviews == counted - 1
        interview = session.get(Interview, li.interview_id)
        case = session.get(Case, interview.case_id)
        reopen = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "sample.reopen")).one()
    assert interview.state == "void" and case.state == "scheduled"
    assert reopen.details["voided_interviews"] == [li.interview_id]
    assert "录音抽查判定无效" in reopen.details["reason"]
    (after,) = [r for r in list_reviews(database, project_id, user_id=boss) if r.id == li.id]
    assert (after.verdict, after.interview_state) == ("invalid", "void")


def test_figures_per_interviewer(survey, tmp_path):
    database, project_id, boss, _people, _interviews, _unrecorded = survey
    draw_reviews(database, project_id, rate="50%", seed=3, user_id=boss, now=LATER)
    wang = [r for r in list_reviews(database, project_id, user_id=boss)
            if r.interviewer == "wang"]
    score_review(database, wang[0].id, GOOD, user_id=boss, now=LATER)
    score_review(database, wang[1].id, {"read": 3, "leading": 2, "coding": 4, "polite": 5},
                 invalid=True, user_id=boss, now=LATER)
    figures = {f.interviewer: f.as_json() for f in qc_figures(database, project_id,
                                                             user_id=boss)}
    assert figures["wang"] == {"interviewer": "wang", "recorded": 9, "drawn": 5, "scored": 2,
                               "means": {"read": 4.0, "leading": 3.0, "coding": 4.5,
                                         "polite": 5.0},
                               "invalid": 1}
    assert figures["li"]["means"] == {"read": None, "leading": None, "coding": None,
                                      "polite": None}
    assert (figures["zhao"]["recorded"], figures["zhao"]["drawn"]) == (2, 1)
    # The monthly report's 录音抽查 sheet says the same.
    from openpyxl import load_workbook

    from cati.reporting.monthly import write_monthly_report

    out = write_monthly_report(database, CODE, tmp_path / "report.xlsx")
    sheet = load_workbook(out)["录音抽查"]
    rows = {row[0]: row for row in sheet.iter_rows(min_row=5, values_only=True)}
    assert rows["wang"][1:] == (9, 5, 2, 4.0, 3.0, 4.5, 5.0, 1)
    assert rows["li"][2:4] == (2, 0)


def test_a_report_without_a_listening_sample_has_no_such_sheet(survey, tmp_path):
    from openpyxl import load_workbook

    from cati.reporting.monthly import write_monthly_report

    out = write_monthly_report(survey[0], CODE, tmp_path / "report.xlsx")
    assert "录音抽查" not in load_workbook(out).sheetnames


def test_the_command_line(survey, db_url, run_cli):
    database, _project_id, _boss, _people, _interviews, _unrecorded = survey
    drawn = run_cli("--db", db_url, "qc", "draw", CODE, "--rate", "10%", "--seed", "7",
                    "--user", "chen", "--json")
    assert drawn.returncode == 0, drawn.stderr
    result = json.loads(drawn.stdout)
    assert (result["drawn"], result["per_interviewer"]) == (3, {"wang": 1, "li": 1, "zhao": 1})
    first = result["review_ids"][0]
    before = _stored(database)
    for args, said in ((("draw", CODE, "--rate", "5"), "write 5%"),
                       (("draw", "NOPE", "--rate", "5%"), "no project"),
                       (("score", str(first), "--read", "9", "--leading", "4", "--coding", "5",
                         "--polite", "5", "--user", "chen"), "whole number"),
                       (("score", "4242", "--read", "5", "--leading", "4", "--coding", "5",
                         "--polite", "5", "--user", "chen"), "no quality-control review"),
                       (("score", str(first), "--read", "5", "--leading", "4", "--coding", "5",
                         "--polite", "5", "--user", "li"), "supervisor")):
        refused = run_cli("--db", db_url, "qc", *args)
        assert refused.returncode == 1, (args, refused.stderr)
        assert len(refused.stderr.strip().splitlines()) == 1 and said in refused.stderr, (
            args, refused.stderr)
    assert _stored(database) == before
    scored = run_cli("--db", db_url, "qc", "score", str(first), "--read", "5", "--leading", "4",
                     "--coding", "2", "--polite", "5", "--note", "编码错误", "--invalid",
                     "--user", "chen", "--json")
    assert scored.returncode == 0, scored.stderr
    assert json.loads(scored.stdout)["verdict"] == "invalid"
    assert json.loads(scored.stdout)["voided"] is True
    figures = run_cli("--db", db_url, "qc", "figures", CODE, "--json")
    assert figures.returncode == 0, figures.stderr
    rows = {row["interviewer"]: row for row in json.loads(figures.stdout)}
    assert (rows["wang"]["drawn"], rows["wang"]["scored"], rows["wang"]["invalid"]) == (1, 1, 1)
    assert rows["wang"]["means"]["coding"] == 2.0
    listed = run_cli("--db", db_url, "qc", "list", CODE, "--pending", "--json")
    assert [row["interviewer"] for row in json.loads(listed.stdout)] == ["li", "zhao"]


@pytest.mark.postgres
def test_an_interviewers_login_cannot_read_the_reviews(pg_url, run_cli, tmp_path):
    from test_pg_security import Centre, _ids

    from cati.services.sample_import import import_sample
    from cati.storage.db import Database

    centre = Centre(pg_url, run_cli)
    lin = Database(centre.url("lin"))
    ivan = Database(centre.url("ivan"))
    try:
        (tmp_path / "list.csv").write_text("电话\n13900000001\n", encoding="utf-8")
        assert import_sample(lin, "SAFE", tmp_path / "list.csv").imported == 1
        project, me = _ids(ivan)
        answers = form_answers(FORM, {"age": "46", "township": "1"})
        call = next_call(ivan, project, me, "ws-ivan")
        info = open_interview(ivan, project, case_id=call.case_id, interviewer_id=me,
                              workstation="ws-ivan")
        save_answers(ivan, info.id, answers, current_item=None, user_id=me,
                     workstation="ws-ivan")
        attempt_id = record_outcome(ivan, call.case_id, "ws-ivan", "1.1", interviewer_id=me,
                                    interview_id=info.id).attempt_id
        source = tmp_path / "call.wav"
        _call_wav(source)
        filed = file_recording(source, tmp_path / "recordings", "SAFE", attempt_id,
                               dt.datetime.now(dt.UTC))
        now = dt.datetime.now(dt.UTC)
        attach_call(ivan, attempt_id, CallFacts("answered", 200, None, now, now, now, now),
                    filed, actor_id=me)
        boss = _ids(lin)[1]
        drawn = draw_reviews(lin, project, rate="5%", seed=1, user_id=boss)
        assert drawn.drawn == 1
        score_review(lin, drawn.review_ids[0], GOOD, user_id=boss)
        for login in ("ivan", centre.web):
            with centre.raw(login) as connection:
                for statement in ("SELECT count(*) FROM qc_reviews",
                                  "UPDATE qc_reviews SET verdict = 'valid'",
                                  "DELETE FROM qc_reviews"):
                    with pytest.raises(psycopg.errors.InsufficientPrivilege):
                        connection.execute(statement)
        with pytest.raises(CatiError):  # the service says no as well
            qc_figures(ivan, project, user_id=me)
        (row,) = qc_figures(lin, project, user_id=boss)
        assert (row.interviewer, row.drawn, row.scored) == ("ivan", 1, 1)
    finally:
        lin.dispose()
        ivan.dispose()
        centre.drop()
