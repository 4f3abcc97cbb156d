"""One web respondent's interview, a page at a time, through the interviewer window's services.

Each request rebuilds the engine from the stored answers (``InterviewEngine.resume`` at the
stored current item), acts, and saves what changed with ``save_answers_in`` before the next page
is shown (the last answer and the interview's end in one unit of work) — so web answers are stored exactly like phone ones (answers with sequence numbers, answer
events, interviews.mode = "web") and a respondent who closes the page continues where they
stopped. The page names the item it was showing; an answer posted for another item (a stale tab,
the browser's Back button) changes nothing and the current page is shown again.

A web interview of a case (a personal invitation) holds the case's lease as the workstation
``web:LINK`` until the invitation expires, so no interviewer calls the respondent meanwhile; when
it ends the case is closed with the interview's code in the same transaction. An open link's
interview has no case and is closed like a field interview.

Browsers are known by a random cookie; the store keeps only its SHA-256. Addresses are kept only
as a keyed hash (its key outside the store: cati.web.addresses), for the duplicate guard on
open links: at most ``starts_per_address`` new interviews from one address on one link per day
(a household or a shop's Wi-Fi shares one).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import threading
from dataclasses import dataclass

from sqlalchemy import func, select

from cati.calling import project_cache
from cati.calling.lease_clock import store_now
from cati.calling.views import RESUME_CODES
from cati.errors import NotFound
from cati.questionnaire.engine import InterviewEngine, case_values
from cati.questionnaire.model import Form, Item
from cati.questionnaire.repeats import item_for_key
from cati.questionnaire.values import message
from cati.services.clock import utc_now
from cati.services.interviews import (
    CLOSED_STATES,
    InterviewInfo,
    finish_interview,
    load_interview,
    save_answers_in,
)
from cati.services.questionnaires import form_of
from cati.services.series import WaveClosed, check_open
from cati.storage.db import Database
from cati.storage.models import Case, Interview, Project, WebInterview, WebLink
from cati.web import addresses
from cati.web.links import INVITE, POINT, LinkRefused, LinkView, mark_used

QUOTA_FULL = "4.80"
OPEN = "in_progress"
# Instructions for the interviewer in the shipped forms' hints: not shown to a web respondent,
# and neither are the choices marked cati::not_read (see _not_read_choice).
INTERVIEWER_HINTS = ("〔访问员", "(Interviewer", "〔Interviewer")


@dataclass(frozen=True, slots=True)
class Entry:
    """The interview a browser continues (or just began) through a link."""

    interview_id: int
    browser_token: str  # the cookie value (new when the interview began now)


@dataclass(frozen=True, slots=True)
class ChoiceView:
    value: str
    label: str
    checked: bool


@dataclass(frozen=True, slots=True)
class Screen:
    """What the page shows: the current item, or the closing words of an ended interview."""

    interview_id: int
    state: str  # in_progress | complete | screened_out | closed
    disposition: str | None
    item: str | None  # the current item's key (its name; inside a repeat, adults[2]/name)
    kind: str
    label: str
    hint: str
    choices: tuple[ChoiceView, ...]
    value: str
    required: bool
    progress: int  # percent of the form's items behind the current one
    can_go_back: bool
    language: str
    languages: tuple[str, ...]
    title: str


def workstation_of(link_id: int) -> str:
    return f"web:{link_id}"


def find(database: Database, link: LinkView, browser_token: str | None) -> Entry | None:
    """The interview this browser (open link) or this invitation already has, if any.

    Found once, it is remembered by the process: a browser's cookie names one interview for
    ever, and so does an invitation (a newer invitation that takes the interview over is another
    link, and the older one is refused before this is asked)."""
    if link.kind == POINT and not browser_token:
        return None
    browser_hash = _hash(browser_token) if link.kind == POINT and browser_token else ""
    key = (database.url, link.id, browser_hash)
    with _found_lock:
        interview_id = _found.get(key)
    if interview_id is None:
        with database.unit(immediate=False) as session:
            query = select(WebInterview.interview_id).where(WebInterview.link_id == link.id)
            if browser_hash:
                query = query.where(WebInterview.browser_hash == browser_hash)
            interview_id = session.scalar(
                query.order_by(WebInterview.interview_id.desc()).limit(1))
        if interview_id is None:
            return None
        with _found_lock:
            if len(_found) > 100_000:
                _found.clear()
            _found[key] = interview_id
    return Entry(interview_id, browser_token or "")


_found: dict[tuple[str, int, str], int] = {}
_found_lock = threading.Lock()


def new_browser_token() -> str:
    """A browser's random token (its cookie; the store keeps only its SHA-256)."""
    return secrets.token_urlsafe(24)


def usable_token(token: str | None) -> bool:
    """A token of the form :func:`new_browser_token` makes (anything else is replaced)."""
    return token is not None and _TOKEN.fullmatch(token) is not None


_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")


def begin(database: Database, link: LinkView, address: str, *, language: str = "",
          starts_per_address: int = 3, browser_token: str | None = None,
          now: dt.datetime | None = None) -> Entry:
    """Start a web interview through ``link`` (after :func:`find` found none).

    One unit of work, one start at a time: an invitation's starts wait for the lock on its
    case's row, an open link's for the lock on the link's row (PostgreSQL ``SELECT … FOR
    UPDATE``; on SQLite the unit holds the database's write lock). So a respondent who taps
    Start on two phones at once gets one interview (the later start finds the earlier one), and
    an address cannot pass the open link's count by starting several at once. Only the case's
    row is locked for an invitation, as the phone side locks it before the links.

    ``browser_token``: the token the start page gave the browser (an open link), under which
    the interview is stored, so a browser whose answer to Start was lost finds the interview
    it began; a token already naming this link's interview returns that interview (two tabs
    pressing Start), one naming another's, or not of the form made here, is replaced."""
    now = now or utc_now()
    token = browser_token if link.kind == POINT and usable_token(browser_token) \
        else new_browser_token()
    with database.unit() as session:
        address_hash = addresses.address_hash(address)
        interview: Interview | None = None
        if link.kind == INVITE:
            case = session.get(Case, link.case_id, with_for_update=True)
            row = session.get(WebLink, link.id)
            if row is None or row.used_at is not None:
                raise LinkRefused("used")
            _take_case(case, link, now, store_now(session))
            started = session.scalar(select(WebInterview.interview_id).where(
                WebInterview.link_id == link.id).limit(1))
            if started is not None:  # another browser's start of this invitation came first
                return Entry(started, token)
            # A phone interview of the case, or one begun through an invitation this replaced.
            interview = session.scalar(select(Interview).where(
                Interview.case_id == link.case_id, Interview.state == OPEN)
                .order_by(Interview.id).limit(1))
        else:
            case = None
            session.execute(select(WebLink.id).where(WebLink.id == link.id).with_for_update())
            holder = session.scalar(select(WebInterview).where(
                WebInterview.browser_hash == _hash(token)))
            if holder is not None and holder.link_id == link.id:  # this browser's other tab
                return Entry(holder.interview_id, token)
            if holder is not None:
                token = new_browser_token()
            if starts_per_address > 0:
                recent = session.scalar(select(func.count()).select_from(WebInterview).where(
                    WebInterview.link_id == link.id, WebInterview.address_hash == address_hash,
                    WebInterview.started_at > now - dt.timedelta(days=1)))
                if recent >= starts_per_address:
                    raise LinkRefused("duplicate")
        if interview is None:
            project = session.get(Project, link.project_id)
            if project is None:
                raise NotFound(f"no project {link.project_id}")
            _check_open(session, link.project_id)
            interview = Interview(case_id=link.case_id, project_id=link.project_id,
                                  stratum=case.stratum if case is not None else "",
                                  questionnaire_id=project.questionnaire_id, mode="web",
                                  language=language, state=OPEN,
                                  seed=secrets.randbelow(2**31), started_at=now)
            session.add(interview)
            session.flush()
        web = session.get(WebInterview, interview.id)
        if web is None:
            session.add(WebInterview(interview_id=interview.id, link_id=link.id,
                                     browser_hash=_hash(token), address_hash=address_hash,
                                     started_at=now))
        else:  # the case's interview begun through an invitation this one replaced
            web.link_id, web.browser_hash = link.id, _hash(token)
        return Entry(interview.id, token)


def screen(database: Database, interview_id: int, *, language: str | None = None,
           now: dt.datetime | None = None) -> Screen:
    """The page for the interview as it stands."""
    info, form = _load(database, interview_id)
    engine = _engine(info, form, language, now, _case_data(database, info))
    return _screen(info, form, engine)


@dataclass(frozen=True, slots=True)
class Submitted:
    error: str | None = None  # the engine's message for a refused answer (nothing stored)
    ended: bool = False  # this step ended the interview


def submit(database: Database, interview_id: int, item: str, action: str, value: str, *,
           workstation: str | None = None, language: str | None = None,
           now: dt.datetime | None = None) -> Submitted:
    """Act on the page: ``next`` answers ``item`` with ``value``, ``back`` goes one item back.

    The changes and the new current item are committed before this returns; an interview that
    ends (complete, screened out, quota full) is closed in the same step. ``workstation`` is
    the invitation's (``workstation_of``) when the interview has a case."""
    now = now or utc_now()
    info, form = _load(database, interview_id)
    if info.state != OPEN:
        return Submitted()
    engine = _engine(info, form, language, now, _case_data(database, info))
    current = engine.current_item
    # The page names its item by key: inside a repeat, a page of the first adult sent twice
    # must not answer the second adult's same question.
    if current is None or engine.current_key != item or engine.finished:
        return Submitted()  # a stale page: show the current one
    if action == "back":
        if not engine.back():
            return Submitted()
    else:
        if _not_read_choice(engine, current, value):
            return Submitted(error=message("choice", engine.language))
        error = engine.answer(value if current.is_question else None)
        if error is not None:
            return Submitted(error=error)
    changes = engine.take_changes()
    following = engine.current_item
    # One unit: the last answer and the interview's end are committed together, or neither (a
    # crash between two commits left an interview in progress for ever, its page dead).
    with database.unit() as session:
        _check_open(session, info.project_id)
        saved = save_answers_in(session, interview_id, changes,
                                current_item=engine.current_key if following else None,
                                workstation=workstation if info.case_id else None, now=now)
        if saved.quota_full:
            code = QUOTA_FULL
        elif engine.finished:
            code = engine.outcome.disposition or "1.1"
        else:
            return Submitted()
        _finish_in(session, interview_id, code, now)
    if code == "1.1":
        project_cache.forget(database.url)  # a quota cell may have filled
    return Submitted(ended=True)


def _not_read_choice(engine: InterviewEngine, item: Item, value: str) -> bool:
    """Whether ``value`` picks a choice the interviewer does not read out (说不清, 拒答): on the
    phone such a choice records what a respondent said unprompted; a web page does not offer it
    (so it is not shown, and a posted one is refused)."""
    if item.kind not in ("select_one", "select_multiple"):
        return False
    hidden = {c.name for c in engine.offered_choices(item) if c.not_read}
    return bool(hidden.intersection(value.split()))


def closing_words(database: Database, interview_id: int, *,
                  language: str | None = None) -> str:
    """The screen-out note's words for an interview that was screened out by the form."""
    info, form = _load(database, interview_id)
    item = item_for_key(form, info.current_item) if info.current_item else None
    if item is not None and item.is_screen_out:
        return form.text(item.labels, language or form.default_language)
    return ""


# -- inside -------------------------------------------------------------------------------------
def _load(database: Database, interview_id: int) -> tuple[InterviewInfo, Form]:
    info = load_interview(database, interview_id)  # a phone interview continued on the web
    key = (database.url, info.questionnaire_id)
    form = _forms.get(key)  # a stored questionnaire version never changes
    if form is None:
        with database.unit(immediate=False) as session:
            form = _forms[key] = form_of(session, info.questionnaire_id)
    return info, form


_forms: dict[tuple[str, int], Form] = {}


def _case_data(database: Database, info: InterviewInfo) -> dict[str, str] | None:
    """What the form's ``cati::case_data`` rows read from the case (a follow-up case's
    complaint and reply, handed to the web): only needed before the first answer, when the
    engine starts; afterwards they are among the stored answers."""
    if info.case_id is None or info.answers or info.current_item is not None:
        return None
    with database.unit(immediate=False) as session:
        return case_values(session.scalar(select(Case.attributes)
                                          .where(Case.id == info.case_id)))


def _engine(info: InterviewInfo, form: Form, language: str | None,
            now: dt.datetime | None, case_data: dict[str, str] | None = None) -> InterviewEngine:
    language = language if language in form.languages else None
    clock = (lambda: now) if now is not None else utc_now
    if info.current_item is None and not info.answers:
        return InterviewEngine.start(form, seed=info.seed, clock=clock, language=language,
                                     case_data=case_data, context=info.context)
    return InterviewEngine.resume(form, info.answers, seed=info.seed, clock=clock,
                                  language=language, at=info.current_item, context=info.context)


def _screen(info: InterviewInfo, form: Form, engine: InterviewEngine) -> Screen:
    shown = engine.current()
    language = engine.language
    base = dict(interview_id=info.id, disposition=None, language=language,
                languages=form.languages, title=form.title)
    if info.state != OPEN or shown is None:
        return Screen(state=info.state, item=None, kind="", label="", hint="", choices=(),
                      value="", required=False, progress=100, can_go_back=False, **base)
    item: Item = shown.item
    value = shown.value or ""
    picked = set(value.split()) if item.kind == "select_multiple" else {value}
    choices = tuple(ChoiceView(c.name, form.text(c.labels, language), c.name in picked)
                    for c in shown.choices if not c.not_read)
    hint = "" if shown.hint.startswith(INTERVIEWER_HINTS) else shown.hint
    index = form.index_of(item.name)
    return Screen(state=OPEN, item=shown.key, kind=item.kind, label=shown.label, hint=hint,
                  choices=choices, value=value, required=shown.required,
                  progress=int(100 * index / max(1, len(form.items))),
                  can_go_back=shown.position > 0, **base)


def _finish_in(session, interview_id: int, code: str, now: dt.datetime) -> None:
    """Close the interview with ``code``; for an invitation also the case and the link."""
    state = CLOSED_STATES.get(code, "closed")
    finish_interview(session, interview_id, state, code, now)
    web = session.get(WebInterview, interview_id)
    if web is not None:
        web.completed_at = now
        mark_used(session, web.link_id, now)
    interview = session.get(Interview, interview_id)
    if interview is not None and interview.case_id is not None:
        case = session.get(Case, interview.case_id)
        if case is not None and code not in RESUME_CODES:
            case.state, case.disposition, case.next_call_at = "closed", code, None
            case.lease_holder = case.lease_expires_at = None


def _check_open(session, project_id: int) -> None:
    """A closed wave, or a paused project, takes no web answer: the respondent sees why (the
    database refuses it as well, cati.storage.wave_guard)."""
    try:
        check_open(session, project_id, "web")
    except WaveClosed as refused:
        raise LinkRefused(refused.reason, str(refused)) from None


def _take_case(case: Case | None, link: LinkView, now: dt.datetime,
               lease_now: dt.datetime) -> None:
    """Hold the invited case for the web interview until the invitation expires. Whether an
    interviewer's lease still holds is judged on the store's clock (``lease_now``), like every
    lease (cati.calling.lease_clock)."""
    if case is None or case.state == "closed":
        raise LinkRefused("used")
    mine = workstation_of(link.id)
    held_by_phone = case.lease_holder is not None and not case.lease_holder.startswith("web:")
    if held_by_phone and case.lease_expires_at is not None and case.lease_expires_at > lease_now:
        raise LinkRefused("busy")  # an interviewer is on the phone with this case right now
    # (a lease of an earlier invitation of the case passes to this one, which replaced it)
    case.lease_holder = mine
    case.lease_expires_at = link.expires_at or now + dt.timedelta(days=1)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def project_form(database: Database, project_id: int) -> tuple[str, tuple[str, ...]]:
    """The title and the languages of the project's questionnaire."""
    with database.unit(immediate=False) as session:
        project = session.get(Project, project_id)
        if project is None:
            raise NotFound(f"no project {project_id}")
        form = form_of(session, project.questionnaire_id)
        return form.title or project.name, form.languages
