"""The web pages against a hostile browser or network: only the form's languages are taken from
?lang= (nothing else is echoed or stored), posts from another site are refused, HSTS and Secure
cookies behind HTTPS, and the key of the address hashes lives outside the store."""

from __future__ import annotations

import pytest
from test_web_links import web_client, web_interviews
from web_http import HttpClient

from cati.errors import CatiError
from cati.web.limits import WebLimits
from cati.web.links import point_link
from cati.web.server import BackgroundServer, ServerOptions

sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@sqlite_only
def test_only_the_forms_languages_are_taken_from_lang(database, one_case_project):
    link = point_link(database, "ONE", "东门")
    client = web_client(database, one_case_project)
    evil = '"><script>alert(1)</script>\r\nSet-Cookie: x=1'
    response = client.get(link.path, query_string={"lang": evil})
    assert response.status_code == 200
    # Only the browser's token (the start page gives it, cati.web.app), never a language.
    [token] = response.headers.getlist("Set-Cookie")
    assert token.startswith("r1=") and "x=1" not in token and "lang" not in token
    page = response.get_data(as_text=True)
    assert "alert" not in page and "开始填写" in page  # the default language's words
    # Neither ?lang= nor a cookie of another language reaches the store.
    client.set_cookie("lang", "Klingon")
    assert client.post(link.path, query_string={"lang": evil},
                       data={"action": "start"}).status_code == 303
    [interview] = web_interviews(database)
    assert interview.language == ""
    # A language of the form is still chosen, remembered and stored.
    chosen = client.get(link.path, query_string={"lang": "English (en)"})
    assert "Next" in chosen.get_data(as_text=True)
    [cookie] = chosen.headers.getlist("Set-Cookie")
    assert cookie.startswith('lang="English (en)"')
    other = web_client(database, one_case_project, address="10.0.0.2")
    other.post(link.path, query_string={"lang": "English (en)"}, data={"action": "start"})
    assert web_interviews(database)[1].language == "English (en)"


@sqlite_only
def test_posts_from_another_site_are_refused(database, one_case_project):
    link = point_link(database, "ONE", "东门")
    options = ServerOptions(allowed_hosts=("survey.example.cn",))
    with BackgroundServer(database, one_case_project, options=options,
                          limits=WebLimits(starts_per_address=0)) as server:
        own = f"http://127.0.0.1:{server.port}"
        foreign = [{"Origin": "https://evil.example"},
                   {"Origin": f"http://127.0.0.1:{int(server.port) + 1}"},  # another port
                   {"Origin": "null"},  # a sandboxed frame, a data: page
                   {"Referer": "https://evil.example/p/x"}]  # no Origin: the Referer
        for headers in foreign:
            refused = HttpClient(server.port).post(link.path, {"action": "start"},
                                                   headers=headers)
            assert refused.status_code == 403, headers
            assert "请在问卷网页上作答" in refused.get_data(as_text=True)
            assert refused.headers.get("Set-Cookie") is None
        assert web_interviews(database) == []
        # The pages' own posts (and those of the public address behind a proxy) are taken.
        for headers in [{"Origin": own}, {"Referer": own + link.path},
                        {"Origin": "https://survey.example.cn"}, {}]:
            client = HttpClient(server.port, headers=headers)
            assert client.post(link.path, {"action": "start"}).status_code == 303, headers
            assert 'name="item"' in client.get(link.path).get_data(as_text=True)
        page = client.get(link.path)
        assert page.headers["Referrer-Policy"] == "same-origin"  # so browsers send Origin
    assert len(web_interviews(database)) == 4


@sqlite_only
def test_hsts_and_secure_cookies_only_behind_https(database, one_case_project):
    from test_web_links import NOW

    from cati.web.app import create_app

    link = point_link(database, "ONE", "东门")
    for behind_https in (True, False):
        client = create_app(database, one_case_project, behind_https=behind_https,
                            clock=lambda: NOW).test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.0.0.{int(behind_https)}"
        page = client.get(link.path, query_string={"lang": "English (en)"})
        started = client.post(link.path, data={"action": "start"})
        assert started.status_code == 303
        cookies = page.headers.getlist("Set-Cookie") + started.headers.getlist("Set-Cookie")
        assert [c.split("=")[0] for c in cookies] == ["lang", f"r{link.id}"]
        for response in (page, started, client.get("/")):
            hsts = response.headers.get("Strict-Transport-Security")
            assert hsts == ("max-age=31536000" if behind_https else None)
        assert all(("; Secure" in c) is behind_https for c in cookies), cookies


def test_cli_serve_behind_https_sends_hsts(sqlite_url):
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    from cati.config import QUESTIONNAIRE_DIR
    from cati.services.projects import create_project
    from cati.storage.db import Database

    database = Database(sqlite_url)
    database.upgrade()
    with database.unit() as session:
        create_project(session, "W", QUESTIONNAIRE_DIR / "public_safety.xlsx")
    database.dispose()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "cati", "--db", sqlite_url, "web", "serve",
                               "--project", "W", "--port", str(port), "--behind-https"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ})
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    hsts = response.headers.get("Strict-Transport-Security")
                break
            except OSError:
                assert server.poll() is None, "the server exited"
                assert time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.2)
        assert hsts == "max-age=31536000"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_address_key_is_kept_outside_the_store(database, one_case_project, tmp_path,
                                                   monkeypatch):
    import hashlib
    import hmac
    import stat

    from sqlalchemy import select

    from cati.storage.models import Base, WebInterview

    data = tmp_path / "data"
    monkeypatch.setenv("CATI_DATA_DIR", str(data))
    monkeypatch.delenv("CATI_WEB_ADDRESS_KEY", raising=False)
    link = point_link(database, "ONE", "东门")
    client = web_client(database, one_case_project, address="10.0.0.1")
    assert client.post(link.path, data={"action": "start"}).status_code == 303
    key_file = data / "keys" / "web_address.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    key = key_file.read_text().strip()
    assert len(key) == 64

    def hashes() -> list[str]:
        with database.unit(immediate=False) as session:
            return list(session.scalars(select(WebInterview.address_hash)
                                        .order_by(WebInterview.interview_id)))

    assert hashes() == [hmac.new(key.encode(), b"10.0.0.1", hashlib.sha256).hexdigest()]
    with database.unit(immediate=False) as session:  # every value of every table
        stored = " ".join(str(row) for table in Base.metadata.sorted_tables
                          for row in session.execute(table.select()))
    assert "10.0.0.1" not in stored and key not in stored
    # The environment's key instead of the file (servers sharing one store).
    shared = "s3cret-shared-by-both-servers"
    monkeypatch.setenv("CATI_WEB_ADDRESS_KEY", shared)
    other = web_client(database, one_case_project, address="10.0.0.2")
    assert other.post(link.path, data={"action": "start"}).status_code == 303
    assert hashes()[1] == hmac.new(shared.encode(), b"10.0.0.2", hashlib.sha256).hexdigest()
    # A key too short to be a key stops the server at its start, in one line.
    monkeypatch.setenv("CATI_WEB_ADDRESS_KEY", "short")
    with pytest.raises(CatiError, match="CATI_WEB_ADDRESS_KEY must hold at least 16"):
        web_client(database, one_case_project)
