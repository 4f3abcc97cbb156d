"""The ways into a web questionnaire, and checking a link a browser brings.

- An **open link per collection point** (a poster's QR code): anyone may answer through it; the
  interviews record the point. One link per (project, point), made once and printed again later.
- A **personal invitation** for one case: single use (once its interview has ended it is refused),
  expiring (7 days by default), and a newer invitation for the same case replaces the older ones.
  An invitation can hold the case: its next call is put after the expiry, so the phone side waits
  for the web interview; an invitation that expires unanswered lets the case be called again, and
  an interview begun on the web is then resumed by the interviewer.

An open link carries the link's id signed with the store's key (itsdangerous, HMAC-SHA1 over a
salt per kind), so a made-up or altered link is refused before the store is asked about it. A
personal invitation carries a random token (192 bits), kept in the store only as its SHA-256, so
making one needs no key: on PostgreSQL an interviewer's login, which may not read the key, hands
the case it holds over to the web (invitations made before carry a signed id and still work). Expiry and use are checked against the store, which is the authority
(an invitation can be withdrawn by issuing a new one).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
import threading
import time
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, text, update

from cati.errors import CatiError, NotFound
from cati.services.clock import utc_now
from cati.storage.db import Database
from cati.storage.models import (
    OPEN_APPOINTMENT_SQL,
    Appointment,
    Case,
    Project,
    WebKey,
    WebLink,
)

POINT, INVITE = "point", "invite"
SALTS = {POINT: "cati-web-point", INVITE: "cati-web-invite"}
DEFAULT_VALIDITY = dt.timedelta(days=7)
CALLABLE_STATES = ("fresh", "scheduled", "resume", "appointment")
DEFAULT_BASE_URL = "http://127.0.0.1:8080"


class LinkRefused(CatiError):
    """A link that cannot be used now; ``reason`` is unknown | expired | used | busy | closed |
    paused | duplicate | limited (the web page words it for the respondent)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        super().__init__(detail or reason)


@dataclass(frozen=True, slots=True)
class PointLink:
    id: int
    project_code: str
    point: str
    token: str

    @property
    def path(self) -> str:
        return f"/p/{self.token}"


@dataclass(frozen=True, slots=True)
class Invitation:
    id: int
    case_id: int
    project_code: str
    project_name: str
    token: str
    expires_at: dt.datetime
    holds_case: bool

    @property
    def path(self) -> str:
        return f"/i/{self.token}"


@dataclass(frozen=True, slots=True)
class LinkView:
    """A checked link, as the web server uses it."""

    id: int
    kind: str
    project_id: int
    point: str
    case_id: int | None
    expires_at: dt.datetime | None


def point_link(database: Database, project_code: str, point: str, *,
               now: dt.datetime | None = None, series: bool = False) -> PointLink:
    """The open link of a collection point (made on first use; the same link afterwards).

    ``series``: the standing link of the point for the project's series, which feeds whichever
    wave of the series is open (a poster's QR code outlives the month); ``project_code`` names
    any wave of the series."""
    name = " ".join(point.split())
    if not name:
        raise CatiError("--point: the collection point needs a name (采集点名称不能为空)")
    if len(name) > 128:
        raise CatiError("--point: a collection point name has at most 128 characters")
    with database.unit() as session:
        project = _project(session, project_code)
        series_id = project.series_id if series else None
        if series and series_id is None:
            raise CatiError(f"project {project.code} belongs to no series: a standing link "
                            "needs a series (`cati wave open`)")
        link = _point_row(session, project.id, name, series_id)
        if link is None:
            # Two admins (or two scripts) asking at once would each make one: the second would
            # print a link of its own for the same poster. On PostgreSQL the first to take the
            # point's lock makes it and the others find it; SQLite's unit holds the write lock.
            _serialise(session, f"cati-web-point:{project.id}:{name}" if series_id is None
                       else f"cati-web-series-point:{series_id}:{name}")
            link = _point_row(session, project.id, name, series_id)
        if link is None:
            link = WebLink(project_id=project.id, kind=POINT, point=name, series_id=series_id,
                           created_at=now or utc_now())
            session.add(link)
            session.flush()
        key = signing_key(session, database.url)
        return PointLink(link.id, project.code, name, _sign(key, POINT, link.id))


def _point_row(session, project_id: int, name: str,
               series_id: int | None = None) -> WebLink | None:
    """The point's link (the oldest, should a store made before the lock hold two: every
    printed link keeps working, and the oldest is the one printed again); of the series when
    ``series_id`` is given, else the project's own."""
    where = (WebLink.series_id == series_id if series_id is not None
             else (WebLink.project_id == project_id) & WebLink.series_id.is_(None))
    return session.scalar(select(WebLink).where(where, WebLink.kind == POINT,
                                                WebLink.point == name)
                          .order_by(WebLink.id).limit(1))


def _serialise(session, name: str) -> None:
    """Hold a lock named ``name`` until the unit ends (PostgreSQL ``pg_advisory_xact_lock``),
    so a read-then-insert in it is done by one process at a time; the caller reads again after
    it. On SQLite the writing unit already holds the database's write lock (BEGIN IMMEDIATE)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    number = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
    session.execute(text("SELECT pg_advisory_xact_lock(:n)"), {"n": number})


def invite_case(database: Database, case_id: int, *, valid_for: dt.timedelta = DEFAULT_VALIDITY,
                hold: bool = True, now: dt.datetime | None = None) -> Invitation:
    """A personal invitation for ``case_id``; earlier unused invitations of the case stop working.

    With ``hold`` the case is not called before the invitation expires (its next call moves to
    the expiry). Mid-call, use :func:`hand_over_to_web`, which also stores the call."""
    now = now or utc_now()
    _check_validity(valid_for)
    with database.unit() as session:
        case = session.get(Case, case_id)
        if case is None:
            raise NotFound(f"no case {case_id}")
        if case.state not in CALLABLE_STATES:
            raise CatiError(f"case {case_id} is closed ({case.disposition or case.state}): "
                            "nothing left to invite to (该号码已结案)")
        return _invite(session, database, case, valid_for, hold, now)


@dataclass(frozen=True, slots=True)
class Handover:
    invitation: Invitation
    url: str  # the link, on the web server's address
    sms: str  # the text message, ready to copy


def hand_over_to_web(database: Database, case_id: int, workstation: str, *,
                     interviewer_id: int | None, started_at: dt.datetime | None = None,
                     valid_for: dt.timedelta = DEFAULT_VALIDITY, base_url: str | None = None,
                     now: dt.datetime | None = None) -> Handover:
    """Mid-call, the respondent prefers to answer on the web. In one transaction, on the case
    this workstation holds: the call is stored as an attempt without an outcome (as when an
    appointment is booked: the case keeps its disposition, the attempt does not count toward
    the maximum), a personal invitation holding the case is made, and the case is released to
    wait for it (called again only when it expires unanswered). ``base_url``: the web server's
    address (else the project's ``web_url`` setting, else CATI_WEB_URL). With none of them the
    handover is refused in one line and nothing is stored: a link to this computer
    (127.0.0.1) would reach no respondent."""
    from cati.calling.outcomes import _held_case, _note_called
    from cati.storage.models import CallAttempt

    now = now or utc_now()
    _check_validity(valid_for)
    with database.unit(immediate=True) as session:
        case = _held_case(session, database, case_id, workstation)
        project = session.get(Project, case.project_id)
        url = (base_url or (project.settings or {}).get("web_url")
               or os.environ.get("CATI_WEB_URL") or "").rstrip("/")
        if not url:
            raise CatiError("no web address is set for this project: a supervisor sets it in "
                            "the project settings (web_url) before links can be handed out "
                            "(项目未设置网上填答地址)")
        attempt = CallAttempt(case_id=case.id, project_id=case.project_id,
                              interviewer_id=interviewer_id, workstation=workstation,
                              started_at=started_at or now, ended_at=now, disposition=None,
                              note="网上填答 web invitation")
        session.add(attempt)
        _note_called(case, attempt.started_at)
        if case.state not in ("scheduled", "resume"):
            case.state = "scheduled"
        case.next_call_at = None
        # Made while the case is still held: on PostgreSQL an interviewer's login may make an
        # invitation only for the case it holds (cati.storage.pg_security).
        invitation = _invite(session, database, case, valid_for, True, now)
        case.lease_holder = case.lease_expires_at = None
        return Handover(invitation, url + invitation.path, sms_text(invitation, url))


def _check_validity(valid_for: dt.timedelta) -> None:
    if valid_for <= dt.timedelta(0):
        raise CatiError("an invitation must be valid for some time (--days above 0)")


def _invite(session, database: Database, case: Case, valid_for: dt.timedelta, hold: bool,
            now: dt.datetime) -> Invitation:
    project = session.get(Project, case.project_id)
    assert project is not None
    session.execute(update(WebLink).where(
        WebLink.case_id == case.id, WebLink.kind == INVITE, WebLink.used_at.is_(None),
        WebLink.expires_at > now).values(expires_at=now))
    expires = now + valid_for
    token = secrets.token_urlsafe(24)
    link = WebLink(project_id=case.project_id, kind=INVITE, case_id=case.id,
                   created_at=now, expires_at=expires, token_hash=_token_hash(token))
    session.add(link)
    if hold:
        if case.next_call_at is None or case.next_call_at < expires:
            case.next_call_at = expires
        # The respondent chose the web: an open appointment would bring the call back first.
        for appointment in session.scalars(select(Appointment).where(
                Appointment.case_id == case.id, text(OPEN_APPOINTMENT_SQL))):
            appointment.cancelled = True
        if case.state == "appointment":
            case.state = "scheduled"
    session.flush()
    return Invitation(link.id, case.id, project.code, project.name, token, expires, hold)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def sms_text(invitation: Invitation, base_url: str) -> str:
    """The text message for an invitation, ready to copy into an SMS (Beijing dates)."""
    local = invitation.expires_at.astimezone(dt.timezone(dt.timedelta(hours=8)))
    url = base_url.rstrip("/") + invitation.path
    return (f"您好!诚邀您参加“{invitation.project_name}”,用手机打开链接即可填写:{url} "
            f"({local.month}月{local.day}日{local:%H:%M}前有效,仅供本人使用一次)。")


def resolve(database: Database, kind: str, token: str, *, project_id: int | None = None,
            now: dt.datetime | None = None) -> LinkView:
    """The link a token names, checked: signed by this store, of this kind (and project), not
    expired, not used. Raises LinkRefused.

    An open link (which never expires nor is used up) is remembered by the process for up to
    POINT_CACHE_SECONDS: a project closed meanwhile refuses it within that time."""
    now = now or utc_now()
    if kind == POINT:
        key = (database.url, token, project_id)
        with _points_lock:
            cached = _points.get(key)
        if cached is not None and time.monotonic() - cached[0] < POINT_CACHE_SECONDS:
            return cached[1]
        view = _resolve(database, kind, token, project_id, now)
        with _points_lock:
            if len(_points) > 4096:
                _points.clear()
            _points[key] = (time.monotonic(), view)
        return view
    return _resolve(database, kind, token, project_id, now)


POINT_CACHE_SECONDS = 5.0
_points: dict[tuple, tuple[float, LinkView]] = {}
_points_lock = threading.Lock()


def _resolve(database: Database, kind: str, token: str, project_id: int | None,
             now: dt.datetime) -> LinkView:
    with database.unit(immediate=False) as session:
        if kind == INVITE and "." not in token:  # a random token (signed ones hold a dot)
            link = session.scalar(select(WebLink).where(
                WebLink.token_hash == _token_hash(token[:200])))
        else:
            # A store without a key signed nothing: the link is unknown (and a read makes none).
            key = stored_signing_key(session, database.url)
            if key is None:
                raise LinkRefused("unknown")
            link = session.get(WebLink, _unsign(key, kind, token))
        if link is None or link.kind != kind:
            raise LinkRefused("unknown")
        target = link.project_id
        if link.series_id is not None:
            # A standing link of a series feeds its open wave; a server started for one wave
            # of the series keeps serving the link into the next.
            if project_id is not None and project_id != link.project_id and session.scalar(
                    select(Project.series_id).where(Project.id == project_id)) != link.series_id:
                raise LinkRefused("unknown")
            target = session.scalar(select(Project.id).where(
                Project.series_id == link.series_id, Project.status != "closed"))
            if target is None:
                raise LinkRefused("closed")
        elif project_id is not None and link.project_id != project_id:
            raise LinkRefused("unknown")
        project = session.get(Project, target)
        if project is None or project.status == "closed":
            raise LinkRefused("closed")
        if project.status == "paused":
            raise LinkRefused("paused")
        if link.used_at is not None:
            raise LinkRefused("used")
        if link.expires_at is not None and link.expires_at <= now:
            raise LinkRefused("expired")
        return LinkView(link.id, link.kind, target, link.point, link.case_id,
                        link.expires_at)


def mark_used(session, link_id: int, now: dt.datetime) -> None:
    """A personal link whose interview ended (inside the caller's unit): never usable again."""
    session.execute(update(WebLink).where(WebLink.id == link_id, WebLink.kind == INVITE)
                    .values(used_at=now))


# -- signing ------------------------------------------------------------------------------------
_keys: dict[str, str] = {}
_keys_lock = threading.Lock()


def signing_key(session, url: str) -> str:
    """The store's signing key, made on first use.

    Processes using a new store for the first time each made their own key: on PostgreSQL
    every uncommitted key was visible only to its maker, each signed its links with its own,
    and the links signed with all but the oldest were later refused as unknown. Now the maker
    takes a lock (PostgreSQL advisory lock; SQLite's writing unit holds the write lock) and
    reads again under it, so there is one key. The process remembers a key only once it is
    known to be stored: one made in this unit is not remembered (its unit may still roll
    back), one read from the store is."""
    secret = stored_signing_key(session, url)
    if secret is None:
        _serialise(session, "cati-web-keys")
        secret = _stored_key(session)
        if secret is None:
            secret = secrets.token_hex(32)
            session.add(WebKey(secret=secret, created_at=utc_now()))
            session.flush()
            session.info["cati.web_key_made"] = secret
            return secret
    return secret


def stored_signing_key(session, url: str) -> str | None:
    """The signing key, None while the store has none (a read never makes one)."""
    with _keys_lock:
        cached = _keys.get(url)
    if cached is not None:
        return cached
    secret = _stored_key(session)
    if secret is not None and session.info.get("cati.web_key_made") != secret:
        with _keys_lock:
            _keys[url] = secret
    return secret


def _stored_key(session) -> str | None:
    """The oldest key (a store from before the lock may hold two: the oldest always won)."""
    return session.scalar(select(WebKey.secret).order_by(WebKey.id).limit(1))


def _sign(key: str, kind: str, link_id: int) -> str:
    return URLSafeSerializer(key, salt=SALTS[kind]).dumps(link_id)


def _unsign(key: str, kind: str, token: str) -> int:
    try:
        value = URLSafeSerializer(key, salt=SALTS[kind]).loads(token)
    except BadSignature:
        raise LinkRefused("unknown") from None
    if not isinstance(value, int) or isinstance(value, bool):
        raise LinkRefused("unknown")
    return value


def _project(session, code: str) -> Project:
    project = session.scalar(select(Project).where(Project.code == code))
    if project is None:
        raise NotFound(f"no project '{code}'")
    return project
