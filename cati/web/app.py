"""The WSGI application (Flask) of one project's web questionnaire.

    GET  /              a static page (nothing about the project or its respondents)
    GET  /p/TOKEN       an open link of a collection point: the browser's interview, or Start
    GET  /i/TOKEN       a personal invitation: its interview, or Start
    POST (same paths)   action=start | next | back, item=NAME, value=…

A POST whose Origin (or, without one, Referer) names another host than the server's own (the
request's Host, or one of ``allowed_hosts``: the public address behind a proxy) is refused with
403 and changes nothing, as is one from an opaque origin ("null"). A POST with neither header
(not a browser, or a very old one) is taken: its cookies are SameSite=Lax all the same. The
Referrer-Policy is same-origin so that browsers send the real Origin on the pages' own posts
(under no-referrer they send "null") while the link's token never leaves for another site.

Every answer is committed before the next page is sent; a successful POST answers with a 303 to
the same address (a reload never posts twice). A refused answer is shown again with the engine's
message; a screen-out shows its closing words. Only the questionnaire and the respondent's own
answers travel: no page names another respondent, the sample or a phone number. Cookies are
HttpOnly and SameSite=Lax (a page of another site cannot post answers). ``behind_https`` (a proxy
terminates TLS in front of the server) makes them Secure and adds Strict-Transport-Security
(a year), so a browser that came once over HTTPS never sends its cookie in the clear again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Flask, Response, make_response, redirect, request

from cati.calling.outcomes import LeaseLost
from cati.services.clock import utc_now
from cati.storage.db import Database
from cati.web import addresses, pages, respondents
from cati.web.limits import RateLimiter, WebLimits, address_key, link_key
from cati.web.links import INVITE, POINT, LinkRefused, LinkView, resolve

REFUSED_STATUS = {"unknown": 404, "expired": 410, "used": 410, "closed": 410, "busy": 409,
                  "paused": 503,
                  "duplicate": 403, "limited": 429, "foreign": 403}
BROWSER_DAYS = 30
HSTS_SECONDS = 365 * 86400
# The largest request body taken (cati.web.server says why this size); waitress refuses larger
# ones before reading them, Flask again for any other WSGI server.
MAX_BODY_BYTES = 400 * 1024
HOME = """<!doctype html><html lang="zh"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>问卷 Survey</title>
</head><body><p>请用您收到的链接或扫描二维码打开问卷。Please open the questionnaire with the link
or the QR code you were given.</p></body></html>"""
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # the address holds the link's token
    "Cache-Control": "no-store",
}


def create_app(database: Database, project_id: int, *, limits: WebLimits | None = None,
               behind_https: bool = False, allowed_hosts: tuple[str, ...] = (),
               clock: Callable[[], dt.datetime] = utc_now) -> Flask:
    """The application for ``project_id``; links of other projects are refused as unknown."""
    limits = limits or WebLimits()
    limiter = RateLimiter(limits.window_seconds, max_keys=limits.max_keys)
    app = Flask("cati.web")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.extensions["cati.limiter"] = limiter
    title, languages = respondents.project_form(database, project_id)
    addresses.address_key()  # a key that cannot be had stops the server, not a respondent
    own_hosts = frozenset(_host(h) for h in allowed_hosts)

    @app.before_request
    def _rate_limit() -> Response | None:
        if not limiter.allow(address_key(request.remote_addr or ""), limits.address_requests):
            return _refused("limited", _language())
        token = (request.view_args or {}).get("token")
        if token and not limiter.allow(link_key(token), limits.link_requests):
            return _refused("limited", _language())
        return None

    @app.before_request
    def _same_origin() -> Response | None:
        if request.method != "POST":
            return None
        source = request.headers.get("Origin") or request.headers.get("Referer")
        if source is None:
            return None
        parts = urlsplit(source)
        if parts.scheme in ("http", "https") and parts.hostname and (
                _host(parts.netloc) == _host(request.host) or _host(parts.netloc) in own_hosts):
            return None
        return _refused("foreign", _language())

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.update(HEADERS)
        if behind_https:
            response.headers["Strict-Transport-Security"] = f"max-age={HSTS_SECONDS}"
        return response

    @app.errorhandler(LinkRefused)
    def _link_refused(error: LinkRefused) -> Response:
        return _refused(error.reason, _language())

    @app.errorhandler(LeaseLost)
    def _lease_lost(error: LeaseLost) -> Response:
        # The invitation ran out mid-interview and an interviewer took the case over.
        return _refused("busy", _language())

    @app.get("/")
    def home() -> Response:
        return Response(HOME, mimetype="text/html")

    @app.get("/favicon.ico")
    def favicon() -> Response:
        return Response(status=204)

    @app.route("/p/<token>", methods=["GET", "POST"])
    def point(token: str) -> Response:
        return _link_page(POINT, token)

    @app.route("/i/<token>", methods=["GET", "POST"])
    def invitation(token: str) -> Response:
        return _link_page(INVITE, token)

    def _link_page(kind: str, token: str) -> Response:
        now = clock()
        link = resolve(database, kind, token, project_id=project_id, now=now)
        cookie = f"r{link.id}"
        language = _language()
        entry = respondents.find(database, link, request.cookies.get(cookie))
        if request.method == "GET":
            if entry is None:
                return _start_page(kind, cookie, language)
            return _with_language(_show(entry.interview_id, language, now))
        action = request.form.get("action", "next")
        if entry is None:
            if action != "start":
                return _start_page(kind, cookie, language)
            entry = respondents.begin(database, link, request.remote_addr or "",
                                      language=language,
                                      starts_per_address=limits.starts_per_address,
                                      browser_token=request.cookies.get(cookie), now=now)
            response = redirect(request.path, 303)
            if kind == POINT and request.cookies.get(cookie) != entry.browser_token:
                _set_browser_cookie(response, cookie, entry.browser_token)
            return response
        if action == "start":
            return redirect(request.path, 303)
        values = [v for v in request.form.getlist("value") if v != ""]
        value = " ".join(values)
        done = respondents.submit(database, entry.interview_id, request.form.get("item", ""),
                                  action, value, workstation=respondents.workstation_of(link.id),
                                  language=language, now=now)
        if done.ended:  # shown here: a personal link is refused from now on
            return _with_language(_show(entry.interview_id, language, now))
        if done.error is None:
            return redirect(request.path, 303)
        screen = respondents.screen(database, entry.interview_id, language=language, now=now)
        return _with_language(pages.question_page(screen, error=done.error, typed=value))

    def _start_page(kind: str, cookie: str, language: str) -> Response:
        """Start, for a browser without an interview on the link. An open link's start page
        gives the browser its token first: Start stores the interview under it, so if the
        answer to Start is lost (the server killed or the connection dropped after the
        commit) the browser already holds the token of the interview it began and continues
        it, instead of beginning another and leaving the first empty for ever."""
        response = _with_language(pages.start_page(title, language, languages))
        if kind == POINT and not respondents.usable_token(request.cookies.get(cookie)):
            _set_browser_cookie(response, cookie, respondents.new_browser_token())
        return response

    def _set_browser_cookie(response: Response, cookie: str, token: str) -> None:
        response.set_cookie(cookie, token, max_age=BROWSER_DAYS * 86400, path="/p/",
                            httponly=True, samesite="Lax", secure=behind_https)

    def _show(interview_id: int, language: str, now: dt.datetime) -> str:
        screen = respondents.screen(database, interview_id, language=language, now=now)
        if screen.state == "in_progress":
            return pages.question_page(screen)
        words = pages.words_for(screen.language)
        if screen.state == "complete":
            text = words["complete"]
        elif screen.state == "screened_out":
            text = respondents.closing_words(database, interview_id,
                                             language=screen.language) or words["quota"]
        else:
            text = words["done"]
        return pages.end_page(title, screen.language, text)

    def _language() -> str:
        """The language asked for (?lang=, else the cookie) when it is one of the form's;
        anything else is the form's default (""), never echoed."""
        for asked in (request.args.get("lang"), request.cookies.get("lang")):
            if asked in languages:
                return asked
        return ""

    def _with_language(html: str) -> Response:
        response = make_response(html)
        chosen = request.args.get("lang")
        if chosen in languages:
            response.set_cookie("lang", chosen, max_age=BROWSER_DAYS * 86400, httponly=True,
                                samesite="Lax", secure=behind_https)
        return response

    def _refused(reason: str, language: str) -> Response:
        text = pages.words_for(language)[reason]
        return Response(pages.end_page(title, language, text),
                        status=REFUSED_STATUS.get(reason, 403), mimetype="text/html")

    return app


def _host(netloc: str) -> str:
    """host[:port] as compared: lower case, no user, no default port."""
    host = netloc.rpartition("@")[2].lower()
    for default in (":80", ":443"):
        if host.endswith(default):
            return host[:-len(default)]
    return host


__all__ = ["LinkView", "create_app"]
