"""Leases under real faults: workstation clocks that are wrong, a save in flight while another
workstation takes the case over, and two windows of one account on one machine.

Leases run on the store's clock (cati.calling.lease_clock): a workstation whose clock is 11
minutes fast takes no case another holds, one 11 minutes slow keeps its own. The skew is real
in one test: the second workstation is a process under libfaketime (``faketime -f '+11m'``),
whose every clock call is shifted. A save's lease check locks the case row until its commit
(cati.services.interviews), so a takeover and the save never both land: the save is paused at
the exact point (between its lease check and its commit) by a hook on its own connection.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from lease_time import pass_lease_time
from sqlalchemy import event, insert, select

from cati.backend import Backend
from cati.calling.hours import CallingHours, is_within_calling_hours
from cati.calling.outcomes import LeaseLost
from cati.calling.queue import _all_zones, claim_next_case, renew_lease
from cati.config import QUESTIONNAIRE_DIR
from cati.services.interviews import load_interview, open_interview, save_answers
from cati.services.presence import presence
from cati.services.projects import create_project
from cati.services.users import add_user
from cati.storage.db import Database
from cati.storage.models import Answer, Case

ROOT = Path(__file__).resolve().parents[1]
SKEW = dt.timedelta(minutes=11)


def _zone_open_around_now() -> str:
    """A zone inside calling hours from 15 minutes ago to an hour from now (real clock)."""
    now = dt.datetime.now(dt.UTC)
    for zone in _all_zones():
        if all(is_within_calling_hours(now + dt.timedelta(minutes=m), zone, CallingHours())
               for m in (-15, 0, 15, 30, 60)):
            return zone
    raise AssertionError("no zone in calling hours")  # zones span 26 hours


def make_project(database: Database, cases: int) -> int:
    zone = _zone_open_around_now()
    with database.unit() as session:
        project = create_project(session, "LEASE", QUESTIONNAIRE_DIR / "public_safety.xlsx")
        session.execute(insert(Case), [
            {"project_id": project.id, "phone_e164": f"+86138{n:08d}", "state": "fresh",
             "attempts": 0, "priority": 0, "stratum": "", "attributes": {}, "time_zone": zone,
             "draw": n} for n in range(cases)])
    return project.id


def holder(database: Database, case_id: int) -> tuple[str | None, dt.datetime | None]:
    with database.unit(immediate=False) as session:
        return tuple(session.execute(select(Case.lease_holder, Case.lease_expires_at)
                                     .where(Case.id == case_id)).one())


# -- D3: one clock for leases ------------------------------------------------------------------

def test_a_workstation_11_minutes_fast_takes_no_case_another_holds(database):
    project_id = make_project(database, 2)
    now = dt.datetime.now(dt.UTC)
    held = claim_next_case(database, project_id, "ws-right", now=now)
    fast = claim_next_case(database, project_id, "ws-fast", now=now + SKEW)
    assert fast is not None and fast.case_id != held.case_id  # the other number
    assert claim_next_case(database, project_id, "ws-fast", now=now + SKEW) is None
    assert holder(database, held.case_id)[0] == "ws-right"
    # Its own lease is 10 minutes of the store's clock, not 21 of real time.
    expires = holder(database, fast.case_id)[1]
    assert expires - dt.datetime.now(dt.UTC) < dt.timedelta(minutes=10, seconds=5)
    assert renew_lease(database, held.case_id, "ws-right", now=now)


def test_a_workstation_11_minutes_slow_keeps_its_case(database):
    project_id = make_project(database, 2)
    now = dt.datetime.now(dt.UTC)
    slow = claim_next_case(database, project_id, "ws-slow", now=now - SKEW)
    other = claim_next_case(database, project_id, "ws-right", now=now)
    assert other is not None and other.case_id != slow.case_id
    assert claim_next_case(database, project_id, "ws-right", now=now) is None
    assert renew_lease(database, slow.case_id, "ws-slow", now=now - SKEW)
    interview = open_interview(database, project_id, case_id=slow.case_id,
                               workstation="ws-slow", now=now - SKEW)
    save_answers(database, interview.id, {"age": "40"}, current_item="residence",
                 workstation="ws-slow", now=now - SKEW)
    assert claim_next_case(database, project_id, "ws-right", now=now) is None
    assert holder(database, slow.case_id)[0] == "ws-slow"
    assert load_interview(database, interview.id).answers == {"age": "40"}


SKEWED_CLAIMER = textwrap.dedent("""
    import sys
    from cati.calling.queue import claim_next_case, renew_lease
    from cati.storage.db import Database
    from cati.services.clock import utc_now
    database = Database(sys.argv[1])
    claimed = claim_next_case(database, int(sys.argv[2]), sys.argv[3])  # its own clock
    case_id = None if claimed is None else claimed.case_id
    renewed = case_id is not None and renew_lease(database, case_id, sys.argv[3])
    print(utc_now().isoformat(), case_id, renewed)
""")


def _skewed_claim(db_url: str, project_id: int, workstation: str, skew: str):
    """Claim from a real process whose clock libfaketime shifts by ``skew`` ('+11m')."""
    faketime = shutil.which("faketime")
    assert faketime, "faketime is not installed (scripts/_bootstrap.sh installs it for tests)"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p))
    done = subprocess.run([faketime, "-f", skew, sys.executable, "-c", SKEWED_CLAIMER, db_url,
                           str(project_id), workstation], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    its_now, case_id, renewed = done.stdout.split()
    return (dt.datetime.fromisoformat(its_now), None if case_id == "None" else int(case_id),
            renewed == "True")


def test_workstations_under_real_clock_skew_neither_take_nor_lose_a_case(database, db_url):
    project_id = make_project(database, 3)
    held = claim_next_case(database, project_id, "ws-right")
    # A process 11 minutes fast: its clock really is (libfaketime), and it gets another number.
    its_now, fast_case, renewed = _skewed_claim(db_url, project_id, "ws-fast", "+11m")
    assert its_now - dt.datetime.now(dt.UTC) > dt.timedelta(minutes=10)
    assert fast_case is not None and fast_case != held.case_id and renewed
    # A process 11 minutes slow claims the last number and keeps it: nobody takes it at once.
    its_now, slow_case, renewed = _skewed_claim(db_url, project_id, "ws-slow", "-11m")
    assert dt.datetime.now(dt.UTC) - its_now > dt.timedelta(minutes=10)
    assert slow_case not in (None, held.case_id, fast_case) and renewed
    assert claim_next_case(database, project_id, "ws-right-2") is None
    for case_id, workstation in ((held.case_id, "ws-right"), (fast_case, "ws-fast"),
                                 (slow_case, "ws-slow")):
        lease_holder, expires = holder(database, case_id)
        assert lease_holder == workstation
        # Every lease ends about 10 minutes from now on the one clock (not 21, not -1).
        left = expires - dt.datetime.now(dt.UTC)
        assert dt.timedelta(minutes=9) < left < dt.timedelta(minutes=10, seconds=5)


SKEWED_PRESENCE = textwrap.dedent("""
    import sys
    from cati.services.presence import report_presence
    from cati.storage.db import Database
    report_presence(Database(sys.argv[1]), "ws-slow", int(sys.argv[2]), int(sys.argv[3]), "ready")
""")


def test_a_workstation_11_minutes_slow_shows_as_online(database, db_url):
    """Presence is stamped with the store's clock too: the monitor sees the slow one ready."""
    project_id = make_project(database, 1)
    with database.unit() as session:
        user_id = add_user(session, "slow", "interview-2026", "interviewer", "慢").id
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p))
    done = subprocess.run([shutil.which("faketime") or "faketime", "-f", "-11m",
                           sys.executable, "-c", SKEWED_PRESENCE, db_url, str(user_id),
                           str(project_id)], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    [seen] = presence(database, project_id)
    assert (seen.workstation, seen.state) == ("ws-slow", "ready")


# -- D5: a save in flight and a takeover -------------------------------------------------------

class Paused:
    """Holds a connection of ``database`` at its first statement matching ``prefix`` (the
    save's first answer row: after its lease check, before its commit) or, with
    ``at_commit``, at its commit, until ``go`` is set."""

    def __init__(self, database: Database, prefix: str = "", *, at_commit: bool = False):
        self.reached, self.go = threading.Event(), threading.Event()
        self._prefix, self._done = prefix, False
        if at_commit:
            event.listen(database.engine, "commit", self._commit)
        else:
            event.listen(database.engine, "before_cursor_execute", self._statement)

    def _hold(self) -> None:
        if self._done:
            return
        self._done = True
        self.reached.set()
        assert self.go.wait(30), "the paused unit was never let go"

    def _statement(self, _conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith(self._prefix):
            self._hold()

    def _commit(self, _conn) -> None:
        self._hold()


def _in_thread(fn) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["value"] = fn()
        except BaseException as error:
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def _expired_interview(database: Database):
    """ws1 holds the only case with an open interview, and its lease has just run out."""
    project_id = make_project(database, 1)
    claimed = claim_next_case(database, project_id, "ws1")
    interview = open_interview(database, project_id, case_id=claimed.case_id, workstation="ws1")
    pass_lease_time(database, dt.timedelta(minutes=11))
    return project_id, claimed.case_id, interview.id


def _stored_answers(database: Database, interview_id: int) -> dict[str, str]:
    with database.unit(immediate=False) as session:
        return dict(session.execute(select(Answer.question, Answer.value)
                                    .where(Answer.interview_id == interview_id)).all())


def test_a_save_under_way_and_a_takeover_never_both_land(database, db_url):
    """The save has passed its lease check and not committed when ws2 claims the case."""
    project_id, case_id, interview_id = _expired_interview(database)
    saver = Database(db_url)
    try:
        paused = Paused(saver, "INSERT INTO ANSWER")
        save, saved = _in_thread(lambda: save_answers(
            saver, interview_id, {"age": "40"}, current_item="residence", workstation="ws1"))
        assert paused.reached.wait(30), saved
        claim, claimed = _in_thread(lambda: claim_next_case(database, project_id, "ws2"))
        claim.join(1)  # PostgreSQL: at once (the locked row is skipped); SQLite: it waits
        paused.go.set()
        save.join(30)
        claim.join(30)
    finally:
        saver.dispose()
    assert "error" not in claimed, claimed
    took_over = claimed["value"] is not None and claimed["value"].case_id == case_id
    if "error" in saved:
        assert isinstance(saved["error"], LeaseLost), saved
        assert _stored_answers(database, interview_id) == {}
    else:  # the save landed: the case stays ws1's (the save renewed its lease)
        assert not took_over, "ws2 took the case over while ws1's save landed"
        assert holder(database, case_id)[0] == "ws1"
        assert _stored_answers(database, interview_id) == {"age": "40"}


def test_a_takeover_under_way_refuses_the_save(database, db_url):
    """ws2's claim has taken the row and not committed when ws1's save begins: the save waits
    for it and is refused; nothing of it is stored."""
    project_id, case_id, interview_id = _expired_interview(database)
    claimer = Database(db_url)
    try:
        paused = Paused(claimer, at_commit=True)

        claim_thread, claimed = _in_thread(lambda: claim_next_case(claimer, project_id, "ws2"))
        assert paused.reached.wait(30), claimed
        save, saved = _in_thread(lambda: save_answers(
            database, interview_id, {"age": "40"}, current_item="residence",
            workstation="ws1"))
        save.join(1)  # it waits for the claim's row lock (PostgreSQL) or write lock (SQLite)
        paused.go.set()
        claim_thread.join(30)
        save.join(30)
    finally:
        claimer.dispose()
    assert claimed.get("value") is not None and claimed["value"].case_id == case_id, claimed
    assert isinstance(saved.get("error"), LeaseLost), saved
    assert holder(database, case_id)[0] == "ws2"
    assert _stored_answers(database, interview_id) == {}


# -- D2: one name per running window -----------------------------------------------------------

USERNAME, PASSWORD = "zhou", "interview-2026"


@pytest.fixture
def one_account(database, tmp_path, monkeypatch):
    """A project with three numbers and one interviewer account; windows keep their names in
    this test's own data folder, with no CATI_WORKSTATION."""
    monkeypatch.setenv("CATI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("CATI_WORKSTATION", raising=False)
    project_id = make_project(database, 3)
    with database.unit() as session:
        user_id = add_user(session, USERNAME, PASSWORD, "interviewer", "周").id
    return project_id, user_id


def _window(db_url: str) -> Backend:
    """A window's backend, logged in (which makes the window's name)."""
    backend = Backend(db_url)
    backend.open()
    backend.login(USERNAME, PASSWORD)
    return backend


def test_two_windows_of_one_account_get_their_own_cases_and_cannot_write_each_others(
        database, db_url, one_account):
    project_id, user_id = one_account
    first, second = _window(db_url), _window(db_url)
    try:
        assert first.workstation != second.workstation
        assert first.window_note == "" and "另一窗口" in second.window_note
        mine = first.next_call(project_id, user_id, take_back=True)  # a window's first claim
        interview = first.open_interview(project_id, case_id=mine.case_id,
                                         interviewer_id=user_id)
        first.save_answers(interview.id, {"age": "40"}, current_item="residence",
                           user_id=user_id)
        theirs = second.next_call(project_id, user_id, take_back=True)
        assert theirs is not None and theirs.case_id != mine.case_id
        with pytest.raises(LeaseLost):
            second.save_answers(interview.id, {"age": "99"}, current_item="residence",
                                user_id=user_id)
        with pytest.raises(LeaseLost):
            second.open_interview(project_id, case_id=mine.case_id, interviewer_id=user_id)
        assert load_interview(database, interview.id).answers == {"age": "40"}
        assert holder(database, mine.case_id)[0] == first.workstation
    finally:
        first.close()
        second.close()


CRASHING_WINDOW = textwrap.dedent("""
    import sys
    from cati.backend import Backend
    db_url, project_id, username, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    backend = Backend(db_url)
    user = backend.login(username, password)
    call = backend.next_call(project_id, user.id, take_back=True)
    interview = backend.open_interview(project_id, case_id=call.case_id, interviewer_id=user.id)
    backend.save_answers(interview.id, {"age": "40"}, current_item="residence", user_id=user.id)
    print(backend.workstation, call.case_id, interview.id, flush=True)
    sys.stdin.read()  # until killed
""")


def test_a_crashed_windows_successor_takes_back_its_case(database, db_url, one_account):
    project_id, user_id = one_account
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p))
    child = subprocess.Popen([sys.executable, "-c", CRASHING_WINDOW, db_url, str(project_id),
                              USERNAME, PASSWORD], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        line = child.stdout.readline().split()
        assert len(line) == 3, f"the window said {line!r}"
        crashed, case_id, interview_id = line[0], int(line[1]), int(line[2])
        alongside = _window(db_url)  # opened while the first window runs: a name of its own
        assert alongside.workstation != crashed and alongside.window_note
    finally:
        child.kill()  # SIGKILL: nothing of the window runs after it
        child.wait(timeout=30)
    successor = _window(db_url)
    try:
        assert successor.workstation == crashed
        back = successor.next_call(project_id, user_id, take_back=True)
        assert (back.case_id, back.interview_id, back.resume_at) == (
            case_id, interview_id, "residence")
        successor.save_answers(interview_id, {"residence": "1"}, current_item="occupation",
                               user_id=user_id)
        with pytest.raises(LeaseLost):  # the window opened alongside never had it
            alongside.save_answers(interview_id, {"age": "99"}, current_item="residence",
                                   user_id=user_id)
        assert load_interview(database, interview_id).answers == {"age": "40",
                                                                  "residence": "1"}
    finally:
        successor.close()
        alongside.close()


@pytest.fixture
def tasks(qtbot):
    from ui.tasks import TaskRunner

    runner = TaskRunner()
    yield runner
    qtbot.waitUntil(lambda: runner.pending == 0, timeout=15_000)
    runner.shutdown()


def test_the_second_window_of_an_account_says_what_it_may_do(qtbot, tasks, db_url,
                                                             one_account):
    from ui.interviewer_window import InterviewerWindow

    first, second = _window(db_url), _window(db_url)
    try:
        windows = [InterviewerWindow(backend, tasks, backend.user, speaker=None)
                   for backend in (first, second)]
        for window in windows:
            qtbot.addWidget(window)
        assert windows[0].window_note.isHidden()
        note = windows[1].window_note
        assert not note.isHidden()
        assert "另一窗口" in note.text() and "this window gets its own numbers" in note.text()
        for window in windows:
            window.close()
        qtbot.waitUntil(lambda: tasks.pending == 0, timeout=15_000)
    finally:
        first.close()
        second.close()
