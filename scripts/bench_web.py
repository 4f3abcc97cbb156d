#!/usr/bin/env python3
"""Benchmark: page-to-page navigation of the web questionnaire with N concurrent respondents.

Starts ``cati web serve`` (waitress, its own process, rate limits off) on a loopback port over a
fresh SQLite file (or ``--db URL``) with a project on the shipped questionnaire, then runs N
simulated respondents on threads, each with its own keep-alive connection and cookie: start,
then page after page — POST the answer (303, committed) and GET the next page — through a
complete interview, then a new respondent. One navigation = that POST plus that GET.

The baseline, in the same run and on the same server with the same N clients: GET of the
server's static page (the WSGI stack, no store, no engine). Prints one JSON line:

    {"respondents": 50, "seconds": 20, "navigation": {"per_s", "requests_per_s", "p50_ms",
     "p99_ms", "completes"}, "static": {"requests_per_s", "p50_ms", "p99_ms"},
     "navigation_vs_static": ...}
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ANSWERS = {"phone_kind": "3", "age": "40", "residence": "1", "occupation": "2",
           "township": "4", "urban_rural": "1", "safety": "1", "trend": "1",
           "sat_police": "1", "sat_procuratorate": "2", "sat_court": "1", "sat_justice": "8",
           "suggestion": "多装路灯", "campaign_aware": "2", "gender": "2"}
ITEM = re.compile(r'name="item" value="([^"]*)"')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--threads", type=int, default=8, help="server threads")
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'bench.db'}"
        path = _prepare(url)
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "cati", "--db", url, "web", "serve", "--project", "BENCHWEB",
             "--port", str(port), "--threads", str(args.threads), "--address-limit", "0",
             "--link-limit", "0", "--starts-per-address", "0"],
            # Not a pipe: waitress logs queue depths, and a full pipe would stall the server.
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": str(ROOT)})
        try:
            _wait_for(port)
            static = _run(port, args.respondents, args.seconds, _static_client)
            navigation = _run(port, args.respondents, args.seconds,
                              lambda conn, stop, out: _respondent(conn, path, stop, out))
        finally:
            server.terminate()
            server.wait(timeout=30)
    result = {
        "respondents": args.respondents, "seconds": args.seconds, "server_threads": args.threads,
        "database": "sqlite" if url.startswith("sqlite") else url.split(":")[0],
        "navigation": {"per_s": round(len(navigation["times"]) / args.seconds, 1),
                       "requests_per_s": round(navigation["requests"] / args.seconds, 1),
                       "p50_ms": _percentile(navigation["times"], 0.50),
                       "p99_ms": _percentile(navigation["times"], 0.99),
                       "completes": navigation["completes"], "errors": navigation["errors"]},
        "static": {"requests_per_s": round(static["requests"] / args.seconds, 1),
                   "p50_ms": _percentile(static["times"], 0.50),
                   "p99_ms": _percentile(static["times"], 0.99), "errors": static["errors"]},
    }
    result["navigation_vs_static"] = round(
        result["navigation"]["requests_per_s"] / max(1e-9, result["static"]["requests_per_s"]),
        3)
    print(json.dumps(result))
    return 0


def _prepare(url: str) -> str:
    from cati.config import QUESTIONNAIRE_DIR
    from cati.services.projects import create_project
    from cati.storage.db import Database
    from cati.web.links import point_link

    database = Database(url)
    database.upgrade()
    with database.unit() as session:
        create_project(session, "BENCHWEB", QUESTIONNAIRE_DIR / "public_safety.xlsx")
    path = point_link(database, "BENCHWEB", "bench").path
    database.dispose()
    return path


def _run(port: int, clients: int, seconds: float, body) -> dict:
    stop = time.monotonic() + seconds
    outs = [{"times": [], "requests": 0, "completes": 0, "errors": 0} for _ in range(clients)]
    threads = [threading.Thread(target=_client, args=(port, stop, body, out)) for out in outs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"times": sorted(t for o in outs for t in o["times"]),
            "requests": sum(o["requests"] for o in outs),
            "completes": sum(o["completes"] for o in outs),
            "errors": sum(o["errors"] for o in outs)}


def _client(port: int, stop: float, body, out: dict) -> None:
    """Run ``body`` until ``stop``; a failed request counts as an error and the client goes on
    with a new connection (and, for a respondent, a new interview)."""
    while time.monotonic() < stop:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            body(conn, stop, out)
        except (OSError, http.client.HTTPException):
            out["errors"] += 1
        finally:
            conn.close()


def _static_client(conn, stop: float, out: dict) -> None:
    while time.monotonic() < stop:
        started = time.perf_counter()
        status, _, _ = _request(conn, "GET", "/")
        out["times"].append((time.perf_counter() - started) * 1000)
        out["requests"] += 1
        out["errors"] += status != 200


def _respondent(conn, path: str, stop: float, out: dict) -> None:
    while time.monotonic() < stop:
        status, headers, _ = _request(conn, "POST", path, {"action": "start"})
        out["requests"] += 1
        cookie = headers.get("set-cookie", "").split(";")[0]
        status, _, page = _request(conn, "GET", path, cookie=cookie)
        out["requests"] += 1
        while time.monotonic() < stop:
            found = ITEM.search(page)
            if found is None:
                out["completes"] += "问卷已提交" in page
                break
            item = found.group(1)
            started = time.perf_counter()
            status, _, _ = _request(conn, "POST", path, {"action": "next", "item": item,
                                                         "value": ANSWERS.get(item, "")},
                                    cookie=cookie)
            if status == 303:
                status, _, page = _request(conn, "GET", path, cookie=cookie)
                out["requests"] += 1
            out["requests"] += 1
            out["times"].append((time.perf_counter() - started) * 1000)
            out["errors"] += status != 200


def _request(conn, method: str, path: str, form: dict | None = None,
             cookie: str = "") -> tuple[int, dict, str]:
    headers = {"Cookie": cookie} if cookie else {}
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    text = response.read().decode("utf-8", "replace")
    return response.status, {k.lower(): v for k, v in response.getheaders()}, text


def _percentile(ordered: list[float], share: float) -> float | None:
    if not ordered:
        return None
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * share))], 2)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the web server did not start")


if __name__ == "__main__":
    sys.exit(main())
