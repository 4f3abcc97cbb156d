"""Web self-completion over HTTP (Flask's test client on the real app and the real store):
personal invitations (single use, expiring, replaced, holding the case), open links per point,
answers stored like phone ones, and the command line (link with its QR code, invite, stats).

The helpers here (``web_client``, ``answer_through``, ``COMPLETE``) are shared with the other
tests/test_web_*.py files.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from cati.calling.queue import claim_next_case
from cati.storage.models import Answer, AnswerEvent, Case, Interview, WebLink
from cati.web.app import create_app
from cati.web.limits import WebLimits
from cati.web.links import invite_case, point_link, resolve

# Tuesday 10:00 in Beijing: inside the default calling hours.
NOW = dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)
# A respondent who completes the shipped questionnaire (notes take no answer).
COMPLETE = {"age": "40", "residence": "1", "occupation": "2", "township": "4",
            "urban_rural": "1", "safety": "1", "trend": "1", "sat_police": "1",
            "sat_procuratorate": "2", "sat_court": "1", "sat_justice": "8",
            "suggestion": "多装路灯", "campaign_aware": "2", "gang_exists": "2",
            "campaign_sat": "2", "pingan_aware": "1", "pingan_join": "2", "gender": "2",
            "follow_up_ok": "2"}
SCREEN_OUT = {"age": "15"}  # on the web no one else is asked to come to the phone
# What the form stores besides the answers: the interview's context and its calculations.
WEB_CONTEXT = {"interview_mode": "web", "centre_name": "平舆县民情调查服务中心"}
# For tests of the pages alone: the store's part is covered on both databases elsewhere.
sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def web_client(database, project_id, *, address="10.0.0.1", limits=None, now=NOW):
    app = create_app(database, project_id, limits=limits or WebLimits(), clock=lambda: now)
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def current_item(html: str) -> str | None:
    found = re.search(r'name="item" value="([^"]*)"', html)
    return found.group(1) if found else None


def answer_through(client, path: str, answers: dict[str, str], *, limit: int = 60) -> str:
    """Start (when needed) and answer every page from ``answers`` until the interview ends, an
    answer is refused, or a page asks for something ``answers`` does not hold; returns the last
    page."""
    page = client.get(path).get_data(as_text=True)
    if 'value="start"' in page:
        client.post(path, data={"action": "start"})
        page = client.get(path).get_data(as_text=True)
    for _ in range(limit):
        item = current_item(page)
        if item is None:
            return page
        if item not in answers and 'name="value"' in page:
            return page  # a question this respondent has no answer for
        response = client.post(path, data={"action": "next", "item": item,
                                           "value": answers.get(item, "")})
        if response.status_code != 303:
            return response.get_data(as_text=True)  # refused (error shown) or ended
        page = client.get(path).get_data(as_text=True)
    return page


def stored_answers(database, interview_id: int) -> dict[str, str]:
    with database.unit(immediate=False) as session:
        return dict(session.execute(select(Answer.question, Answer.value)
                                    .where(Answer.interview_id == interview_id)).all())


def web_interviews(database) -> list[Interview]:
    with database.unit(immediate=False) as session:
        return list(session.scalars(select(Interview).where(Interview.mode == "web")
                                    .order_by(Interview.id)))


def test_invitation_holds_the_case_and_cannot_be_used_twice(database, one_case_project):
    case_id = _case_id(database)
    invitation = invite_case(database, case_id, valid_for=dt.timedelta(days=2), now=NOW)
    assert claim_next_case(database, one_case_project, "ws1", now=NOW) is None  # waits
    client = web_client(database, one_case_project)
    page = answer_through(client, invitation.path, SCREEN_OUT)
    assert "只访问年满18岁的居民" in page  # the screen-out's closing words
    [interview] = web_interviews(database)
    assert (interview.case_id, interview.state, interview.disposition) == \
        (case_id, "screened_out", "4.70")
    answers = stored_answers(database, interview.id)
    assert {k: answers[k] for k in SCREEN_OUT} == SCREEN_OUT
    assert {k: answers[k] for k in set(answers) - set(SCREEN_OUT)} == \
        {**WEB_CONTEXT, "resp_age": "15", "has_suggestion": "0"}  # context and calculations
    with database.unit(immediate=False) as session:
        case = session.get(Case, case_id)
        assert (case.state, case.disposition, case.lease_holder) == ("closed", "4.70", None)
        events = session.scalars(select(AnswerEvent.question)
                                 .where(AnswerEvent.interview_id == interview.id)).all()
    assert set(events) == set(answers)
    again = web_client(database, one_case_project, address="10.0.0.9")
    reused = again.get(invitation.path)
    assert reused.status_code == 410
    assert "不能再次使用" in reused.get_data(as_text=True)
    assert again.post(invitation.path, data={"action": "start"}).status_code == 410
    assert len(web_interviews(database)) == 1


def test_invitation_expires_and_the_case_is_called_again(database, one_case_project):
    case_id = _case_id(database)
    invitation = invite_case(database, case_id, valid_for=dt.timedelta(hours=1), now=NOW)
    later = NOW + dt.timedelta(hours=1, minutes=1)
    expired = web_client(database, one_case_project, now=later).get(invitation.path)
    assert expired.status_code == 410 and "已过期" in expired.get_data(as_text=True)
    assert claim_next_case(database, one_case_project, "ws1", now=NOW) is None
    claimed = claim_next_case(database, one_case_project, "ws1", now=later)
    assert claimed is not None and claimed.case_id == case_id
    assert web_interviews(database) == []


def test_a_begun_invitation_resumes_on_another_browser_and_blocks_the_phone(
        database, one_case_project):
    case_id = _case_id(database)
    invitation = invite_case(database, case_id, valid_for=dt.timedelta(days=1), now=NOW)
    first = web_client(database, one_case_project)
    page = answer_through(first, invitation.path, {"age": "40"})
    assert current_item(page) == "residence"
    other = web_client(database, one_case_project, address="10.0.0.2")
    assert current_item(other.get(invitation.path).get_data(as_text=True)) == "residence"
    with database.unit(immediate=False) as session:
        case = session.get(Case, case_id)
        link_id = session.scalar(select(WebLink.id).where(WebLink.case_id == case_id))
        assert case.lease_holder == f"web:{link_id}"
    # After the invitation expires the interviewer gets the case and the same interview.
    from cati.services.interviews import open_interview
    later = NOW + dt.timedelta(days=1, minutes=1)
    claimed = claim_next_case(database, one_case_project, "ws1", now=later)
    assert claimed is not None
    resumed = open_interview(database, one_case_project, case_id=case_id, workstation="ws1",
                             now=later)
    assert resumed.mode == "web" and resumed.answers["age"] == "40"


@sqlite_only
def test_a_new_invitation_replaces_the_old_one(database, one_case_project):
    case_id = _case_id(database)
    old = invite_case(database, case_id, now=NOW)
    answer_through(web_client(database, one_case_project), old.path, {})  # begun
    new = invite_case(database, case_id, now=NOW + dt.timedelta(minutes=5))
    client = web_client(database, one_case_project, now=NOW + dt.timedelta(minutes=6))
    assert client.get(old.path).status_code == 410
    # The new link takes over the interview begun through the old one.
    page = answer_through(client, new.path, {"age": "44"})
    assert current_item(page) == "residence"
    [interview] = web_interviews(database)
    assert stored_answers(database, interview.id)["age"] == "44"


def test_made_up_and_foreign_links_are_refused(database, one_case_project):
    from cati.config import QUESTIONNAIRE_DIR
    from cati.services.projects import create_project

    with database.unit() as session:
        create_project(session, "TWO", QUESTIONNAIRE_DIR / "public_safety.xlsx")
    mine = point_link(database, "ONE", "东门")
    foreign = point_link(database, "TWO", "东门")
    client = web_client(database, one_case_project)
    tampered = mine.token[:-2] + ("AA" if not mine.token.endswith("AA") else "BB")
    forged_id = str(int(mine.id) + 1) + mine.token[mine.token.index("."):]
    for path in (f"/p/{tampered}", f"/p/{forged_id}", foreign.path, f"/i/{mine.token}",
                 "/p/", "/p/x"):
        response = client.get(path)
        assert response.status_code == 404, path
    assert client.get(mine.path).status_code == 200
    home = client.get("/").get_data(as_text=True)
    assert "ONE" not in home and "东门" not in home


def test_open_link_interviews_are_stored_like_phone_ones_and_exported_by_mode(
        database, one_case_project, tmp_path):
    from cati.reporting.export import export_data

    link = point_link(database, "ONE", "东门超市", now=NOW)
    assert point_link(database, "ONE", " 东门超市 ").id == link.id  # one link per point
    assert resolve(database, "point", link.token, now=NOW).point == "东门超市"
    client = web_client(database, one_case_project)
    page = answer_through(client, link.path, COMPLETE)
    assert "问卷已提交" in page
    [interview] = web_interviews(database)
    assert (interview.case_id, interview.state, interview.disposition) == \
        (None, "complete", "1.1")
    assert interview.stratum == "庙湾镇"  # the township answered, as on the phone
    answers = stored_answers(database, interview.id)
    assert {k: answers[k] for k in COMPLETE} == COMPLETE
    assert {k: answers[k] for k in set(answers) - set(COMPLETE)} == \
        {**WEB_CONTEXT, "resp_age": "40", "has_suggestion": "1"}
    with database.unit(immediate=False) as session:
        sequences = session.scalars(select(Answer.sequence)
                                    .where(Answer.interview_id == interview.id)).all()
    assert sorted(sequences) == list(range(1, len(answers) + 1))
    out = tmp_path / "data.csv"
    export_data(database, "ONE", out)
    rows = out.read_text(encoding="utf-8-sig").splitlines()
    header = rows[0].split(",")
    assert rows[1].split(",")[header.index("mode")] == "web"


@sqlite_only
def test_pages_hold_only_the_questionnaire_and_own_answers(database, one_case_project):
    with database.unit() as session:
        phone = session.scalar(select(Case.phone_e164))
    link = point_link(database, "ONE", "东门")
    first = web_client(database, one_case_project, address="10.0.0.1")
    answer_through(first, link.path, {"age": "47"})
    second = web_client(database, one_case_project, address="10.0.0.2")
    page = answer_through(second, link.path, {})
    assert current_item(page) == "age"
    assert 'value="47"' not in page and phone not in page and phone[3:] not in page
    response = second.get(link.path)
    assert "script" not in response.get_data(as_text=True).lower()
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert len(response.get_data()) < 8000  # small on a cheap phone


@sqlite_only
def test_a_constraint_error_is_shown_and_nothing_is_stored(database, one_case_project):
    link = point_link(database, "ONE", "东门")
    client = web_client(database, one_case_project)
    answer_through(client, link.path, {})  # past the introduction
    refused = client.post(link.path, data={"action": "next", "item": "age", "value": "150"})
    assert refused.status_code == 200
    html = refused.get_data(as_text=True)
    assert "年龄应在0到120岁之间" in html and 'value="150"' in html
    [interview] = web_interviews(database)
    assert "age" not in stored_answers(database, interview.id)
    client.post(link.path, data={"action": "next", "item": "age", "value": "47"})
    # A stale page (posted for an item that is no longer current) changes nothing.
    client.post(link.path, data={"action": "next", "item": "age", "value": "50"})
    assert stored_answers(database, interview.id)["age"] == "47"
    client.post(link.path, data={"action": "back", "item": "residence"})
    assert current_item(client.get(link.path).get_data(as_text=True)) == "age"


@sqlite_only
def test_english_pages(database, one_case_project):
    link = point_link(database, "ONE", "East gate")
    client = web_client(database, one_case_project)
    page = client.get(link.path + "?lang=English (en)").get_data(as_text=True)
    assert "Start" in page
    client.post(link.path, data={"action": "start"})
    client.post(link.path, data={"action": "next", "item": "intro_web"})
    page = client.get(link.path).get_data(as_text=True)
    assert "How old are you?" in page and "Next" in page


def test_cli_link_invite_and_stats(run_cli, sqlite_url, tmp_path, capsys):
    from cati.cli import main
    from cati.config import QUESTIONNAIRE_DIR
    from cati.services.projects import create_project
    from cati.storage.db import Database

    database = Database(sqlite_url)
    database.upgrade()
    with database.unit() as session:
        create_project(session, "W", QUESTIONNAIRE_DIR / "public_safety.xlsx")
    database.dispose()
    qr = tmp_path / "east.png"
    made = run_cli("--db", sqlite_url, "web", "link", "--project", "W", "--point", "东门",
                   "--base-url", "http://10.1.2.3:8080", "--qr", qr)
    assert made.returncode == 0, made.stderr
    url = made.stdout.splitlines()[0]
    assert url.startswith("http://10.1.2.3:8080/p/")
    assert qr.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    capsys.readouterr()
    assert main(["--db", sqlite_url, "web", "link", "--project", "W", "--point", "东门",
                 "--base-url", "ftp://x", "--qr", str(qr)]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "--base-url" in error
    assert main(["--db", sqlite_url, "web", "invite", "99"]) == 1
    assert "no case 99" in capsys.readouterr().err
    assert main(["--db", sqlite_url, "web", "stats", "--project", "W", "--json"]) == 0
    assert '"points": []' in capsys.readouterr().out


def _case_id(database) -> int:
    with database.unit(immediate=False) as session:
        return session.scalar(select(Case.id))


@sqlite_only
def test_a_full_township_ends_the_web_interview_with_4_80(database, one_case_project):
    from cati.services.quotas import set_quota

    set_quota(database, one_case_project, "庙湾镇", 0)
    link = point_link(database, "ONE", "东门")
    page = answer_through(web_client(database, one_case_project), link.path, COMPLETE)
    assert "名额已满" in page
    [interview] = web_interviews(database)
    assert (interview.state, interview.disposition) == ("screened_out", "4.80")
    assert "safety" not in stored_answers(database, interview.id)


def test_cli_serve_answers_over_http_and_refuses_a_taken_port(sqlite_url, tmp_path):
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    from cati.cli import main
    from cati.config import QUESTIONNAIRE_DIR
    from cati.services.projects import create_project
    from cati.storage.db import Database

    database = Database(sqlite_url)
    database.upgrade()
    with database.unit() as session:
        create_project(session, "W", QUESTIONNAIRE_DIR / "public_safety.xlsx")
    link = point_link(database, "W", "东门")
    database.dispose()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["--db", sqlite_url, "web", "serve", "--project", "W", "--port",
                     str(port)]) == 1  # one line, exit 1: tested in-process
    server = subprocess.Popen([sys.executable, "-m", "cati", "--db", sqlite_url, "web", "serve",
                               "--project", "W", "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                              env={**os.environ})
    try:
        assert "serving W" in server.stdout.readline()
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{link.path}",
                                            timeout=5) as response:
                    page = response.read().decode()
                break
            except OSError:
                assert time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.2)
        assert 'value="start"' in page and "公众安全感和满意度测评" in page
    finally:
        server.terminate()
        server.wait(timeout=30)


FILTERED_FORM = """\
| survey |
| | type | name | label | choice_filter | relevant | constraint |
| | select_one region | region | Region? | | | |
| | select_one city | city | City? | region=${region} | | |
| | integer | rooms | How many rooms? | | ${city} = 'c2' | . < 10 |
| | note | bye | Thank you | | | |

| choices |
| | list_name | name | label | region |
| | region | north | North | |
| | region | south | South | |
| | city | c1 | Northton | north |
| | city | c2 | Northby | north |
| | city | c3 | Southam | south |

| settings |
| | form_title | form_id | version |
| | Filters | filters | 1 |
"""


@sqlite_only
def test_choice_filters_relevance_and_constraints_as_in_the_engine(database, tmp_path):
    from cati.services.projects import create_project

    path = tmp_path / "filters.md"
    path.write_text(FILTERED_FORM, encoding="utf-8")
    with database.unit() as session:
        project = create_project(session, "F", path)
    link = point_link(database, "F", "door")
    client = web_client(database, project.id)
    page = answer_through(client, link.path, {"region": "north"})
    assert current_item(page) == "city"
    assert "Northton" in page and "Northby" in page and "Southam" not in page
    page = answer_through(client, link.path, {"city": "c2", "rooms": "12"})
    assert current_item(page) == "rooms" and 'class="error"' in page
    page = answer_through(client, link.path, {"rooms": "3"})
    [first] = web_interviews(database)
    assert first.state == "complete"
    assert stored_answers(database, first.id) == {"region": "north", "city": "c2", "rooms": "3"}
    other = web_client(database, project.id, address="10.0.0.2")
    answer_through(other, link.path, {"region": "north", "city": "c1"})
    second = web_interviews(database)[1]
    assert second.state == "complete"  # rooms was not relevant: never asked
    assert stored_answers(database, second.id) == {"region": "north", "city": "c1"}


def test_the_last_answer_and_the_end_are_one_commit(database, one_case_project, monkeypatch):
    """A crash between storing the last answer and closing the interview (a dropped
    connection, a lock, a killed server) left the interview in progress for ever and the
    respondent on a dead page. Now the step is one unit: the crash stores nothing of it, the
    page that ended it is shown again, and answering it completes the interview."""
    from cati.web import respondents

    link = point_link(database, "ONE", "东门")
    client = web_client(database, one_case_project)
    real, crashes = respondents._finish_in, []

    def crash_once(*args, **kwargs):
        if not crashes:
            crashes.append(1)
            raise ConnectionError("the database went away between the two steps")
        return real(*args, **kwargs)

    monkeypatch.setattr(respondents, "_finish_in", crash_once)
    client.application.testing = False  # the crash is a 500 page, as a respondent sees it
    answer_through(client, link.path, COMPLETE)
    assert crashes == [1]
    [interview] = web_interviews(database)
    assert interview.state == "in_progress"
    # The page that ended it (the closing note) is shown again, not a dead page.
    assert current_item(client.get(link.path).get_data(as_text=True)) == "end_thanks_web"
    page = answer_through(client, link.path, COMPLETE)
    [interview] = web_interviews(database)
    assert interview.state == "complete" and current_item(page) is None
    assert stored_answers(database, interview.id).items() >= COMPLETE.items()
