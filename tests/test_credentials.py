"""The PostgreSQL password: the URL's own > the system keyring > asked; never stored in the clear.

No keyring daemon runs on the test machine, so the keyring is a real in-process backend class
registered with keyring.set_keyring: passwords in a dict, as a Secret Service would keep them.
With keyring's own ``fail`` backend (what it uses when there is no keyring) the app must ask
and must not offer to save.
"""

from __future__ import annotations

import keyring
import keyring.backend
import keyring.backends.fail
import pytest
from sqlalchemy.engine import make_url

from cati import credentials
from cati.storage.db import Database

URL = "postgresql+psycopg://cati_app@db.example:5433/wave11"
KEY = "cati_app@db.example:5433/wave11"


class DictKeyring(keyring.backend.KeyringBackend):
    """A secure keyring kept in memory."""

    priority = 5

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.entries.get((service, username))

    def set_password(self, service, username, password):
        self.entries[(service, username)] = password

    def delete_password(self, service, username):
        del self.entries[(service, username)]


class LockedKeyring(DictKeyring):
    """A keyring whose daemon refuses every call (locked, or gone)."""

    def get_password(self, service, username):
        raise keyring.errors.KeyringLocked("locked")

    def set_password(self, service, username, password):
        raise keyring.errors.KeyringLocked("locked")


@pytest.fixture
def use_keyring():
    previous = keyring.get_keyring()

    def use(backend):
        keyring.set_keyring(backend)
        return backend

    yield use
    keyring.set_keyring(previous)


def refuse_to_ask(_key: str) -> str:
    raise AssertionError("asked although the password was known")


def test_the_urls_own_password_wins(use_keyring):
    store = use_keyring(DictKeyring())
    store.set_password("cati", KEY, "from-keyring")
    with_password = credentials.with_password(URL, "in-the-url")
    resolved = credentials.resolve_url(with_password, refuse_to_ask)
    assert (resolved.source, make_url(resolved.url).password) == ("url", "in-the-url")


def test_the_keyring_entry_is_used_without_asking(use_keyring):
    store = use_keyring(DictKeyring())
    store.set_password("cati", KEY, "s3cret:/@?")  # URL-special characters survive
    resolved = credentials.resolve_url(URL, refuse_to_ask)
    assert resolved.source == "keyring"
    assert make_url(resolved.url).password == "s3cret:/@?"
    assert Database(resolved.url).engine.url.password == "s3cret:/@?"


def test_without_an_entry_the_person_is_asked_and_may_save(use_keyring):
    store = use_keyring(DictKeyring())
    asked: list[str] = []
    resolved = credentials.resolve_url(URL, lambda key: asked.append(key) or "typed")
    assert asked == [KEY]
    assert (resolved.source, make_url(resolved.url).password) == ("asked", "typed")
    assert credentials.resolve_url(URL).needs_asking  # nothing was saved by asking
    assert credentials.save_password(URL, "typed")
    assert store.entries == {("cati", KEY): "typed"}
    assert credentials.resolve_url(URL, refuse_to_ask).source == "keyring"
    credentials.forget_password(URL)
    assert store.entries == {}


def test_the_fail_backend_means_asking_and_no_saving(use_keyring):
    use_keyring(keyring.backends.fail.Keyring())
    assert credentials.secure_keyring() is None
    assert credentials.resolve_url(URL).needs_asking
    assert credentials.resolve_url(URL, lambda _key: "typed").source == "asked"
    assert credentials.save_password(URL, "typed") is False


def test_a_locked_keyring_means_asking(use_keyring):
    use_keyring(LockedKeyring())
    assert credentials.resolve_url(URL).needs_asking
    assert credentials.save_password(URL, "typed") is False


def test_an_empty_answer_connects_without_a_password(use_keyring):
    use_keyring(DictKeyring())
    resolved = credentials.resolve_url(URL, lambda _key: "")
    assert (resolved.source, resolved.url) == ("none", URL)


def test_sqlite_and_settings_urls_carry_no_password():
    sqlite = "sqlite:////tmp/cati.db"
    assert credentials.resolve_url(sqlite, refuse_to_ask) == credentials.ResolvedUrl(sqlite,
                                                                                     "none")
    assert not credentials.needs_password(sqlite)
    stored = credentials.url_for_settings(credentials.with_password(URL, "s3cret"))
    assert "s3cret" not in stored and make_url(stored) == make_url(URL)
    assert credentials.keyring_key("postgresql://u@h/d") == "u@h:5432/d"
