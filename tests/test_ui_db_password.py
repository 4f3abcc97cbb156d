"""The login window asks for the database password when the URL has none and no keyring holds
it, connects with it, offers to save it only in a secure keyring, and stores it nowhere else.

The suite's server trusts loopback connections; so that the password really counts, the test
puts one pg_hba.conf line in front for its own role (scram-sha-256) and takes it out after.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import keyring
import keyring.backends.fail
import psycopg
import pytest
from psycopg import sql
from PySide6.QtCore import QSettings, Qt
from sqlalchemy.engine import make_url
from test_credentials import DictKeyring

from cati import credentials
from cati.services.users import add_user
from cati.storage.db import Database
from ui.app import CatiApp


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _refused(url: str) -> bool:
    try:
        with psycopg.connect(_libpq(url), connect_timeout=3):
            return False
    except psycopg.OperationalError as exc:
        return "password" in str(exc)


@pytest.fixture
def password_server(pg_url):
    """(URL without the password, the password) of a fresh database owned by a role that must
    give its password, with the interviewer zhou in it."""
    tag = uuid.uuid4().hex[:10]
    role, name, password = f"ui_{tag}", f"db_{tag}", f"pw-{tag}"
    line = f"host all {role} 127.0.0.1/32 scram-sha-256\n"
    with psycopg.connect(_libpq(pg_url), autocommit=True) as connection:
        connection.execute("SET password_encryption = 'scram-sha-256'")
        connection.execute(sql.SQL("CREATE ROLE {} LOGIN CREATEROLE PASSWORD {}").format(
            sql.Identifier(role), sql.Literal(password)))
        connection.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(
            sql.Identifier(name), sql.Identifier(role)))
        hba = Path(connection.execute("SHOW hba_file").fetchone()[0])
        hba.write_text(line + hba.read_text())
        connection.execute("SELECT pg_reload_conf()")
    url = (make_url(pg_url).set(username=role, password=None, database=name)
           .render_as_string(hide_password=False))
    try:
        deadline = time.monotonic() + 10
        while not _refused(url):  # the reload is asynchronous
            assert time.monotonic() < deadline, "the server kept trusting the role"
            time.sleep(0.05)
        database = Database(credentials.with_password(url, password))
        database.upgrade()
        with database.unit() as session:
            add_user(session, "zhou", "interview-2026", "interviewer", "周")
        database.dispose()
        yield url, password
    finally:
        hba.write_text(hba.read_text().replace(line, ""))
        with psycopg.connect(_libpq(pg_url), autocommit=True) as connection:
            connection.execute("SELECT pg_reload_conf()")
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                               .format(sql.Identifier(name)))
            connection.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


@pytest.fixture
def use_keyring():
    previous = keyring.get_keyring()
    yield keyring.set_keyring
    keyring.set_keyring(previous)


@pytest.fixture
def start_app(qtbot, tmp_path):
    apps: list[CatiApp] = []

    def start(url: str) -> CatiApp:
        settings = QSettings(str(tmp_path / f"settings{len(apps)}.ini"),
                             QSettings.Format.IniFormat)
        app = CatiApp(url, settings=settings, speech=False)
        apps.append(app)
        qtbot.addWidget(app.login)
        app.login.show()
        return app

    yield start
    for app in apps:
        if app.main_window is not None:
            app.main_window.close()
        app.shutdown()


def _log_in(qtbot, app: CatiApp, db_password: str | None) -> None:
    login = app.login
    login.username.clear()
    qtbot.keyClicks(login.username, "zhou")
    login.password.clear()
    qtbot.keyClicks(login.password, "interview-2026")
    if db_password is None:
        qtbot.keyClick(login.password, Qt.Key.Key_Return)
    else:
        qtbot.keyClicks(login.db_password, db_password)
        qtbot.keyClick(login.db_password, Qt.Key.Key_Return)


def _asking(app: CatiApp) -> bool:
    login = app.login
    return login.db_password.isVisible() and login.button.isEnabled()


def test_without_a_keyring_the_window_asks_and_stores_nothing(qtbot, password_server,
                                                              use_keyring, start_app, tmp_path):
    url, password = password_server
    use_keyring(keyring.backends.fail.Keyring())
    app = start_app(url)
    qtbot.waitUntil(lambda: _asking(app), timeout=10_000)
    assert credentials.keyring_key(url) in app.login.status.text()
    assert not app.login.save_db_password.isVisible()  # no secure keyring: no offer to save

    _log_in(qtbot, app, "not-the-password")
    qtbot.waitUntil(lambda: "Cannot open the database" in app.login.status.text(),
                    timeout=10_000)
    assert app.main_window is None and _asking(app) and app.login.db_password.text() == ""

    _log_in(qtbot, app, password)
    qtbot.waitUntil(lambda: app.main_window is not None, timeout=15_000)
    engine_url = app.backend.database.engine.url
    assert (engine_url.username, engine_url.password) == (make_url(url).username, password)
    app.settings.sync()
    for key in app.settings.allKeys():
        assert password not in str(app.settings.value(key)), key
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert password.encode() not in path.read_bytes(), path


def test_a_secure_keyring_is_offered_then_used(qtbot, password_server, use_keyring,
                                               start_app):
    url, password = password_server
    store = DictKeyring()
    use_keyring(store)
    first = start_app(url)
    qtbot.waitUntil(lambda: _asking(first), timeout=10_000)
    assert first.login.save_db_password.isVisible()
    first.login.save_db_password.setChecked(True)
    _log_in(qtbot, first, password)
    qtbot.waitUntil(lambda: first.main_window is not None, timeout=15_000)
    assert store.entries == {("cati", credentials.keyring_key(url)): password}

    second = start_app(url)  # the next start finds it in the keyring: no question
    qtbot.waitUntil(second.login.button.isEnabled, timeout=10_000)
    assert not second.login.db_password.isVisible()
    _log_in(qtbot, second, None)
    qtbot.waitUntil(lambda: second.main_window is not None, timeout=15_000)
    assert second.backend.database.engine.url.password == password
