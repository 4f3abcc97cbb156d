"""A month of fieldwork for the demo, played through the real services.

The demo must look like a survey centre's real month, or its report, rankings and trend show
noise: a random walk through the form screens out about 3.6 respondents per complete (it answers
"are you under 18", "do you work for the courts" at random) and leaves townships with 0–6
completes. Here each call goes the way calls go:

* the claim is the queue's (:func:`cati.calling.queue.claim_next_case`) on the business clock of
  the wave's days, inside the project's calling hours, with a quota per township;
* the line: about 10% of numbers do not exist or are suspended, a call rings out, is busy or
  switched off about half the time, the rest answer; one contact in five refuses;
* the respondent is a :class:`Respondent`: an adult resident (about 7% of answered calls screen
  out: minors without an adult at home, less than a year's residence, working for the police or
  the courts — near what such surveys report), living in the township the sample lists, whose
  answers follow that township's level of safety and satisfaction. Townships differ (a spread of
  about 12 points in the safety rate) and each wave moves them a little, a few of them more, so
  the ranking, the margins and the trend show real structure;
* the interview runs on the real engine (relevance, constraints, screen-outs, the form's own
  disposition codes) and is stored by the services an interviewer's window uses:
  ``open_interview``, ``save_answers``, ``record_outcome``.

Everything is drawn from one seed: the same seed gives the same month.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import select

from cati.calling.hours import next_calling_time
from cati.calling.outcomes import record_outcome
from cati.calling.queue import claim_next_case
from cati.errors import CatiError
from cati.questionnaire.engine import InterviewEngine, case_values
from cati.questionnaire.model import Form, Item
from cati.questionnaire.walk import _candidate, _numbers_in_form
from cati.services.admin import project_calling_hours
from cati.services.interviews import open_interview, save_answers
from cati.services.presence import report_presence
from cati.services.questionnaires import form_of
from cati.services.quotas import set_quota
from cati.services.suggestions import (
    collect_suggestions,
    create_follow_up,
    list_suggestions,
    update_suggestion,
)
from cati.services.units import seed_units
from cati.storage.db import Database
from cati.storage.models import Case, Project

TIME_ZONE = "Asia/Shanghai"

# The line, per attempt, before anyone speaks: (code, share). What is left is a contact.
LINE_OUTCOMES = (("3.13", 0.30), ("3.12", 0.04), ("3.16", 0.10), ("2.22", 0.03))
DEAD_NUMBER = (("4.31", 0.07), ("4.33", 0.03))  # first call only: the number is not in service
REFUSAL = (("2.111", 0.10), ("2.112", 0.10))  # of contacts
BREAK_OFF_SHARE = 0.02
SHIFT_GAP = dt.timedelta(minutes=30)
ANSWERED_AFTER = dt.timedelta(minutes=1)  # a seat idle longer than this has ended its shift

SUGGESTIONS: Mapping[str, tuple[str, ...]] = {
    "交通管理": ("学校门口上下学时车太多,希望交警早晚来疏导", "路口红绿灯时间太短,老人过马路来不及",
                 "电动车闯红灯的太多了,要管一管", "镇上集市那天乱停车,堵得走不动",
                 "大货车晚上开得太快,希望装测速"),
    "治安管理": ("村里路灯坏了好几个月,晚上不敢出门", "希望晚上多巡逻,特别是村口那一段",
                 "小区监控太少,电动车被偷过两次", "夜市烧烤摊喝酒闹事的多,噪音扰民"),
    "公安服务": ("办身份证排队太久,希望周末也能办", "派出所办户口要跑好几趟,能不能一次办好",
                 "报警后出警有点慢,等了四十分钟"),
    "违法犯罪": ("老年人接到好多诈骗电话,多宣传防骗", "村里有人打牌赌钱,希望查一查",
                 "听说有放高利贷的,希望打击"),
    "群众求助": ("邻居宅基地纠纷闹了一年没人调解", "家里老人走失过一次,希望帮忙装定位"),
}
# Why dissatisfied: half say nothing usable (说不清楚 is no suggestion and is not collected).
UNSAT_REASONS = ("办事效率低,跑了好几趟", "反映的问题一直没有人管", "态度不太好",
                 "对法院判决执行不到位不满意", "打官司时间拖得太长", "说不清楚", "说不清楚",
                 "说不上来", "不好说", "没有")
NO_SUGGESTION = ("没有", "没有", "没有", "没有建议", "暂时没有", "挺好的,没有")
REPLIES: Mapping[str, tuple[str, ...]] = {
    "交通管理": ("已在上下学时段安排交警和护学岗疏导", "已协调调整信号灯配时",
                 "已开展电动车交通违法专项整治"),
    "治安管理": ("已协调供电所修复路灯", "已将该路段纳入夜间巡逻路线", "已增设监控探头两处"),
    "公安服务": ("已开通周末预约办证", "已推行户籍业务一次办结", "已对出警情况进行核查并整改"),
    "违法犯罪": ("已开展防诈骗进村宣传", "已对线索进行核查打击", "已立案侦查"),
    "群众求助": ("已组织村委会和司法所调解", "已为老人登记并联系家属"),
}
STILL_ISSUES = ("路灯修了一半,还有两个不亮", "还是老样子,没人来看过", "希望以后能常来看看")


@dataclass(frozen=True, slots=True)
class WaveSummary:
    project_code: str
    calls: int
    completes: int
    screened_out: int
    refusals: int
    completes_by_township: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Mood:
    """A township's level in one wave: shifts of the chance to answer positively (about ±0.1)."""

    safety: float
    satisfaction: float
    campaign: float


def township_moods(townships: list[str], seed: int, wave: int) -> dict[str, Mood]:
    """Each township's level: a fixed part (seeded) plus a wave's drift, larger for a few."""
    base = random.Random(seed)
    moods = {}
    for name in townships:
        safety, satisfaction = base.gauss(0, 0.05), base.gauss(0, 0.06)
        campaign = base.gauss(0, 0.05)
        mover = base.random() < 0.2  # a few townships move a lot from wave to wave
        drift = random.Random(f"{seed}:{name}:{wave}")
        step = 0.06 if mover else 0.015
        moods[name] = Mood(safety + drift.gauss(0, step), satisfaction + drift.gauss(0, step),
                           campaign + drift.gauss(0, step))
    return moods


class Respondent:
    """One person on the line: answers the form's questions as such a person would.

    Questions of the shipped form are answered from their names; any other question (a
    project's own form) gets an answer the engine accepts, as the form walker draws one."""

    def __init__(self, form: Form, township: str, mood: Mood, rng: random.Random) -> None:
        self.form, self.township, self.mood, self.rng = form, township, mood, rng
        self.numbers = _numbers_in_form(form)
        self.unhappy = False

    def answer(self, engine: InterviewEngine, item: Item) -> object:
        chooser = _CHOOSERS.get(item.name)
        value = chooser(self, engine, item) if chooser is not None else None
        if value is None:
            value = self._any(engine, item)
        return value

    # -- helpers ------------------------------------------------------------------------------

    def pick(self, weights: Mapping[str, float]) -> str:
        names, shares = zip(*weights.items(), strict=True)
        return self.rng.choices(names, weights=[max(w, 0.0) for w in shares])[0]

    def offered(self, engine: InterviewEngine, item: Item) -> set[str]:
        return {choice.name for choice in engine.offered_choices(item)}

    def _any(self, engine: InterviewEngine, item: Item) -> object:
        if item.kind == "text":
            return self.rng.choice(NO_SUGGESTION)
        for attempt in range(60):
            value = _candidate(engine, item, self.rng, self.numbers, attempt)
            if value is not None and engine.validate(value)[1] is None:
                return value
        return None

    def graded(self, level: float, top: float, second: float, dont_know: float = 0.0,
               refused: float = 0.0) -> dict[str, float]:
        """Shares of 1..4 (best to worst), 8 and 9 for a four-point scale at a level."""
        first = min(max(top + level, 0.05), 0.95)
        good = min(max(first + second, first), 0.995)
        rest = 1 - good
        return {"1": first, "2": good - first, "3": rest * 0.7, "4": rest * 0.3,
                "8": dont_know, "9": refused}


def _choose(weights: Callable[[Respondent], Mapping[str, float]]):
    def chooser(person: Respondent, engine: InterviewEngine, item: Item) -> str | None:
        offered = person.offered(engine, item)
        usable = {name: share for name, share in weights(person).items() if name in offered}
        return person.pick(usable) if usable else None
    return chooser


def _age(person: Respondent, engine: InterviewEngine, item: Item) -> str:
    if item.name == "age" and person.rng.random() < 0.03:
        return str(person.rng.randint(12, 17))
    return str(min(max(int(person.rng.gauss(47, 15)), 18), 88))


def _township(person: Respondent, engine: InterviewEngine, item: Item) -> str | None:
    offered = engine.offered_choices(item)
    for choice in offered:
        if person.form.text(choice.labels) == person.township or choice.name == person.township:
            return choice.name
    return None


def _urban(person: Respondent) -> dict[str, float]:
    town = person.township.endswith("街道")
    return {"1": 0.85 if town else 0.3, "2": 0.15 if town else 0.7}


def _safety(person: Respondent) -> dict[str, float]:
    return person.graded(person.mood.safety, 0.55, 0.37, dont_know=0.01, refused=0.002)


def _satisfaction(dont_know: float) -> Callable[[Respondent], dict[str, float]]:
    def weights(person: Respondent) -> dict[str, float]:
        shares = person.graded(person.mood.satisfaction, 0.5, 0.36, dont_know=dont_know)
        shares.pop("9")
        return shares
    return weights


def _sat(dont_know: float):
    weights = _satisfaction(dont_know)

    def chooser(person: Respondent, engine: InterviewEngine, item: Item) -> str | None:
        value = _choose(weights)(person, engine, item)
        if value in ("3", "4"):
            person.unhappy = True
        return value
    return chooser


def _worry(person: Respondent, engine: InterviewEngine, item: Item) -> list[str] | None:
    offered = sorted(person.offered(engine, item) - {"7"})
    if not offered:
        return None
    return person.rng.sample(offered, min(len(offered), person.rng.choice((1, 1, 2))))


def _text_from(pool: tuple[str, ...]):
    def chooser(person: Respondent, engine: InterviewEngine, item: Item) -> str:
        return person.rng.choice(pool)
    return chooser


def _suggestion(person: Respondent, engine: InterviewEngine, item: Item) -> str:
    share = 0.3 if person.unhappy else 0.1
    if person.rng.random() >= share:
        return person.rng.choice(NO_SUGGESTION)
    category = person.rng.choice(sorted(SUGGESTIONS))
    return person.rng.choice(SUGGESTIONS[category])


_CHOOSERS: dict[str, Callable[[Respondent, InterviewEngine, Item], object]] = {
    "phone_kind": _choose(lambda p: {"3": 0.8, "2": 0.17, "1": 0.03}),
    "age": _age,
    "age_adult": _age,
    "other_adult": _choose(lambda p: {"1": 0.5, "2": 0.5}),
    "residence": _choose(lambda p: {"1": 0.97, "2": 0.03}),
    "occupation": _choose(lambda p: {"1": 0.015, "2": 0.985}),
    "township": _township,
    "urban_rural": _choose(_urban),
    "safety": _choose(_safety),
    "safety_worry": _worry,
    "worry_other": _text_from(("晚上有人在街上喝酒闹事",)),
    "trend": _choose(lambda p: {"1": 0.55 + p.mood.safety, "2": 0.35, "3": 0.04, "8": 0.06}),
    "sat_police": _sat(0.03),
    "sat_procuratorate": _sat(0.22),
    "sat_court": _sat(0.15),
    "sat_justice": _sat(0.12),
    "unsat_reason": _text_from(UNSAT_REASONS),
    "suggestion": _suggestion,
    "campaign_aware": _choose(lambda p: {"1": 0.86 + p.mood.campaign, "2": 0.14}),
    "gang_exists": _choose(lambda p: {"1": 0.05, "2": 0.85, "8": 0.10}),
    "campaign_sat": _choose(lambda p: {"1": 0.55 + p.mood.campaign, "2": 0.35, "3": 0.07,
                                       "4": 0.03}),
    "pingan_aware": _choose(lambda p: {"1": 0.78 + p.mood.campaign, "2": 0.22}),
    "pingan_join": _choose(lambda p: {"1": 0.3 + p.mood.campaign, "2": 0.7}),
    "gender": _choose(lambda p: {"1": 0.52, "2": 0.48}),
    "follow_up_ok": _choose(lambda p: {"1": 0.65, "2": 0.35}),
    # The call-back (follow_up form): most problems were dealt with, not all.
    "problem_fixed": _choose(lambda p: {"1": 0.62, "2": 0.18, "3": 0.15, "8": 0.05}),
    "handling_sat": _choose(lambda p: {"1": 0.55, "2": 0.28, "3": 0.1, "4": 0.07}),
    "still_issue": _text_from(STILL_ISSUES),
}


def _draw(rng: random.Random, outcomes: tuple[tuple[str, float], ...]) -> str | None:
    roll = rng.random()
    for code, share in outcomes:
        if roll < share:
            return code
        roll -= share
    return None


def play_wave(database: Database, project_code: str, *, start: dt.datetime, days: int,
              per_township: int, seed: int, wave: int, interviewers: list[tuple[int, str]],
              stop_at: int | None = None,
              progress: Callable[[str], None] | None = None) -> WaveSummary:
    """Call the project's sample from ``start`` (UTC) for ``days`` days of calling hours with a
    quota of ``per_township`` completes per township, until the quotas are full, every
    township has ``stop_at`` completes (when given) or the days end.

    ``interviewers`` are (user id, workstation) pairs taking calls in turn."""
    rng = random.Random(f"{seed}:{project_code}")
    with database.unit(immediate=False) as session:
        project = session.scalar(select(Project).where(Project.code == project_code))
        if project is None:
            raise ValueError(f"no project {project_code}")
        project_id, settings = project.id, dict(project.settings or {})
        form = form_of(session, project.questionnaire_id)
    townships = _township_names(form)
    targets = {name: per_township + rng.randint(0, per_township // 3) for name in townships}
    for name, target in targets.items():  # the centre's targets differ a little by township
        set_quota(database, project_id, name, target)
    moods = township_moods(townships, seed, wave)
    hours = project_calling_hours(settings)
    end = start + dt.timedelta(days=days)
    now = next_calling_time(start, TIME_ZONE, hours)
    calls, outcomes, done = 0, Counter(), Counter()
    turn = 0
    # Each seat's shift in the presence history (the console's productivity tab): on Ready at
    # its first call, off line after its last call before a gap of more than half an hour.
    last_end: dict[str, tuple[int, dt.datetime]] = {}
    while now < end:
        user_id, workstation = interviewers[turn % len(interviewers)]
        turn += 1
        if workstation in last_end and last_end[workstation][1] > now:
            # One interviewer, one call at a time: the seat's next call waits for its last.
            now = next_calling_time(last_end[workstation][1], TIME_ZONE, hours)
            if now >= end:
                break
        _shift(database, project_id, workstation, user_id, last_end.get(workstation), now)
        claimed = claim_next_case(database, project_id, workstation, interviewer_id=user_id,
                                  now=now, hours=hours)
        if claimed is None:
            if targets and all(done[name] >= target for name, target in targets.items()):
                break
            now = next_calling_time(now + dt.timedelta(minutes=30), TIME_ZONE, hours)
            continue
        calls += 1
        code, interview_id, minutes = _call(database, form, claimed, rng, moods, now,
                                            user_id, workstation, project_id)
        ended = now + dt.timedelta(minutes=minutes)
        _on_the_call(database, project_id, workstation, user_id, claimed.case_id, now, ended,
                     interview_id is not None)
        record_outcome(database, claimed.case_id, workstation, code, interviewer_id=user_id,
                       started_at=now, now=ended, hours=hours, interview_id=interview_id)
        last_end[workstation] = (user_id, ended)
        outcomes[code] += 1
        if code == "1.1":
            done[claimed.stratum or ""] += 1
            if stop_at is not None and len(done) == len(townships) \
                    and min(done.values()) >= stop_at:
                break
        # The room's interviewers call at once: the next call starts this much later.
        gap = (ended - now) / len(interviewers) + dt.timedelta(seconds=rng.randint(5, 20))
        now = next_calling_time(now + gap, TIME_ZONE, hours)
        if progress is not None and calls % 200 == 0:
            progress(f"{project_code}: {calls} calls, {sum(done.values())} completes")
    for workstation, (user_id, ended) in last_end.items():
        report_presence(database, workstation, user_id, project_id, "offline", now=ended)
    return WaveSummary(project_code, calls, outcomes["1.1"], outcomes["4.70"],
                       outcomes["2.111"] + outcomes["2.112"], dict(done))


def _shift(database: Database, project_id: int, workstation: str, user_id: int,
           last: tuple[int, dt.datetime] | None, now: dt.datetime) -> None:
    """Open the seat's shift at ``now`` when it has none or its last call ended long ago."""
    if last is not None and now - last[1] <= SHIFT_GAP:
        return
    if last is not None:
        report_presence(database, workstation, last[0], project_id, "offline", now=last[1])
    report_presence(database, workstation, user_id, project_id, "ready", now=now)


def _on_the_call(database: Database, project_id: int, workstation: str, user_id: int,
                 case_id: int, began: dt.datetime, ended: dt.datetime, interview: bool) -> None:
    """The seat's states through one call, as its window reports them: on the call while it
    rings, interviewing once someone answers the introduction (a minute in), Ready after."""
    report_presence(database, workstation, user_id, project_id, "call", case_id, now=began)
    talk = began + ANSWERED_AFTER
    if interview and talk < ended:
        report_presence(database, workstation, user_id, project_id, "interviewing", case_id,
                        now=talk)
    report_presence(database, workstation, user_id, project_id, "ready", now=ended)


def _township_names(form: Form) -> list[str]:
    return [form.text(choice.labels) for choice in form.strata()]


def _call(database: Database, form: Form, claimed, rng: random.Random,
          moods: Mapping[str, Mood], now: dt.datetime, user_id: int, workstation: str,
          project_id: int) -> tuple[str, int | None, int]:
    """One call: its code, the interview it made (if any) and its length in minutes."""
    if claimed.attempts == 0 and (dead := _draw(rng, DEAD_NUMBER)) is not None:
        return dead, None, 1
    if (line := _draw(rng, LINE_OUTCOMES)) is not None:
        return line, None, 1
    if (refusal := _draw(rng, REFUSAL)) is not None:
        return refusal, None, 2
    township = claimed.stratum or ""
    mood = moods.get(township, Mood(0.0, 0.0, 0.0))
    interview = open_interview(database, project_id, case_id=claimed.case_id,
                               interviewer_id=user_id, workstation=workstation, now=now)
    with database.unit(immediate=False) as session:  # what a follow-up call reads out
        attributes = session.scalar(select(Case.attributes).where(Case.id == claimed.case_id))
    engine = InterviewEngine.resume(form, interview.answers, seed=interview.seed,
                                    clock=lambda: now, at=interview.current_item,
                                    case_data=case_values(attributes), context=interview.context)
    person = Respondent(form, township, mood, rng)
    breaks_off = rng.random() < BREAK_OFF_SHARE
    steps = 0
    while not engine.finished and (item := engine.current_item) is not None:
        if breaks_off and steps > 8:
            break
        value = person.answer(engine, item) if item.is_question else None
        if engine.answer(value) is not None:
            break  # nothing acceptable: the respondent gives up
        steps += 1
    changes = engine.take_changes()
    current = engine.current_item
    saved = save_answers(database, interview.id, changes,
                         current_item=engine.current_key if current else None, user_id=user_id,
                         workstation=workstation, now=now)
    minutes = max(2, steps // 2 + rng.randint(1, 4))
    if saved.quota_full:
        return "4.80", interview.id, 3
    if not engine.finished:
        return "2.12", interview.id, minutes
    return engine.outcome.disposition or "1.1", interview.id, minutes


@dataclass(frozen=True, slots=True)
class SuggestionSummary:
    collected: int
    by_status: dict[str, int]
    follow_up_project: str | None


def play_suggestions(database: Database, project_code: str, *, start: dt.datetime, days: int,
                     seed: int, interviewers: list[tuple[int, str]], closed: bool,
                     progress: Callable[[str], None] | None = None) -> SuggestionSummary:
    """The month's suggestions as a centre handles them: the county's units seeded, every
    suggestion collected and routed, reviewed (a few are not usable), assigned to its unit and
    mostly answered, some late, some not yet (overdue); in a closed month the answered ones are
    called back on the follow-up form and their states follow the call (checked, reopened,
    unreachable, refused). An open month stops before the call-backs."""
    rng = random.Random(f"{seed}:{project_code}:suggestions")
    with database.unit(immediate=False) as session:
        project_id = session.scalar(select(Project.id).where(Project.code == project_code))
    end = start + dt.timedelta(days=days)
    seed_units(database, project_id, now=start)
    collect_suggestions(database, project_id, now=end)
    for row in list_suggestions(database, project_id):
        ended = row.interview_ended_at or start
        seen = ended + dt.timedelta(hours=rng.randint(2, 30))
        if not closed and rng.random() < 0.2:
            continue  # not reviewed yet
        if rng.random() < 0.05:
            update_suggestion(database, row.id, valid=False, now=seen)
            continue
        category = row.category or rng.choice(sorted(REPLIES))
        unit = row.responsible_unit or "治安大队"
        update_suggestion(database, row.id, valid=True, category=category,
                          responsible_unit=unit, status="assigned", now=seen)
        if rng.random() < (0.85 if closed else 0.45):
            answered = seen + dt.timedelta(days=rng.choice((1, 2, 3, 4, 5, 7, 9, 12, 16)))
            update_suggestion(database, row.id, status="resolved", now=answered,
                              reply=rng.choice(REPLIES.get(category, REPLIES["治安管理"])))
    follow_up = result = None
    if closed:
        try:
            result = create_follow_up(database, project_id, now=end)
        except CatiError:  # nobody to call back
            result = None
    if result is not None:
        follow_up = result.code
        play_wave(database, result.code, start=end, days=10, per_township=0, seed=seed,
                  wave=0, interviewers=interviewers, progress=progress)
        collect_suggestions(database, project_id, now=end + dt.timedelta(days=10))
    counts = Counter(row.status for row in list_suggestions(database, project_id))
    return SuggestionSummary(sum(counts.values()), dict(counts), follow_up)
