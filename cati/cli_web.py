"""Commands: ``cati web serve | link | invite | stats``.

    cati web serve --project CODE [--host 127.0.0.1] [--port 8080] [--threads 8]
                   [--connection-limit 400] [--idle-timeout 20] [--base-url URL]
                   [--trusted-proxy ADDRESS] [--behind-https] [--address-limit N]
                   [--link-limit N] [--starts-per-address N]
    cati web link --project CODE --point NAME [--base-url URL] [--qr FILE.png]
    cati web invite CASE_ID [--days 7] [--no-hold] [--base-url URL] [--json]
    cati web stats --project CODE [--hours 24] [--json]

The base URL is the address respondents reach the server at (``--base-url``, else the
CATI_WEB_URL environment variable, else http://127.0.0.1:8080); links are printed with it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import urllib.parse
from pathlib import Path

from cati.errors import CatiError

DEFAULT_BASE_URL = "http://127.0.0.1:8080"


def add_commands(commands: argparse._SubParsersAction, open_database) -> None:
    web = commands.add_parser("web", help="web self-completion (问卷网页)").add_subparsers(
        dest="action", required=True)
    serve = web.add_parser("serve", help="serve a project's questionnaire as web pages")
    serve.add_argument("--project", required=True, metavar="CODE")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--threads", type=int, default=8,
                       help="requests served at once (idle connections take no thread)")
    serve.add_argument("--connection-limit", type=int, default=400, metavar="N",
                       help="open connections at most (above it new ones wait)")
    serve.add_argument("--idle-timeout", type=int, default=20, metavar="SECONDS",
                       help="a connection silent this long is closed")
    serve.add_argument("--base-url", metavar="URL",
                       help="the public address respondents use (default CATI_WEB_URL): posts "
                            "from its host are taken, besides the request's own Host")
    serve.add_argument("--trusted-proxy", metavar="ADDRESS",
                       help="a reverse proxy whose X-Forwarded-For is believed")
    serve.add_argument("--behind-https", "--secure-cookies", dest="behind_https",
                       action="store_true",
                       help="behind a proxy that terminates TLS: Secure cookies and HSTS")
    serve.add_argument("--address-limit", type=int, default=120, metavar="N",
                       help="requests per minute from one address (0: no limit)")
    serve.add_argument("--link-limit", type=int, default=1200, metavar="N",
                       help="requests per minute through one link (0: no limit)")
    serve.add_argument("--starts-per-address", type=int, default=3, metavar="N",
                       help="new interviews per day from one address on one open link "
                            "(0: no limit)")
    serve.set_defaults(handler=lambda args: _serve(args, open_database(args)))

    link = web.add_parser("link", help="the open link of a collection point, and its QR code")
    link.add_argument("--project", required=True, metavar="CODE")
    link.add_argument("--point", required=True, metavar="NAME")
    link.add_argument("--base-url", metavar="URL")
    link.add_argument("--series-wide", action="store_true",
                      help="the point's standing link for the project's series: it feeds "
                           "whichever wave of the series is open (a poster kept month after "
                           "month)")
    link.add_argument("--qr", metavar="FILE.png",
                      help="where to write the QR code (default: web_CODE_POINT.png here)")
    link.set_defaults(handler=lambda args: _link(args, open_database(args)))

    invite = web.add_parser("invite", help="a personal, single-use, expiring link for a case")
    invite.add_argument("case_id", type=int)
    invite.add_argument("--days", type=float, default=7.0, help="how long it is valid")
    invite.add_argument("--no-hold", action="store_true",
                        help="keep calling the case meanwhile (default: wait for the web)")
    invite.add_argument("--base-url", metavar="URL")
    invite.add_argument("--json", action="store_true")
    invite.set_defaults(handler=lambda args: _invite(args, open_database(args)))

    stats = web.add_parser("stats", help="interviews by mode; completions per point per hour")
    stats.add_argument("--project", required=True, metavar="CODE")
    stats.add_argument("--hours", type=float, default=24.0)
    stats.add_argument("--json", action="store_true")
    stats.set_defaults(handler=lambda args: _stats(args, open_database(args)))


def base_url(given: str | None) -> str:
    url = (given or os.environ.get("CATI_WEB_URL") or DEFAULT_BASE_URL).rstrip("/")
    if not url.startswith(("http://", "https://")) or "//" not in url[:9] or url.endswith("//"):
        raise CatiError(f"--base-url: '{url}' is not an http:// or https:// address")
    return url


def _serve(args: argparse.Namespace, database) -> int:
    from cati.services.projects import get_project
    from cati.web.addresses import address_key
    from cati.web.limits import WebLimits
    from cati.web.server import ServerOptions, serve

    if not 0 <= args.port <= 65535:
        raise CatiError(f"--port: {args.port} is not a port (0-65535)")
    for option in ("threads", "connection_limit", "idle_timeout"):
        if getattr(args, option) < 1:
            raise CatiError(f"--{option.replace('_', '-')} must be at least 1")
    for option in ("address_limit", "link_limit", "starts_per_address"):
        if getattr(args, option) < 0:
            raise CatiError(f"--{option.replace('_', '-')} must be 0 (no limit) or more")
    limits = WebLimits(args.address_limit, args.link_limit, 60.0, args.starts_per_address)
    public = args.base_url or os.environ.get("CATI_WEB_URL")
    allowed_hosts = (urllib.parse.urlsplit(base_url(public)).netloc,) if public else ()
    with database.unit(immediate=False) as session:
        project = get_project(session, args.project)
    address_key()  # before "serving": a key that cannot be had is the one line printed
    print(f"serving {project.code} ({project.name}) on http://{args.host}:{args.port} "
          "— Ctrl+C stops", flush=True)
    try:
        serve(database, project.id, ServerOptions(
            args.host, args.port, args.threads, args.trusted_proxy,
            behind_https=args.behind_https, connection_limit=args.connection_limit,
            channel_timeout=args.idle_timeout, allowed_hosts=allowed_hosts), limits)
    except OSError as exc:
        raise CatiError(f"cannot serve on {args.host}:{args.port}: {exc.strerror or exc}") \
            from None
    return 0


def _link(args: argparse.Namespace, database) -> int:
    import segno

    from cati.web.links import point_link

    url_base = base_url(args.base_url)
    link = point_link(database, args.project, args.point, series=args.series_wide)
    url = url_base + link.path
    safe_point = "".join(ch if ch.isalnum() else "_" for ch in link.point)
    path = Path(args.qr or f"web_{link.project_code}_{safe_point}.png")
    if path.suffix.lower() != ".png":
        raise CatiError(f"--qr: '{path}' must be a .png file")
    try:
        segno.make(url, error="m").save(str(path), scale=10, border=4)
    except OSError as exc:
        raise CatiError(f"--qr: cannot write '{path}': {exc.strerror or exc}") from None
    print(url)
    print(f"QR code: {path}")
    return 0


def _invite(args: argparse.Namespace, database) -> int:
    from cati.web.links import invite_case, sms_text

    url_base = base_url(args.base_url)
    if args.days <= 0:
        raise CatiError("--days must be above 0")
    invitation = invite_case(database, args.case_id, valid_for=dt.timedelta(days=args.days),
                             hold=not args.no_hold)
    url = url_base + invitation.path
    text = sms_text(invitation, url_base)
    if args.json:
        print(json.dumps({"case_id": invitation.case_id, "url": url, "sms": text,
                          "expires_at": invitation.expires_at.isoformat(),
                          "holds_case": invitation.holds_case}, ensure_ascii=False))
        return 0
    print(url)
    print(f"SMS: {text}")
    return 0


def _stats(args: argparse.Namespace, database) -> int:
    from cati.services.clock import utc_now
    from cati.web.activity import completions_per_point_hour, interviews_by_mode

    if args.hours <= 0:
        raise CatiError("--hours must be above 0")
    since = utc_now() - dt.timedelta(hours=args.hours)
    modes = interviews_by_mode(database, args.project)
    hours = completions_per_point_hour(database, args.project, since=since)
    if args.json:
        print(json.dumps({
            "modes": [{"mode": m.mode, "in_progress": m.in_progress, "complete": m.complete,
                       "screened_out": m.screened_out, "other": m.other} for m in modes],
            "points": [{"point": h.point, "hour": h.hour.isoformat(),
                        "completions": h.completions} for h in hours]}, ensure_ascii=False))
        return 0
    print(f"{'mode':<8} {'open':>6} {'complete':>9} {'screened':>9} {'other':>6}")
    for m in modes:
        print(f"{m.mode:<8} {m.in_progress:>6} {m.complete:>9} {m.screened_out:>9} {m.other:>6}")
    print("completions per collection point per hour (Beijing time):")
    for h in hours:
        print(f"  {h.point or '(invitations)':<20} {h.hour:%Y-%m-%d %H:00}  {h.completions}")
    return 0
