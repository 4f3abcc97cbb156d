"""The web server's abuse rules: rate limits per address and per link (429, nothing stored), the
open link's duplicate guard (the browser's cookie, and the server's count of new interviews per
address), and what the supervisor sees: completions per point per hour and interviews by mode."""

from __future__ import annotations

import datetime as dt

import pytest
from test_web_links import (
    COMPLETE,
    NOW,
    SCREEN_OUT,
    answer_through,
    current_item,
    web_client,
    web_interviews,
)

from cati.web.activity import completions_per_point_hour, interviews_by_mode
from cati.web.limits import RateLimiter, WebLimits
from cati.web.links import point_link

sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@sqlite_only
def test_requests_per_address_are_limited(database, one_case_project):
    link = point_link(database, "ONE", "东门")
    limits = WebLimits(address_requests=4)
    client = web_client(database, one_case_project, limits=limits)
    statuses = [client.get(link.path).status_code for _ in range(4)]
    assert statuses == [200] * 4
    over = client.post(link.path, data={"action": "start"})
    assert over.status_code == 429 and "请求过于频繁" in over.get_data(as_text=True)
    assert web_interviews(database) == []  # the refused start stored nothing


@sqlite_only
def test_limits_are_per_address_and_per_link_within_one_server(database, one_case_project):
    from cati.web.app import create_app

    east = point_link(database, "ONE", "东门")
    west = point_link(database, "ONE", "西门")
    app = create_app(database, one_case_project, clock=lambda: NOW,
                     limits=WebLimits(address_requests=3, link_requests=5))
    client = app.test_client()

    def get(path: str, address: str) -> int:
        return client.get(path, environ_overrides={"REMOTE_ADDR": address}).status_code

    assert [get(east.path, "10.0.0.1") for _ in range(3)] == [200] * 3
    assert get(east.path, "10.0.0.1") == 429  # this address is over its limit
    assert get(east.path, "10.0.0.2") == 200  # another address is not
    assert get(east.path, "10.0.0.3") == 200
    assert get(east.path, "10.0.0.4") == 429  # but the link is over its own limit now
    assert get(west.path, "10.0.0.4") == 200  # another link is not


def test_fixed_window_counts_reset():
    ticks = [0.0]
    limiter = RateLimiter(60, clock=lambda: ticks[0])
    assert [limiter.allow("a", 2) for _ in range(3)] == [True, True, False]
    ticks[0] = 61.0
    assert limiter.allow("a", 2) is True
    assert limiter.allow("b", 0) is True  # 0: no limit


def test_cookie_and_server_count_guard_open_links(database, one_case_project):
    link = point_link(database, "ONE", "东门")
    limits = WebLimits(starts_per_address=2)
    first = web_client(database, one_case_project, limits=limits)
    assert "只访问年满18岁的居民" in answer_through(first, link.path, SCREEN_OUT)
    # The same browser: its cookie brings back its own ended interview, no new start.
    page = first.get(link.path).get_data(as_text=True)
    assert 'value="start"' not in page and "只访问年满18岁的居民" in page
    first.post(link.path, data={"action": "start"})
    assert len(web_interviews(database)) == 1
    # Cookies cleared (a new client), same address: one more start, then the count refuses.
    second = web_client(database, one_case_project, limits=limits)
    assert current_item(answer_through(second, link.path, {})) == "age"
    third = web_client(database, one_case_project, limits=limits)
    refused = third.post(link.path, data={"action": "start"})
    assert refused.status_code == 403 and "请勿重复填写" in refused.get_data(as_text=True)
    assert len(web_interviews(database)) == 2
    # Another address is counted on its own; a day later this one may start again.
    elsewhere = web_client(database, one_case_project, limits=limits, address="10.0.0.7")
    assert elsewhere.post(link.path, data={"action": "start"}).status_code == 303
    tomorrow = web_client(database, one_case_project, limits=limits,
                          now=NOW + dt.timedelta(days=1, minutes=1))
    assert tomorrow.post(link.path, data={"action": "start"}).status_code == 303
    assert len(web_interviews(database)) == 4


def test_completions_per_point_per_hour_and_by_mode(database, one_case_project):
    east = point_link(database, "ONE", "东门")
    west = point_link(database, "ONE", "西门")
    hours = [NOW, NOW, NOW + dt.timedelta(hours=1)]
    for n, at in enumerate(hours):
        client = web_client(database, one_case_project, address=f"10.0.1.{n}", now=at)
        assert "问卷已提交" in answer_through(client, east.path, COMPLETE)
    west_client = web_client(database, one_case_project, address="10.0.2.1")
    answer_through(west_client, west.path, SCREEN_OUT)  # not a completion
    answer_through(web_client(database, one_case_project, address="10.0.2.2"), west.path,
                   {})  # still in progress
    rows = completions_per_point_hour(database, "ONE", now=NOW + dt.timedelta(hours=2))
    beijing = dt.timezone(dt.timedelta(hours=8))
    assert [(r.point, r.hour.astimezone(beijing).hour, r.completions) for r in rows] == \
        [("东门", 10, 2), ("东门", 11, 1)]
    [web] = interviews_by_mode(database, "ONE")
    assert (web.mode, web.complete, web.screened_out, web.in_progress) == ("web", 3, 1, 1)


def test_a_flood_of_distinct_keys_keeps_the_counters_bounded():
    limiter = RateLimiter(60, clock=lambda: 0.0, max_keys=1000)
    assert [limiter.allow("a:10.9.9.9", 3) for _ in range(3)] == [True] * 3
    for n in range(20_000):  # distinct addresses, each once
        assert limiter.allow(f"a:10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}", 3) is True
        if n % 100 == 0:  # the busy address stays counted and refused throughout
            assert limiter.allow("a:10.9.9.9", 3) is False
    assert len(limiter.keys()) <= 1000


@sqlite_only
def test_made_up_links_and_rotated_ipv6_addresses_hold_little_memory(
        database, one_case_project):
    from cati.web.app import create_app

    link = point_link(database, "ONE", "东门")

    def app_with(limits: WebLimits):
        app = create_app(database, one_case_project, clock=lambda: NOW, limits=limits)
        client = app.test_client()

        def get(path: str, address: str) -> int:
            return client.get(path, environ_overrides={"REMOTE_ADDR": address}).status_code
        return app.extensions["cati.limiter"], get

    limiter, get = app_with(WebLimits(address_requests=100, link_requests=2, max_keys=50))
    for n in range(300):  # made-up tokens, long ones, from as many addresses
        assert get(f"/p/{n}{'x' * 5000}", f"10.1.{n >> 8}.{n & 255}") == 404
    assert len(limiter.keys()) <= 50 and max(map(len, limiter.keys())) <= 100
    assert [get(link.path, "10.2.0.1") for _ in range(3)] == [200, 200, 429]  # still limited
    # One IPv6 /64 is one address however its last 64 bits rotate.
    limiter, get = app_with(WebLimits(address_requests=3, max_keys=50))
    assert [get(link.path, f"2001:db8:1:2::{n:x}") for n in range(1, 5)] == [200] * 3 + [429]
    assert get(link.path, "2001:db8:1:3::1") == 200  # another /64
