#!/usr/bin/env python3
"""The chaos run: simulated interviewers calling while real faults are injected at random
(seeded) times, on SQLite and on PostgreSQL. Prints one JSON line per backend on stdout
(progress on stderr); exits 1 when a check fails, 2 when faketime is missing.

For each backend a fresh store gets the demo project (calling hours all day, so that the run
works whatever the hour) and --cases numbers. --interviewers simulated interviewers, each a
process of its own (this script run with --as-interviewer), then call for --seconds of real
time as the interviewer window does: they claim with the services' defaults (the window's own
clock, the standard 10-minute lease), dial (an outcome drawn as `cati simulate` draws it),
interview on answered calls (a random valid path through the form, every answer saved), and
record the outcome; work goes --speed times faster than real time, the timestamps are real.
Meanwhile, at random times:

  kills                 an interviewer process is killed (SIGKILL) mid-work, and started again
                        under the same workstation name: its first claim takes back the case it
                        held (the window's take-back after a crash) and resumes the interview
  restarts              (PostgreSQL) the server is stopped at once (immediate shutdown: every
                        connection cut) and started again after 1-2 s
  clock_skews           interviewers whose process runs under libfaketime 11 minutes fast or
                        slow ("faketime -f +11m" / "-11m"; the apt package faketime) for the
                        whole run; a lease must not trust a workstation's clock
  imports_during_calls  `cati sample import` of a generated phone list (CSV or XLSX of
                        --import-rows rows, a tenth of them rejects) while the interviewers
                        call; imports_done / imports_failed: those that finished / ended with
                        an error (one line when a server restart cut them: allowed)
  imports_killed        imports killed (SIGKILL) mid-way: the first ones are killed 0.5 s to about
                        an import's length in, until one has been killed before it finished

Each interviewer process keeps a journal (one JSON line per event, written after the event's
commit returned, and before a call's outcome is recorded: its intent), which a SIGKILL does not
lose. After every process has stopped (the interviewers finish their current case when told to
stop; a replacement first takes back its predecessor's case) the store is checked against it:

  lost              acknowledged work missing from the store: attempts recorded but not
                    stored, answers saved but not stored as saved, rows of a finished import
                    missing
  doubled           attempts stored more often than recorded (an attempt whose recording was
                    cut by a kill, journalled as an intent, may be stored once)
  duplicate         a case held by two workstations at once: for each case, the spans from a
                    claim to the last acknowledged write of the call (on the kernel's uptime,
                    which faketime leaves alone) overlapping between two workstation
                    names; plus cases with two phone interviews in progress at the end
  leases_lost       calls dropped because the case was no longer held. No holder here stalls
                    for a lease's length, so every lost lease is a case taken from a workstation
                    still working on it (a skewed clock): a failure
  stuck             after everything stopped: cases still leased, and phone interviews in
                    progress whose case will not be offered again (not leased, not in an open
                    state); `left_open` counts the in-progress ones the queue offers again
                    (informational: mostly break-offs, which stay open to be resumed)
  partial_imports   cases of a killed import that the sample shows (the sample browser's count)
                    or that an interviewer was handed
  errors            tracebacks in any process's stderr (a traceback is always a bug; a one-line
                    error from an injected fault, e.g. an import cut by a server restart, is fine)
  interviewer_errors  simulated interviewers stopped by a one-line error (e.g. "database is
                    locked" while an import writes): the room must not stop; each is started
                    again
  hung              processes that did not finish within two minutes of being told to stop
  import_temp_files_left  files the imports left in their temporary folder (informational)

and must all be 0, with every planned kill, restart and killed import done, for "ok": true.

Usage: scripts/chaos.py [--backend sqlite|postgres|both] [--interviewers 6] [--cases 3000]
                        [--seconds 120] [--speed 20] [--kills 4] [--restarts 2] [--skews 2]
                        [--imports 3] [--import-rows 30000] [--seed 1] [--keep]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.util
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # pg_server: a PostgreSQL server of the script's own

PYTHON = sys.executable
SKEWS = ("+11m", "-11m")
IMPORT_PREFIX = "166"  # a mobile prefix the demo numbers never use: the imports' own numbers
IMPORT_ROWS_PER_SECOND = 2500  # about how fast an import goes here while the room calls
STOP_TIMEOUT = 120.0
TRACEBACK = "Traceback (most recent call last)"
CHECKS = ("lost", "doubled", "duplicate", "leases_lost", "stuck", "partial_imports", "errors",
          "interviewer_errors", "hung")  # each must be 0


def log(message: str) -> None:
    print(f"[chaos {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- the simulated interviewer (its own process) -----------------------------------------------
def real_time() -> float:
    """Seconds since boot from /proc/uptime: one clock for every process, which libfaketime
    leaves alone (it fakes every clock_gettime clock, the monotonic ones included; and with
    DONT_FAKE_MONOTONIC Python's time.sleep fails with EINVAL). 10 ms steps: a claim that
    returned before a write started is only seen so when its reading is lower, so a coarse
    reading can hide an overlap but never make one up."""
    with open("/proc/uptime", encoding="ascii") as uptime:
        return float(uptime.read().split()[0])


class Journal:
    """One JSON line per event, written through to the operating system at once: a SIGKILL of
    the process keeps every line written before it. ``t`` is when the line was written."""

    def __init__(self, path: str) -> None:
        self._out = open(path, "a", encoding="utf-8")  # noqa: SIM115 (open for the process)

    def write(self, event: str, **fields) -> None:
        fields.update(e=event, t=real_time())
        self._out.write(json.dumps(fields, ensure_ascii=False, default=str) + "\n")
        self._out.flush()


class Interviewer:
    """The window's calls into the services, with the window's defaults (its own clock, the
    standard lease), each retried while the database is away as `cati simulate` retries."""

    def __init__(self, spec: dict) -> None:
        from cati.storage.db import Database

        self.database = Database(spec["url"])
        self.project_id, self.user_id = spec["project_id"], spec["user_id"]
        self.workstation, self.speed = spec["workstation"], spec["speed"]
        self.stop_file = Path(spec["stop_file"])
        self.rng = random.Random(spec["seed"])
        self.journal = Journal(spec["journal"])
        self.forms: dict[int, object] = {}

    def run(self, fn, again=None):
        from cati.storage.retry import GIVE_UP_AFTER, retry_on_disconnect

        return retry_on_disconnect(fn, give_up_after=GIVE_UP_AFTER, again=again)

    def spend(self, seconds: float) -> None:
        time.sleep(seconds / self.speed)

    def shift(self) -> None:
        """Calls until told to stop; the first claim takes back a case held before a crash."""
        from cati.calling.outcomes import LeaseLost
        from cati.calling.simulate import IDLE_SECONDS, _draw

        self.journal.write("start", workstation=self.workstation, pid=os.getpid())
        first = True
        while first or not self.stop_file.exists():
            case = self.claim(take_back=first)
            first = False
            if case is None:
                self.spend(IDLE_SECONDS)
                continue
            self.journal.write("claim", case=case.case_id, source=case.source)
            started_at = self.now()
            interview_id = self.open_interview_of(case.case_id)
            code, seconds = _draw(self.rng)
            try:
                if code == "answer" or interview_id is not None:
                    code, interview_id = self.interview(case.case_id)
                else:
                    self.spend(seconds)
                self.record(case.case_id, code, started_at, interview_id)
            except LeaseLost:
                self.journal.write("lease_lost", case=case.case_id)
        self.journal.write("end")
        self.database.dispose()

    @staticmethod
    def now() -> dt.datetime:
        from cati.services.clock import utc_now

        return utc_now()

    def claim(self, take_back: bool):
        from cati.calling.queue import claim_next_case

        def claim(back: bool = take_back):
            return claim_next_case(self.database, self.project_id, self.workstation,
                                   interviewer_id=self.user_id, take_back=back)

        # A claim whose reply was lost may hold a case already: take it back first.
        return self.run(claim, again=lambda: claim(True))

    def open_interview_of(self, case_id: int) -> int | None:
        """The case's phone interview in progress (one left by a crash): the window resumes it."""
        from sqlalchemy import select

        from cati.storage.models import Interview

        def find():
            with self.database.unit(immediate=False) as session:
                return session.scalar(select(Interview.id).where(
                    Interview.case_id == case_id, Interview.state == "in_progress",
                    Interview.mode == "phone").limit(1))
        return self.run(find)

    def record(self, case_id: int, code: str, started_at: dt.datetime,
               interview_id: int | None) -> None:
        from sqlalchemy import select

        from cati.calling.outcomes import record_outcome
        from cati.storage.models import CallAttempt

        def record() -> None:
            record_outcome(self.database, case_id, self.workstation, code,
                           interviewer_id=self.user_id, started_at=started_at,
                           interview_id=interview_id)

        def record_unless_stored() -> None:
            with self.database.unit(immediate=False) as session:
                stored = session.scalar(select(CallAttempt.id).where(
                    CallAttempt.case_id == case_id, CallAttempt.workstation == self.workstation,
                    CallAttempt.started_at == started_at).limit(1))
            if stored is None:
                record()

        key = {"case": case_id, "started": started_at.isoformat(), "code": code}
        self.journal.write("intent", **key)
        t0 = real_time()
        self.run(record, again=record_unless_stored)
        self.journal.write("attempt", t0=t0, **key)

    def interview(self, case_id: int) -> tuple[str, int]:
        """A random valid path through the form (as `cati simulate` plays it), every answer
        saved and journalled, the lease renewed after each."""
        from cati.calling.outcomes import LeaseLost
        from cati.calling.queue import renew_lease
        from cati.calling.simulate import BREAK_OFF_SHARE, SECONDS_PER_ANSWER
        from cati.questionnaire.engine import InterviewEngine
        from cati.questionnaire.walk import _candidate, _numbers_in_form
        from cati.services.interviews import open_interview

        info = self.run(lambda: open_interview(
            self.database, self.project_id, case_id=case_id, interviewer_id=self.user_id,
            workstation=self.workstation))
        form = self.form(info.questionnaire_id)
        engine = InterviewEngine.resume(form, info.answers, seed=info.seed, clock=self.now,
                                        at=info.current_item, context=info.context)
        numbers, rng = _numbers_in_form(form), self.rng
        breaks_off = rng.random() < BREAK_OFF_SHARE
        while not engine.finished and (item := engine.current_item) is not None:
            if breaks_off and rng.random() < 0.15:
                break
            value = _candidate(engine, item, rng, numbers, 0) if item.is_question else None
            if engine.answer(value) is not None and \
                    engine.answer(_candidate(engine, item, rng, numbers, 50)) is not None:
                break  # no acceptable answer drawn: the respondent gives up
            changes = engine.take_changes()
            current = engine.current_item
            t0 = real_time()
            saved = self.save(info.id, case_id, changes, current.name if current else None)
            self.journal.write("answers", case=case_id, interview=info.id, t0=t0,
                               answers=dict(engine.answers))
            if saved.quota_full:
                return "4.80", info.id
            t0 = real_time()
            if not self.run(lambda: renew_lease(self.database, case_id, self.workstation)):
                raise LeaseLost(f"case {case_id} is no longer held")
            self.journal.write("held", case=case_id, t0=t0)
            self.spend(SECONDS_PER_ANSWER)
        if not engine.finished:
            return ("1.2" if len(engine.answers) > 10 else "2.12"), info.id
        return engine.outcome.disposition or "1.1", info.id

    def save(self, interview_id: int, case_id: int, changes: dict, current_item: str | None):
        from sqlalchemy import select

        from cati.calling.outcomes import LeaseLost
        from cati.errors import CatiError
        from cati.services.interviews import save_answers
        from cati.storage.models import Case

        try:
            return self.run(lambda: save_answers(self.database, interview_id, changes,
                                                 current_item=current_item,
                                                 user_id=self.user_id,
                                                 workstation=self.workstation))
        except LeaseLost:
            raise
        except CatiError as error:  # an interview another workstation closed meanwhile
            def holder():
                with self.database.unit(immediate=False) as session:
                    return session.scalar(select(Case.lease_holder).where(Case.id == case_id))
            if self.run(holder) == self.workstation:
                raise
            raise LeaseLost(str(error)) from error

    def form(self, questionnaire_id: int):
        from cati.services.questionnaires import form_of

        def read():
            with self.database.unit(immediate=False) as session:
                return form_of(session, questionnaire_id)

        if questionnaire_id not in self.forms:
            self.forms[questionnaire_id] = self.run(read)
        return self.forms[questionnaire_id]


def interviewer_main(spec_json: str) -> int:
    """The body of one interviewer process: a one-line error (exit 1) for a CatiError, as the
    window shows one; anything else is a bug and keeps its traceback."""
    from cati.errors import CatiError

    interviewer = Interviewer(json.loads(spec_json))
    try:
        interviewer.shift()
    except CatiError as error:
        interviewer.journal.write("error", message=str(error))
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


# -- the store ---------------------------------------------------------------------------------
def load_soak():
    """scripts/soak.py as a module (its PostgreSQL preparation: synchronous commits)."""
    spec = importlib.util.spec_from_file_location("soak", ROOT / "scripts" / "soak.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def prepare(url: str, is_postgres: bool, cases: int, interviewers: int) -> tuple[int, list[int]]:
    """The schema, the demo project with ``cases`` numbers, calling hours all day (the run
    works at any hour) and the accounts sim1 … simN; returns (project id, user ids)."""
    from sqlalchemy import select

    from cati.calling.hours import CallingHours
    from cati.calling.simulate import _simulated_accounts
    from cati.services.admin import calling_hours_json
    from cati.services.demo import DEMO_CODE, create_demo
    from cati.storage.db import Database
    from cati.storage.models import Project

    if is_postgres:
        load_soak().prepare(url, cases)
    database = Database(url)
    try:
        if not is_postgres:
            database.upgrade()
            with database.unit() as session:
                create_demo(session, cases=cases)
        with database.unit() as session:
            project = session.scalar(select(Project).where(Project.code == DEMO_CODE))
            all_day = CallingHours.every_day([(dt.time(0), dt.time(0))])
            project.settings = {**(project.settings or {}),
                                "calling_hours": calling_hours_json(all_day)}
            users = _simulated_accounts(session, interviewers)
            return project.id, users
    finally:
        database.dispose()


def write_phone_list(path: Path, number: int, rows: int) -> None:
    """A phone list of ``rows`` rows, as CSV or XLSX by the path's suffix: numbers of its own
    (166 + the list's number + a serial), with a rejects report to write as real lists have
    (every 10th row not a number, every 50th a repeat of the row before)."""
    def lines():
        for n in range(rows):
            if n % 10 == 9:
                yield f"no number {n}", f"chaos {number}-{n}"
            else:
                serial = n - 1 if n % 50 == 49 else n
                yield f"{IMPORT_PREFIX}{number:02d}{serial:06d}", f"chaos {number}-{n}"

    header = ("phone", "name")
    if path.suffix == ".csv":
        with path.open("w", encoding="utf-8", newline="") as out:
            out.write(",".join(header) + "\n")
            out.writelines(f"{phone},{name}\n" for phone, name in lines())
        return
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("list")
    sheet.append(header)
    for line in lines():
        sheet.append(line)
    book.save(path)


# -- the processes -----------------------------------------------------------------------------
@dataclass
class Child:
    """A process the run started (in a process group of its own), and its stderr file."""

    kind: str  # interviewer | import
    name: str
    process: subprocess.Popen
    stdout: Path
    stderr: Path
    number: int = 0  # the interviewer's workstation number
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None  # when the run saw it end
    killed: bool = False
    stopped: bool = False  # reaped and accounted for

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL to its process group (a faketime wrapper and its Python, an import and its
        pool of checkers) while it runs: once reaped, its id may belong to another process."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


class Room:
    """Every process of one run; ``close`` stops all that still run (also on Ctrl-C)."""

    def __init__(self, work: Path, url: str, project_id: int, users: list[int],
                 speed: float, seed: int) -> None:
        self.work, self.url, self.project_id, self.users = work, url, project_id, users
        self.speed, self.seed = speed, seed
        self.stop_file = work / "stop"
        self.import_tmp = work / "tmp"
        self.import_tmp.mkdir()
        self.children: list[Child] = []
        self.skews: dict[str, str] = {}  # workstation -> faketime offset
        self.runs: Counter = Counter()  # processes started per workstation

    def _start(self, kind: str, name: str, command: list[str], env: dict | None = None,
               number: int = 0) -> Child:
        stdout, stderr = self.work / f"{name}.stdout", self.work / f"{name}.stderr"
        with stdout.open("ab") as out, stderr.open("ab") as err:
            process = subprocess.Popen(command, stdout=out, stderr=err,
                                       stdin=subprocess.DEVNULL, cwd=ROOT,
                                       env={**os.environ, **(env or {})},
                                       start_new_session=True)
        child = Child(kind, name, process, stdout, stderr, number)
        self.children.append(child)
        return child

    def start_interviewer(self, number: int) -> Child:
        workstation = f"chaos-ws{number}"
        self.runs[workstation] += 1
        run = self.runs[workstation]
        spec = {"url": self.url, "project_id": self.project_id, "user_id": self.users[number - 1],
                "workstation": workstation, "speed": self.speed,
                "seed": self.seed * 10_000 + number * 100 + run,
                "stop_file": str(self.stop_file),
                "journal": str(self.work / f"journal-{workstation}-{run}.jsonl")}
        command = [PYTHON, str(Path(__file__).resolve()), "--as-interviewer", json.dumps(spec)]
        env = {"PYTHONUNBUFFERED": "1"}
        if workstation in self.skews:
            command = ["faketime", "-f", self.skews[workstation], *command]
        return self._start("interviewer", f"{workstation}-{run}", command, env, number)

    def start_import(self, number: int, path: Path) -> Child:
        command = [PYTHON, "-m", "cati", "--db", self.url, "sample", "import", "--project",
                   "DEMO", "--phone-column", "phone", "--rejects",
                   str(self.work / f"rejects-{number}.xlsx"), "--json", str(path)]
        # A temporary folder of the run's own: what a killed import leaves there is counted.
        return self._start("import", f"import-{number}", command,
                           {"TMPDIR": str(self.import_tmp)})

    def interviewers(self) -> list[Child]:
        return [c for c in self.children if c.kind == "interviewer" and not c.stopped]

    def close(self) -> None:
        for child in self.children:
            child.kill()
            child.stopped = True


# -- the faults --------------------------------------------------------------------------------
@dataclass
class Tally:
    kills: int = 0
    restarts: int = 0
    clock_skews: int = 0
    imports_during_calls: int = 0
    imports_done: int = 0
    imports_failed: int = 0  # one-line errors (e.g. the server restarted under it)
    imports_killed: int = 0
    interviewer_errors: int = 0
    hung: int = 0
    killed_lists: list[int] = field(default_factory=list)
    done_lists: dict[int, int] = field(default_factory=dict)  # list number -> rows imported


def plan(rng: random.Random, seconds: float, kills: int, restarts: int,
         imports: int) -> list[tuple[float, str]]:
    """(time from the start, fault) for the run, inside its first 80 % (the last stretch shows
    the room working on after the faults)."""
    events = [(rng.uniform(0.1, 0.8) * seconds, "kill") for _ in range(kills)]
    events += [(rng.uniform(0.15, 0.75) * seconds, "restart") for _ in range(restarts)]
    events += [(rng.uniform(0.05, 0.6) * seconds, "import") for _ in range(imports)]
    return sorted(events)


def run_faults(room: Room, server, rng: random.Random, events: list[tuple[float, str]],
               lists: list[Path], seconds: float, cut_within: float, tally: Tally) -> None:
    """Carry out the planned faults while watching the processes, until the run's time is up
    and every import has ended. An interviewer that stopped on its own (an error) is started
    again. Imports are cut 0.5 to ``cut_within`` s in (anywhere from reading the file to
    the final write) until one has been killed before it finished (one more
    import is started when all planned ones finished first)."""
    began = time.monotonic()
    pending = list(events)
    imports: list[tuple[Child, int, float | None]] = []  # (child, list number, kill time)

    def armed() -> bool:  # the next import is to be killed
        return not tally.imports_killed and not any(c.alive and cut for c, _, cut in imports)

    while time.monotonic() - began < seconds or any(c.alive for c, _, _ in imports):
        now = time.monotonic() - began
        while pending and pending[0][0] <= now:
            fault = pending.pop(0)[1]
            if fault == "kill":
                kill_interviewer(room, rng, tally)
            elif fault == "restart" and server is not None:
                log("PostgreSQL: immediate shutdown")
                server.stop()
                time.sleep(rng.uniform(1.0, 2.0))
                server.start()
                tally.restarts += 1
                log("PostgreSQL: started again")
            elif fault == "import" and len(imports) < len(lists):
                number = len(imports)
                cut = time.monotonic() + rng.uniform(0.5, cut_within) if armed() else None
                log(f"import of {lists[number].name}" + (" (to be killed)" if cut else ""))
                imports.append((room.start_import(number, lists[number]), number, cut))
                tally.imports_during_calls += 1
        for child, number, cut in imports:
            if child.ended is None and not child.alive:
                child.ended = time.monotonic()
                log(f"{child.name} ended (exit {child.process.returncode}) after "
                    f"{child.ended - child.started:.1f} s")
            if cut is not None and child.alive and time.monotonic() >= cut:
                log(f"kill -9 {child.name}")
                child.killed = True
                child.kill()
                tally.imports_killed += 1
                tally.killed_lists.append(number)
        if (imports and len(imports) < len(lists) and not tally.imports_killed
                and not any(c.alive for c, _, _ in imports)
                and not any(f == "import" for _, f in pending) and now < seconds):
            pending.insert(0, (now, "import"))  # every import so far finished before its cut
        for child in room.interviewers():
            if not child.alive:
                child.stopped = True
                tally.interviewer_errors += 1
                log(f"{child.name} stopped (exit {child.process.returncode}): "
                    f"{_last_line(child.stderr)}; started again")
                room.start_interviewer(child.number)
        time.sleep(0.05)
    for child, number, _ in imports:
        child.stopped = True
        if child.killed:
            continue
        if child.process.returncode == 0:
            tally.imports_done += 1
            tally.done_lists[number] = _imported(child)
        else:
            tally.imports_failed += 1
            log(f"{child.name} failed: {_last_line(child.stderr)}")


def kill_interviewer(room: Room, rng: random.Random, tally: Tally) -> None:
    """SIGKILL one running interviewer at random, and start its workstation again (the
    interviewer opens the window again after a short while)."""
    victims = [c for c in room.interviewers() if c.alive]
    if not victims:
        return
    victim = rng.choice(victims)
    log(f"kill -9 {victim.name}")
    victim.killed = True
    victim.kill()
    victim.stopped = True
    tally.kills += 1
    time.sleep(rng.uniform(0.5, 2.0))
    room.start_interviewer(victim.number)


def _imported(child: Child) -> int:
    """The rows an import reported as imported (its --json line)."""
    for line in reversed(child.stdout.read_text(errors="replace").splitlines()):
        with contextlib.suppress(ValueError):
            figures = json.loads(line)
            if isinstance(figures, dict) and "imported" in figures:
                return int(figures["imported"])
    return -1


def _last_line(path: Path) -> str:
    lines = path.read_text(errors="replace").strip().splitlines()
    return lines[-1] if lines else ""


def stop_interviewers(room: Room, tally: Tally) -> None:
    """Tell every interviewer to stop after its current case; kill those that do not."""
    room.stop_file.touch()
    deadline = time.monotonic() + STOP_TIMEOUT
    for child in room.interviewers():
        try:
            child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log(f"{child.name} did not stop: killed")
            tally.hung += 1
            child.kill()
        if child.process.returncode not in (0, -signal.SIGKILL) and not child.killed:
            tally.interviewer_errors += 1
        child.stopped = True


# -- the checks --------------------------------------------------------------------------------
@dataclass
class Journals:
    """What the interviewer processes acknowledged, read back from their journals."""

    attempts: Counter = field(default_factory=Counter)  # (case, ws, started, code) recorded
    intents: Counter = field(default_factory=Counter)  # recordings begun, not acknowledged
    played: dict[int, tuple[float, dict]] = field(default_factory=dict)  # interview -> latest
    holds: dict[int, list[tuple[float, float, str]]] = field(default_factory=dict)
    claimed: set[int] = field(default_factory=set)
    claims: int = 0
    taken_back: int = 0  # first claims of a restarted window that took its case back
    leases_lost: int = 0


def read_journals(work: Path) -> Journals:
    """A hold runs from a claim's return to the start of the call's last write that was
    acknowledged (a write started after another workstation's claim returned and still
    committed is a case held twice; one that committed before it started is not)."""
    found = Journals()
    for path in sorted(work.glob("journal-*.jsonl")):
        _read_journal(path, found)
    found.intents = +found.intents  # only the recordings a kill cut short
    return found


def _read_journal(path: Path, found: Journals) -> None:
    workstation = path.name.split("-", 1)[1].rsplit("-", 1)[0]
    hold: list | None = None  # [case, start, end] of the call in hand
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue  # a line cut by the kill
        kind = event["e"]
        if kind in ("answers", "held", "attempt") and hold and hold[0] == event["case"]:
            hold[2] = max(hold[2], event["t0"])
        if kind == "claim" or (kind in ("attempt", "lease_lost", "end") and hold):
            if hold is not None:
                found.holds.setdefault(hold[0], []).append((hold[1], hold[2], workstation))
            hold = [event["case"], event["t"], event["t"]] if kind == "claim" else None
        if kind == "claim":
            found.claims += 1
            found.claimed.add(event["case"])
            found.taken_back += event.get("source") == "held"
        elif kind == "intent":
            found.intents[_attempt_key(event, workstation)] += 1
        elif kind == "attempt":
            key = _attempt_key(event, workstation)
            found.attempts[key] += 1
            found.intents[key] -= 1
        elif kind == "answers":
            latest = found.played.get(event["interview"])
            if latest is None or latest[0] <= event["t"]:
                found.played[event["interview"]] = (event["t"], event["answers"])
        elif kind == "lease_lost":
            found.leases_lost += 1
    if hold is not None:  # killed mid-call
        found.holds.setdefault(hold[0], []).append((hold[1], hold[2], workstation))


def _attempt_key(event: dict, workstation: str) -> tuple:
    return (event["case"], workstation, dt.datetime.fromisoformat(event["started"]),
            event["code"])


def overlapping_holds(holds: dict[int, list[tuple[float, float, str]]]) -> int:
    """Holds of one case that began before another workstation's hold of it had ended."""
    overlaps = 0
    for spans in holds.values():
        spans.sort()
        for n, (start, _, workstation) in enumerate(spans):
            if any(other != workstation and start < end
                   for _, end, other in spans[:n]):
                overlaps += 1
    return overlaps


def check_store(url: str, project_id: int, journals: Journals, tally: Tally) -> dict:
    """The store against the journals and the imports (see the module docstring)."""
    from sqlalchemy import func, select

    from cati.services.sample_browser import count_query
    from cati.storage.db import Database
    from cati.storage.models import Answer, CallAttempt, Case, Interview

    database = Database(url)
    try:
        with database.unit(immediate=False) as session:
            stored = Counter(
                (case, workstation, started, code) for case, workstation, started, code in
                session.execute(select(CallAttempt.case_id, CallAttempt.workstation,
                                       CallAttempt.started_at, CallAttempt.disposition)
                                .where(CallAttempt.project_id == project_id,
                                       CallAttempt.workstation.like("chaos-ws%"))))
            answers: dict[int, dict[str, str]] = defaultdict(dict)
            for interview, question, value in session.execute(
                    select(Answer.interview_id, Answer.question, Answer.value)
                    .where(Answer.interview_id.in_(list(journals.played) or [-1]))):
                answers[interview][question] = value
            leased = session.scalar(select(func.count(Case.id)).where(
                Case.project_id == project_id, Case.lease_holder.is_not(None)))
            open_interviews = session.execute(
                select(Interview.case_id, Case.state, Case.lease_holder)
                .join(Case, Case.id == Interview.case_id)
                .where(Interview.project_id == project_id, Interview.mode == "phone",
                       Interview.state == "in_progress")).all()
            missing_rows = 0
            for number, imported in tally.done_lists.items():
                have = session.scalar(select(func.count(Case.id)).where(
                    Case.project_id == project_id, Case.phone_e164.like(_list_pattern(number))))
                missing_rows += max(0, imported - have) if imported >= 0 else 0
            partial = set()
            for number in tally.killed_lists:
                pattern = _list_pattern(number)
                ids = set(session.scalars(select(Case.id).where(
                    Case.project_id == project_id, Case.phone_e164.like(pattern))))
                partial |= ids & journals.claimed
                shown = session.scalar(count_query(project_id).where(
                    Case.phone_e164.like(pattern)))
                if shown:
                    partial |= ids  # the sample shows them (all, or some of them)
    finally:
        database.dispose()
    lost_answers = sum(1 for interview, (_, played) in journals.played.items()
                       for question, value in played.items()
                       if answers.get(interview, {}).get(question, "") != value)
    lost_attempts = sum((journals.attempts - stored).values())
    doubled = sum(max(0, count - journals.attempts[key] - journals.intents[key])
                  for key, count in stored.items())
    cases_open = Counter(case for case, _, _ in open_interviews)
    resumable = sum(1 for _, state, holder in open_interviews
                    if holder is None and state in ("fresh", "scheduled", "resume", "appointment"))
    return {
        "claims": journals.claims, "taken_back": journals.taken_back,
        "attempts": sum(journals.attempts.values()),
        "lost": lost_attempts + lost_answers + missing_rows, "lost_attempts": lost_attempts,
        "lost_answers": lost_answers, "lost_imported_rows": missing_rows,
        "doubled": doubled,
        "duplicate": overlapping_holds(journals.holds)
        + sum(1 for n in cases_open.values() if n > 1),
        "leases_lost": journals.leases_lost,
        "stuck": leased + len(open_interviews) - resumable, "left_open": resumable,
        "partial_imports": len(partial),
    }


def _list_pattern(number: int) -> str:
    return f"+86{IMPORT_PREFIX}{number:02d}______"


def tracebacks(room: Room) -> tuple[int, list[str]]:
    """Processes whose stderr holds a traceback, and the last line of each (for the log)."""
    found = []
    for child in room.children:
        text = child.stderr.read_text(errors="replace") if child.stderr.exists() else ""
        if TRACEBACK in text:
            found.append(f"{child.name}: {text.strip().splitlines()[-1][:200]}")
    return len(found), found


# -- one run -----------------------------------------------------------------------------------
def run_backend(backend: str, args: argparse.Namespace) -> dict:
    """One chaos run on a fresh store; every process and server it starts is stopped before
    it returns (or raises)."""
    rng = random.Random(f"{args.seed}-{backend}")
    work = Path(tempfile.mkdtemp(prefix=f"cati-chaos-{backend}."))
    server = room = None
    began = time.monotonic()
    try:
        if backend == "postgres":
            from pg_server import PgServer

            server = PgServer()
            server.start()
            url = server.url
        else:
            url = f"sqlite:///{work / 'cati.db'}"
        log(f"{backend}: the demo project with {args.cases} cases")
        project_id, users = prepare(url, backend == "postgres", args.cases, args.interviewers)
        lists = []
        for number in range(args.imports + 2 if args.imports else 0):
            path = work / f"list-{number}.{'csv' if number % 2 == 0 else 'xlsx'}"
            write_phone_list(path, number, args.import_rows)
            lists.append(path)
        room = Room(work, url, project_id, users, args.speed, args.seed)
        tally = Tally()
        for number in range(1, args.skews + 1):
            room.skews[f"chaos-ws{number}"] = SKEWS[(number - 1) % len(SKEWS)]
        tally.clock_skews = len(room.skews)
        log(f"{backend}: {args.interviewers} interviewers for {args.seconds:.0f} s "
            f"(skewed: {room.skews})")
        for number in range(1, args.interviewers + 1):
            room.start_interviewer(number)
        events = plan(rng, args.seconds, args.kills,
                      args.restarts if server is not None else 0, args.imports)
        run_faults(room, server, rng, events, lists, args.seconds,
                   max(1.0, args.import_rows / IMPORT_ROWS_PER_SECOND), tally)
        log(f"{backend}: stopping the interviewers")
        stop_interviewers(room, tally)
        room.close()
        journals = read_journals(work)
        figures = {"backend": backend, "interviewers": args.interviewers, "cases": args.cases,
                   "seconds": args.seconds, "kills": tally.kills, "restarts": tally.restarts,
                   "clock_skews": tally.clock_skews,
                   "imports_during_calls": tally.imports_during_calls,
                   "imports_done": tally.imports_done, "imports_failed": tally.imports_failed,
                   "imports_killed": tally.imports_killed}
        figures.update(check_store(url, project_id, journals, tally))
        figures["errors"], samples = tracebacks(room)
        for sample in samples:
            log(f"traceback in {sample}")
        figures["import_temp_files_left"] = sum(1 for _ in room.import_tmp.rglob("*"))
        figures["interviewer_errors"] = tally.interviewer_errors
        figures["hung"] = tally.hung
        figures["wall_s"] = round(time.monotonic() - began, 1)
        figures["ok"] = passed(figures, args, server is not None)
        failing = [f"{name}={figures[name]}" for name in CHECKS if figures[name]]
        log(f"{backend}: " + ("ok" if figures["ok"] else "NOT ok: " + " ".join(failing)))
        if args.keep:
            log(f"{backend}: kept {work}")
        return figures
    finally:
        if room is not None:
            room.close()
        if server is not None:
            server.remove()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def passed(figures: dict, args: argparse.Namespace, postgres: bool) -> bool:
    """Every planned fault happened and every check is 0."""
    return (figures["kills"] == args.kills
            and figures["restarts"] == (args.restarts if postgres else 0)
            and figures["clock_skews"] == args.skews
            and (args.imports == 0 or figures["imports_killed"] >= 1)
            and figures["claims"] > 0
            and all(figures[name] == 0 for name in CHECKS))


def _stop_on_term(_signal, _frame) -> None:
    raise KeyboardInterrupt  # the same clean-up as Ctrl-C


def main() -> int:
    if sys.argv[1:2] == ["--as-interviewer"]:
        return interviewer_main(sys.argv[2])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--interviewers", type=int, default=6)
    parser.add_argument("--cases", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=120.0, help="real seconds of calling")
    parser.add_argument("--speed", type=float, default=20.0,
                        help="how many times faster than real time the calls go")
    parser.add_argument("--kills", type=int, default=4)
    parser.add_argument("--restarts", type=int, default=2, help="(PostgreSQL only)")
    parser.add_argument("--skews", type=int, default=2,
                        help="interviewers whose clock is 11 minutes fast or slow")
    parser.add_argument("--imports", type=int, default=3)
    parser.add_argument("--import-rows", type=int, default=30_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true",
                        help="keep the work folder (journals, stderr of every process)")
    args = parser.parse_args()
    if args.interviewers < 1 or args.cases < 1 or args.seconds <= 0 or args.speed <= 0 \
            or min(args.kills, args.restarts, args.skews, args.imports) < 0 \
            or args.import_rows < 1 or args.skews >= args.interviewers:
        print("error: --interviewers, --cases, --seconds, --speed and --import-rows must be "
              "above 0, the fault counts not below 0, --skews below --interviewers",
              file=sys.stderr)
        return 1
    if args.skews and shutil.which("faketime") is None:
        print("error: faketime is missing; install it with: apt-get install faketime",
              file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _stop_on_term)
    backends = ("sqlite", "postgres") if args.backend == "both" else (args.backend,)
    try:
        results = {backend: run_backend(backend, args) for backend in backends}
    except KeyboardInterrupt:
        print("interrupted: every process and server of the run was stopped", file=sys.stderr)
        return 130
    if len(results) == 1:
        output = next(iter(results.values()))
    else:
        output = {**results, "ok": all(r["ok"] for r in results.values())}
    print(json.dumps(output, ensure_ascii=False))
    return 0 if output["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
