"""The web side under real faults: processes using a new store's signing key at once, a
collection point's link asked for twice at once, a crash at Start.

Concurrency here is real processes (forked from the test, each with its own Database and
connections, released together by a barrier) on the real SQLite file and PostgreSQL server.
"""

from __future__ import annotations

import multiprocessing
import os
import traceback

from sqlalchemy import func, select
from test_web_links import COMPLETE, answer_through, current_item, web_client, web_interviews

from cati.storage.models import WebInterview, WebKey, WebLink
from cati.web import respondents
from cati.web.links import POINT, point_link, resolve

PROCESSES = 16


def _child(url: str, point: str, barrier, results) -> None:
    from cati.storage.db import Database

    database = Database(url)
    try:
        barrier.wait(timeout=30)
        link = point_link(database, "ONE", point)
        results.put(("ok", point, link.path))
    except BaseException:  # reported to the test, which fails on it
        results.put(("error", point, traceback.format_exc()))
    finally:
        database.dispose()


def _at_once(url: str, points: list[str]) -> list[tuple[str, str]]:
    """``point_link`` for each point, each in its own process, all released together."""
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(len(points)), context.Queue()
    children = [context.Process(target=_child, args=(url, point, barrier, results))
                for point in points]
    for child in children:
        child.start()
    got = [results.get(timeout=60) for _ in children]
    for child in children:
        child.join(timeout=30)
    errors = [text for status, _, text in got if status != "ok"]
    assert not errors, errors[0]
    return [(point, path) for _, point, path in got]


def _count(database, model) -> int:
    with database.unit(immediate=False) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_first_use_of_the_signing_key_by_many_processes_makes_one_key(
        database, one_case_project):
    """On PostgreSQL each process using a new store's key for the first time made a key of its
    own and signed its links with it; afterwards the links of all but one were refused as
    unknown (7 of 80 in the field). Now the first maker holds a lock and the others read its
    key: every printed link opens the questionnaire."""
    printed = _at_once(database.url, [f"点{n}" for n in range(PROCESSES)])
    assert _count(database, WebKey) == 1
    client = web_client(database, one_case_project)
    refused = [path for _, path in printed if client.get(path).status_code != 200]
    assert refused == [], f"{len(refused)} of {len(printed)} printed links refused"
    assert 'value="start"' in client.get(printed[0][1]).get_data(as_text=True)


def test_one_point_asked_for_at_once_gets_one_link(database, one_case_project):
    """Asking for a collection point's link from several processes at once made one link per
    process on PostgreSQL (two posters of one point, counted apart). Now there is one, and
    every process prints it."""
    point_link(database, "ONE", "南门")  # the key exists: only the point's link is raced
    printed = _at_once(database.url, ["东门"] * PROCESSES)
    assert len({path for _, path in printed}) == 1
    with database.unit(immediate=False) as session:
        assert session.scalar(select(func.count()).select_from(WebLink)
                              .where(WebLink.point == "东门")) == 1
    assert point_link(database, "ONE", "东门").path == printed[0][1]  # and again later


def test_a_crash_at_start_leaves_no_orphan_interview(database, one_case_project, monkeypatch):
    """Start stored the interview, then the answer carrying the browser's cookie was lost (the
    server killed, the connection dropped): the browser had no cookie, so it was offered Start
    again and began a second interview, the first left empty and in progress for ever. Now the
    browser holds its token from the start page on, so the interview it began is the one it
    continues after the crash."""
    link = point_link(database, "ONE", "东门")
    client = web_client(database, one_case_project)
    real, crashes = respondents.begin, []

    def crash_after_commit(*args, **kwargs):
        entry = real(*args, **kwargs)  # stored and committed
        if not crashes:
            crashes.append(1)
            raise ConnectionError("the server went away before the answer left")
        return entry

    monkeypatch.setattr(respondents, "begin", crash_after_commit)
    client.application.testing = False  # the crash is a 500 page, as a respondent sees it
    assert 'value="start"' in client.get(link.path).get_data(as_text=True)
    assert client.post(link.path, data={"action": "start"}).status_code == 500
    assert crashes == [1]
    [interview] = web_interviews(database)
    # Reloading the page continues the interview begun (its first question), not a Start page.
    assert current_item(client.get(link.path).get_data(as_text=True)) is not None
    page = answer_through(client, link.path, COMPLETE)
    assert current_item(page) is None
    [interview] = web_interviews(database)
    assert interview.state == "complete"
    assert _count(database, WebInterview) == 1


def test_a_token_of_another_browser_is_not_taken_over(database, one_case_project):
    """The browser's own token names its interview; a cookie copied from another link's
    interview (a made-up one) starts a new interview of its own instead of failing."""
    first, second = point_link(database, "ONE", "东门"), point_link(database, "ONE", "西门")
    client = web_client(database, one_case_project)
    client.get(first.path)
    client.post(first.path, data={"action": "start"})
    cookie = client.get_cookie(f"r{_link_id(database, '东门')}", path="/p/")
    assert cookie is not None
    other = web_client(database, one_case_project, address="10.0.0.2")
    other.set_cookie(f"r{_link_id(database, '西门')}", cookie.value, path="/p/")
    response = other.post(second.path, data={"action": "start"})
    assert response.status_code == 303
    assert len(web_interviews(database)) == 2
    assert current_item(other.get(second.path).get_data(as_text=True)) is not None


def _link_id(database, point: str) -> int:
    with database.unit(immediate=False) as session:
        return session.scalar(select(WebLink.id).where(WebLink.point == point))




def _address_child(folder: str, barrier, results) -> None:
    os.environ["CATI_DATA_DIR"] = folder
    from cati.web.addresses import address_key

    try:
        barrier.wait(timeout=30)
        results.put(("ok", address_key().decode()))
    except BaseException:  # reported to the test, which fails on it
        results.put(("error", traceback.format_exc()))


def test_first_use_of_the_address_key_by_many_servers_makes_one_key(tmp_path):
    """Web servers starting together on one account each need the address key (kept in a
    file, outside the store): the first file written wins, whole, and every server reads it."""
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(PROCESSES), context.Queue()
    children = [context.Process(target=_address_child, args=(str(tmp_path), barrier, results))
                for _ in range(PROCESSES)]
    for child in children:
        child.start()
    got = [results.get(timeout=60) for _ in children]
    for child in children:
        child.join(timeout=30)
    assert all(status == "ok" for status, _ in got), got
    keys = {key for _, key in got}
    assert len(keys) == 1 and len(keys.pop()) == 64
    assert sorted(p.name for p in (tmp_path / "keys").iterdir()) == ["web_address.key"]


def test_two_tabs_pressing_start_with_one_token_make_one_interview(database, one_case_project):
    """Two tabs of one browser (one token) both on the start page press Start, the second
    before it knows of the first's interview: one interview, which both continue — also when
    the address is at its daily limit of starts."""
    from cati.web.limits import WebLimits

    link = point_link(database, "ONE", "东门")
    client = web_client(database, one_case_project, limits=WebLimits(starts_per_address=1))
    client.get(link.path)  # the start page gives the token
    token = client.get_cookie(f"r{_link_id(database, '东门')}", path="/p/").value
    assert client.post(link.path, data={"action": "start"}).status_code == 303
    second = respondents.begin(database, resolve(database, POINT, link.token), "10.0.0.1",
                               starts_per_address=1, browser_token=token)
    [interview] = web_interviews(database)
    assert second.interview_id == interview.id
