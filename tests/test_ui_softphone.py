"""The interviewer window takes calls through its softphone, from claim to disposition: real
baresip agents on loopback (tests/sip_lab.py), the real window driven from the keyboard, and
what reached the database checked after.

- Preview mode, a busy respondent: Ctrl+D dials, the call screen shows the ending, 3.12 is
  pre-selected and Enter stores it, with the machine outcome and SIP 486 on the attempt.
- Progressive mode, an answering respondent who speaks 3 s and hangs up: dialled on claim, the
  interviewer starts the interview (F9), codes the break-off, and the attempt has the call's
  times and its recording (filed under the attempt, the respondent's speech in it).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from sip_lab import Respondent, speech_wav
from sqlalchemy import insert, select
from test_ui_interviewer_loop import open_zone

from cati.config import QUESTIONNAIRE_DIR
from cati.services.phone_settings import update_phone_settings
from cati.services.projects import create_project
from cati.services.users import add_user
from cati.storage.db import Database
from cati.storage.models import CallAttempt, Case, Recording
from cati.telephony import settings as seat
from cati.telephony.recording import channel_rms
from ui.app import CatiApp

pytestmark = pytest.mark.telephony

WAIT = 15_000
NUMBER = "+8613812345678"
DIGITS = "13812345678"  # what the seat's dialing plan dials for it (a mobile, no prefix)
SPEECH_RMS = 500  # silence through G.711 is under 10; speech is in the thousands


@pytest.fixture
def store(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("CATI_DATA_DIR", str(tmp_path / "data"))  # this seat's phone.json
    database = Database(db_url)
    database.upgrade()
    with database.unit() as session:
        add_user(session, "zhou", "interview-2026", "interviewer", "周")
        project = create_project(session, "PHONE", QUESTIONNAIRE_DIR / "public_safety.xlsx")
        session.execute(insert(Case), [{
            "project_id": project.id, "phone_e164": NUMBER, "state": "fresh", "attempts": 0,
            "priority": 0, "stratum": "古槐街道", "attributes": {}, "time_zone": open_zone(),
            "draw": 0}])
    yield database
    database.dispose()


def seat_settings(respondent: Respondent, recordings: Path, mode: str,
                  auto_dial_s: float = 0) -> None:
    """The seat's account points at the respondent's agent (no registrar: register off)."""
    seat.save(seat.checked(seat.PhoneSettings(
        aor=f"sip:8001@127.0.0.1:{respondent.agent.sip_port}", register=False,
        recordings_folder=str(recordings), dial_mode=mode, auto_dial_s=auto_dial_s)))


@pytest.fixture
def window_of(qtbot, tmp_path):
    made: list[CatiApp] = []

    def start(database: Database):
        settings = QSettings(str(tmp_path / "cati.ini"), QSettings.Format.IniFormat)
        settings.setValue("interview/auto_next_seconds", 0)
        app = CatiApp(database.url, settings=settings, workstation="ws-phone", speech=False)
        made.append(app)
        qtbot.addWidget(app.login)
        app.login.show()
        qtbot.waitUntil(app.login.button.isEnabled, timeout=WAIT)
        qtbot.keyClicks(app.login.username, "zhou")
        qtbot.keyClicks(app.login.password, "interview-2026")
        qtbot.keyClick(app.login.password, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: app.main_window is not None, timeout=WAIT)
        window = app.main_window
        qtbot.addWidget(window)
        qtbot.waitUntil(lambda: window.state == "ready" and window.phone_on, timeout=WAIT)
        return window

    yield start
    for app in made:
        window = app.main_window
        if window is not None:
            phone = window.softphone
            window.close()
            if phone is not None:
                assert phone.join(10), "the softphone's thread did not end"
        app.shutdown()


def test_the_dialing_mode_is_the_seats_setting(run_cli, tmp_path):
    env = {"CATI_DATA_DIR": str(tmp_path)}
    done = run_cli("phone", "setup", "--account", "sip:8001@127.0.0.1", "--dial-mode",
                   "progressive", "--json", env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["dial_mode"] == "progressive"
    assert run_cli("phone", "setup", "--dial-mode", "preview", "--auto-dial", "5",
                   env=env).returncode == 0
    stored = json.loads((tmp_path / "phone.json").read_text(encoding="utf-8"))
    assert (stored["dial_mode"], stored["auto_dial_s"]) == ("preview", 5.0)


class EventLoopGaps:
    """The longest time the GUI thread's event loop did not turn (a 10 ms timer's late
    ticks)."""

    def __init__(self) -> None:
        import time

        from PySide6.QtCore import QTimer

        self._clock = time.monotonic
        self.worst = 0.0
        self._last = self._clock()
        self._timer = QTimer(interval=10)
        self._timer.timeout.connect(self._tick)
        self._timer.start()

    def _tick(self) -> None:
        now = self._clock()
        self.worst = max(self.worst, now - self._last)
        self._last = now

    def stop(self) -> float:
        self._timer.stop()
        print(f"longest event-loop gap during the call: {self.worst * 1000:.0f} ms")
        return self.worst


MAX_GAP_S = 0.5  # generous for a loaded CI machine; measured ~0.03 s here


def attempt_of(database: Database):
    with database.unit(immediate=False) as session:
        return session.scalars(select(CallAttempt)).one()


@pytest.mark.parametrize(("press", "coded"), [(Qt.Key.Key_Return, "3.12"),
                                              (Qt.Key.Key_F7, "3.16")])
def test_a_busy_line_proposes_3_12_and_enter_stores_it(qtbot, store, window_of, tmp_path, press,
                                                       coded):
    """Enter confirms the proposal; another outcome key (F7: 3.16) overrides it, and the
    attempt keeps both the interviewer's code and the machine's proposal."""
    with Respondent("busy", user=DIGITS) as respondent:
        seat_settings(respondent, tmp_path / "recordings", "preview")
        window = window_of(store)
        qtbot.keyClick(window.ready_page.ready_button, Qt.Key.Key_F12)
        qtbot.waitUntil(lambda: window.state == "call", timeout=WAIT)
        view = window.call_view
        # Preview: the case is on the screen, nothing dialled; the number is not a tel: link.
        assert view.phone_stage == "idle" and "Ctrl+D" in view.phone_label.text()
        assert "tel:" not in view.number_label.text()
        qtbot.keyClick(view, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: view.phone_stage == "ended", timeout=WAIT)
        assert "忙音" in view.phone_label.text() and "486" in view.phone_label.text()
        # 3.12 (busy) is pre-selected: highlighted, with the focus; Enter confirms it.
        assert view.proposed == "3.12"
        proposed = view.outcome_buttons["3.12"]
        assert proposed.hasFocus() and "d35400" in proposed.styleSheet()
        assert not view.hang_up_button.isEnabled() and not view.dial_button.isEnabled()
        qtbot.keyClick(proposed, press)
        qtbot.waitUntil(lambda: window.state == "ready" and window.tasks.pending == 0,
                        timeout=WAIT)
    attempt = attempt_of(store)
    assert (attempt.disposition, attempt.machine_outcome, attempt.sip_status,
            attempt.proposed_disposition) == (coded, "busy", 486, "3.12")
    assert attempt.dialled_at is not None and attempt.hung_up_at is not None
    assert attempt.answered_at is None
    assert attempt.dialled_at <= attempt.hung_up_at
    with store.unit(immediate=False) as session:
        assert session.scalars(select(Recording)).all() == []


def test_preview_dials_by_itself_after_the_seats_countdown(qtbot, store, window_of, tmp_path):
    with Respondent("busy", user=DIGITS) as respondent:
        seat_settings(respondent, tmp_path / "recordings", "preview", auto_dial_s=2)
        window = window_of(store)
        qtbot.keyClick(window.ready_page.ready_button, Qt.Key.Key_F12)
        qtbot.waitUntil(lambda: window.state == "call", timeout=WAIT)
        view = window.call_view
        assert view.phone_label.text().startswith("2 秒后自动拨号")
        qtbot.waitUntil(lambda: view.proposed == "3.12", timeout=WAIT)  # dialled, busy
        qtbot.keyClick(view.outcome_buttons["3.12"], Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: window.state == "ready" and window.tasks.pending == 0,
                        timeout=WAIT)
    assert attempt_of(store).machine_outcome == "busy"


def test_an_answered_call_is_interviewed_and_its_recording_attached(qtbot, store, window_of,
                                                                     tmp_path):
    update_phone_settings(store, None, "PHONE", record_calls=True)
    speech = speech_wav(tmp_path, name="respondent.wav", seconds=3)
    recordings = tmp_path / "recordings"
    with Respondent("auto", play=speech, user=DIGITS) as respondent:
        seat_settings(respondent, recordings, "progressive")
        window = window_of(store)
        gaps = EventLoopGaps()
        qtbot.keyClick(window.ready_page.ready_button, Qt.Key.Key_F12)
        view = window.call_view
        # Progressive: dialled as soon as the case is claimed; the respondent answers.
        qtbot.waitUntil(lambda: view.phone_stage == "answered", timeout=WAIT)
        assert "通话中" in view.phone_label.text() and view.hang_up_button.isEnabled()
        qtbot.keyClick(view, Qt.Key.Key_F9)
        qtbot.waitUntil(lambda: window.state == "interview", timeout=WAIT)
        # The respondent hangs up (their 3 s of speech end); the interviewer codes it.
        qtbot.waitUntil(lambda: window.call_result is not None, timeout=WAIT)
        assert window.call_result.outcome == "answered"
        # The GUI thread never waited on the call: its event loop kept turning.
        assert gaps.stop() < MAX_GAP_S, f"the window froze {gaps.worst:.3f} s"
        qtbot.keyClick(window.interview_page, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: window.hangup_box is not None, timeout=WAIT)
        [breakoff] = [b for b in window.hangup_box.buttons() if "2.12" in b.text()]
        breakoff.click()
        qtbot.waitUntil(lambda: window.state == "ready" and window.tasks.pending == 0,
                        timeout=WAIT)
    attempt = attempt_of(store)
    assert (attempt.disposition, attempt.machine_outcome, attempt.sip_status,
            attempt.proposed_disposition) == ("2.12", "answered", 200, None)
    talk_s = (attempt.hung_up_at - attempt.answered_at).total_seconds()
    assert abs(talk_s - 3.0) < 0.5
    with store.unit(immediate=False) as session:
        [row] = session.scalars(select(Recording)).all()
        assert row.attempt_id == attempt.id
    path = Path(row.path)
    assert path.parent.parent.parent == recordings
    assert path.name == f"attempt-{attempt.id}.wav" and path.parent.parent.name == "PHONE"
    assert path.stat().st_size == row.size
    assert abs(row.duration_s - talk_s) < 0.5
    assert channel_rms(path, 1) > SPEECH_RMS  # the respondent's side holds their speech
    assert list((recordings / ".incoming").iterdir()) == []


def test_the_call_screen_during_a_ringing_call_drawn_on_x(tmp_path):
    """tests/ui_call_ringing_child.py on an Xvfb server: a real call rings 3 s; the screen
    says so, Hang up is live, Dial is not, and the picture is the window's size."""
    import os
    import subprocess
    import sys

    from test_ui_screenshots import Xvfb

    server = Xvfb(tmp_path / "xvfb.log")
    problem = server.start()
    try:
        assert not problem, problem
        env = {**os.environ, "DISPLAY": server.display, "QT_QPA_PLATFORM": "xcb",
               "CATI_DATA_DIR": str(tmp_path / "data")}
        done = subprocess.run(
            [sys.executable, str(Path(__file__).with_name("ui_call_ringing_child.py")),
             str(tmp_path / "shots"), "--ring", "3"], env=env, capture_output=True, text=True,
            timeout=90, check=False, stdin=subprocess.DEVNULL)
    finally:
        server.stop()
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["platform"] == "xcb" and report["stage"] == "ringing"
    assert report["phone_text"].startswith("振铃 3 秒")
    assert report["hang_up_enabled"] and not report["dial_enabled"]
    assert report["size"][0] >= 1100 and Path(report["file"]).stat().st_size > 10_000


def test_a_calls_outcome_whose_reply_was_lost_gets_its_call_once(store, tmp_path):
    """The journal's replay of an outcome that had landed (its reply lost with the network)
    still stores the call on the attempt, and its recording under the attempt; once."""
    import datetime as dt

    from cati.backend import Backend
    from cati.calling.outcomes import record_outcome
    from cati.calling.queue import claim_next_case
    from cati.journal import WRITTEN
    from cati.services.recordings import CallFacts, FinishedCall
    from cati.telephony.baresip import AgentOptions, BaresipAgent
    from cati.telephony.call import place_call

    with store.unit(immediate=False) as session:
        project_id = session.scalar(select(Case.project_id))
        from cati.storage.models import User
        user_id = session.scalar(select(User.id).where(User.username == "zhou"))
    backend = Backend(store.url, "ws-journal")
    claimed = claim_next_case(store, project_id, "ws-journal", interviewer_id=user_id)
    speech = speech_wav(tmp_path, name="respondent.wav", seconds=1.5)
    recordings = tmp_path / "recordings"
    with Respondent("auto", play=speech, user=DIGITS) as respondent, \
            BaresipAgent(AgentOptions(record=True)) as agent:
        result = place_call(agent, f"sip:{DIGITS}@127.0.0.1:{respondent.agent.sip_port}",
                            record_to=recordings / ".incoming" / "call-1.wav")
    assert result.outcome == "answered" and result.recording is not None
    call = FinishedCall(CallFacts.from_result(result), result.recording.path, "PHONE")
    started = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    entry = backend.journal.add(backend.journal_key, "outcome", workstation="ws-journal",
                                payload={"code": "2.12", "note": "",
                                         "started_at": started.isoformat(),
                                         "call": call.as_json()},
                                case_id=claimed.case_id, user_id=user_id,
                                now=dt.datetime.now(dt.UTC))
    record_outcome(store, claimed.case_id, "ws-journal", "2.12", interviewer_id=user_id,
                   started_at=started)  # the commit that landed
    assert backend.write_journal().waiting == 0
    assert backend.journal.get(entry.id).state == WRITTEN
    attempt = attempt_of(store)
    assert (attempt.machine_outcome, attempt.sip_status) == ("answered", 200)
    with store.unit(immediate=False) as session:
        [row] = session.scalars(select(Recording)).all()
    assert Path(row.path).name == f"attempt-{attempt.id}.wav" and Path(row.path).is_file()
    assert backend.write_journal().waiting == 0  # nothing left to replay: stored once
    backend.close()


def test_an_appointment_mid_call_hangs_up_then_stores_the_call(qtbot, store, window_of,
                                                              tmp_path):
    """The respondent asks to be called later: F10 while talking; the window hangs up the line
    itself, waits for the call's end, then books, with the call and its recording attached."""
    import datetime as dt

    update_phone_settings(store, None, "PHONE", record_calls=True)
    speech = speech_wav(tmp_path, name="respondent.wav", seconds=20)
    with Respondent("auto", play=speech, user=DIGITS) as respondent:
        seat_settings(respondent, tmp_path / "recordings", "progressive")
        window = window_of(store)
        qtbot.keyClick(window.ready_page.ready_button, Qt.Key.Key_F12)
        view = window.call_view
        qtbot.waitUntil(lambda: view.phone_stage == "answered", timeout=WAIT)
        qtbot.wait(1500)  # a moment of talk
        qtbot.keyClick(view, Qt.Key.Key_F10)
        qtbot.waitUntil(lambda: view.appointment_dialog is not None, timeout=WAIT)
        dialog = view.appointment_dialog
        start = dialog.local_window()[0] + dt.timedelta(days=1)
        dialog.set_local_window(start, start + dt.timedelta(hours=1))
        dialog.accept()
        window.activateWindow()
        qtbot.waitUntil(lambda: window.state == "ready" and window.tasks.pending == 0,
                        timeout=WAIT)
    attempt = attempt_of(store)
    assert (attempt.disposition, attempt.machine_outcome, attempt.sip_status) == (
        None, "answered", 200)
    talk_s = (attempt.hung_up_at - attempt.answered_at).total_seconds()
    assert 1.0 < talk_s < 10  # hung up by the window, long before the respondent's 20 s
    with store.unit(immediate=False) as session:
        [row] = session.scalars(select(Recording)).all()
    assert row.attempt_id == attempt.id and abs(row.duration_s - talk_s) < 0.5


@pytest.mark.postgres
def test_the_interviewers_own_login_stores_the_call_and_its_recording(qtbot, pg_url, run_cli,
                                                                      tmp_path, monkeypatch):
    """A room of workstations: the window connects as the interviewer's own PostgreSQL login
    (row-level security), and still stores its attempt's call and recording; the path is
    the supervisor's to read."""
    from test_pg_security import PASSWORDS, Centre

    from cati.services.recordings import recordings
    from cati.services.sample_import import import_sample

    monkeypatch.setenv("CATI_DATA_DIR", str(tmp_path / "data"))
    centre = Centre(pg_url, run_cli)
    lin = Database(centre.url("lin"))
    ivan = Database(centre.url("ivan"))
    owner = Database(centre.url())
    app = None
    try:
        (tmp_path / "list.csv").write_text("电话\n13900000001\n", encoding="utf-8")
        assert import_sample(lin, "SAFE", tmp_path / "list.csv").imported == 1
        update_phone_settings(owner, None, "SAFE", record_calls=True)
        speech = speech_wav(tmp_path, name="respondent.wav", seconds=2)
        with Respondent("auto", play=speech, user="13900000001") as respondent:
            seat_settings(respondent, tmp_path / "recordings", "progressive")
            settings = QSettings(str(tmp_path / "cati.ini"), QSettings.Format.IniFormat)
            settings.setValue("interview/auto_next_seconds", 0)
            app = CatiApp(centre.url("ivan"), settings=settings, workstation="ws-ivan",
                          speech=False)
            qtbot.addWidget(app.login)
            app.login.show()
            qtbot.waitUntil(app.login.button.isEnabled, timeout=WAIT)
            qtbot.keyClicks(app.login.username, "ivan")
            qtbot.keyClicks(app.login.password, PASSWORDS["ivan"])
            qtbot.keyClick(app.login.password, Qt.Key.Key_Return)
            qtbot.waitUntil(lambda: app.main_window is not None, timeout=WAIT)
            window = app.main_window
            qtbot.addWidget(window)
            qtbot.waitUntil(lambda: window.state == "ready" and window.phone_on, timeout=WAIT)
            qtbot.keyClick(window.ready_page.ready_button, Qt.Key.Key_F12)
            view = window.call_view
            qtbot.waitUntil(lambda: view.phone_stage == "answered", timeout=WAIT)
            qtbot.waitUntil(lambda: view.phone_stage == "ended", timeout=WAIT)  # hung up
            qtbot.keyClick(view, Qt.Key.Key_F3)  # the respondent refused (2.112)
            qtbot.waitUntil(lambda: window.state == "ready" and window.tasks.pending == 0,
                            timeout=WAIT)
        with lin.unit(immediate=False) as session:
            [attempt] = session.scalars(select(CallAttempt)).all()
        assert (attempt.disposition, attempt.machine_outcome, attempt.sip_status) == (
            "2.112", "answered", 200)
        [row] = recordings(lin, _user_id(lin, "lin"))
        assert row.attempt_id == attempt.id and Path(row.path).is_file()
    finally:
        if app is not None:
            phone = app.main_window.softphone if app.main_window is not None else None
            if app.main_window is not None:
                app.main_window.close()
            if phone is not None:
                phone.join(10)
            app.shutdown()
        for database in (lin, ivan, owner):
            database.dispose()
        centre.drop()


def _user_id(database: Database, name: str) -> int:
    from cati.storage.models import User

    with database.unit(immediate=False) as session:
        return session.scalar(select(User.id).where(User.username == name))


def test_a_web_handover_leaves_no_call_behind_for_the_next_case(qtbot, store, window_of,
                                                               tmp_path):
    """F11 mid-call: the respondent takes the web link; the window hangs the line up when it
    moves on, the first call's recording (no attempt holds it) is not kept, and the next
    case's call is its own: a number the far end does not know proposes 4.31."""
    from cati.storage.models import Project

    update_phone_settings(store, None, "PHONE", record_calls=True)
    with store.unit() as session:
        project = session.scalars(select(Project)).one()
        project.settings = {**project.settings, "web_url": "https://survey.example.cn"}
        first = session.scalars(select(Case)).one()
        session.execute(insert(Case), [{
            "project_id": project.id, "phone_e164": "+8613812345679", "state": "fresh",
            "attempts": 0, "priority": 0, "stratum": "古槐街道", "attributes": {},
            "time_zone": first.time_zone, "draw": 1}])
    speech = speech_wav(tmp_path, name="respondent.wav", seconds=20)
    recordings = tmp_path / "recordings"
    with Respondent("auto", play=speech, user=DIGITS) as talker:
        seat_settings(talker, recordings, "progressive")
        window = window_of(store)
        qtbot.keyClick(window.ready_page.ready_button, Qt.Key.Key_F12)
        view = window.call_view
        qtbot.waitUntil(lambda: view.phone_stage == "answered", timeout=WAIT)
        first_case = window.case.case_id
        qtbot.keyClick(view, Qt.Key.Key_F11)
        qtbot.waitUntil(lambda: window.web_confirm is not None, timeout=WAIT)
        [make] = [b for b in window.web_confirm.buttons() if b.text() == "生成链接"]
        make.click()
        qtbot.waitUntil(lambda: window.web_dialog is not None, timeout=WAIT)
        window.web_dialog.accept()
        window.activateWindow()
        qtbot.waitUntil(lambda: window.state == "ready" and window.tasks.pending == 0,
                        timeout=WAIT)
        # The next case at once, while the first line may still be closing.
        qtbot.keyClick(window.ready_page.ready_button, Qt.Key.Key_F12)
        qtbot.waitUntil(lambda: window.state == "call", timeout=WAIT)
        assert window.case.case_id != first_case
        qtbot.waitUntil(lambda: view.phone_stage == "ended", timeout=WAIT)
        assert window.call_result.uri.startswith("sip:13812345679@")
        assert view.proposed == "4.31" and "404" in view.phone_label.text()
        qtbot.keyClick(view.outcome_buttons["4.31"], Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: window.state == "ready" and window.tasks.pending == 0,
                        timeout=WAIT)
    with store.unit(immediate=False) as session:
        attempts = {a.case_id: a for a in session.scalars(select(CallAttempt))}
        assert session.scalars(select(Recording)).all() == []
    assert attempts[first_case].machine_outcome is None  # the web link's attempt
    [second] = [a for k, a in attempts.items() if k != first_case]
    assert (second.disposition, second.machine_outcome, second.sip_status) == (
        "4.31", "not_found", 404)
    qtbot.waitUntil(lambda: list((recordings / ".incoming").glob("*.wav")) == [],
                    timeout=WAIT)
