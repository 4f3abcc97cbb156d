"""The PostgreSQL password: never in the settings, from the system keyring, else asked for.

A workstation is pointed at a server by a URL without a password
(``postgresql://cati_app@server/cati``). The password is resolved in this order:

1. the URL itself (``--db``/``CATI_DB_URL`` may carry one; it is used, never stored);
2. the system keyring (the ``keyring`` package: Secret Service, KWallet, macOS Keychain,
   Windows Credential Locker), service ``cati``, key ``user@host:port/database``;
3. the person at the workstation (the login window asks), who may then save it in the keyring.

Only a secure keyring counts: keyring's ``fail`` and ``null`` backends (what it falls back to
when no keyring daemon runs) and plain-text file backends are treated as no keyring at all, so
the password is asked for and never offered to be saved on disk in the clear. A keyring that
errors (locked, daemon gone) is also no keyring: asking is always possible. An empty answer
connects without a password, so libpq's own PGPASSWORD, ``~/.pgpass`` or a trusting server still
work. URLs that go into settings or messages lose their password first (``url_for_settings``).

Keyring calls may block on inter-process calls: the app makes them on its worker thread.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import URL, make_url

from cati.storage.db import database_label

KEYRING_SERVICE = "cati"
# Backends that store nothing, or store in the clear: module, or module.Class.
_INSECURE_BACKENDS = ("keyring.backends.fail", "keyring.backends.null",
                      "keyrings.alt.file.PlaintextKeyring", "keyrings.alt.file.EncryptedKeyring")


@dataclass(frozen=True, slots=True)
class ResolvedUrl:
    """The URL to connect with, and where its password came from: ``url``, ``keyring``,
    ``asked``, ``none`` (no password needed, or the person gave none), or ``missing`` (no ask
    function was given: the caller must ask and resolve again)."""

    url: str
    source: str

    @property
    def needs_asking(self) -> bool:
        return self.source == "missing"


def needs_password(url: str) -> bool:
    """A PostgreSQL URL without a password (SQLite files have none)."""
    parsed = make_url(url)
    return parsed.get_backend_name() == "postgresql" and not parsed.password


def keyring_key(url: str) -> str:
    """The keyring entry's name for this server and database: ``user@host:port/database``."""
    return database_label(url)


def url_for_settings(url: str) -> str:
    """The URL without its password: what may be stored or shown."""
    parsed = make_url(url)
    if parsed.password is None:
        return url
    bare = URL.create(parsed.drivername, parsed.username, None, parsed.host, parsed.port,
                      parsed.database, parsed.query)  # URL.set() ignores password=None
    return bare.render_as_string(hide_password=False)


def with_password(url: str, password: str | None) -> str:
    """The URL carrying ``password`` (unchanged when it is None or empty)."""
    if not password:
        return url
    return make_url(url).set(password=password).render_as_string(hide_password=False)


def secure_keyring():  # -> keyring.backend.KeyringBackend | None
    """The system keyring when a secure backend is usable here, else None."""
    try:
        import keyring
        from keyring.backends.chainer import ChainerBackend

        backend = keyring.get_keyring()
    except Exception:  # no keyring package or a broken configuration: no keyring
        return None
    # A chain is used through its best secure member: a plain-text member must not be written to.
    chained = backend.backends if isinstance(backend, ChainerBackend) else [backend]
    secure = [b for b in chained if _is_secure(b)]
    return secure[0] if secure else None


def _is_secure(backend) -> bool:
    kind = type(backend)
    names = (kind.__module__, f"{kind.__module__}.{kind.__qualname__}")
    return backend.priority > 0 and not any(name in _INSECURE_BACKENDS for name in names)


def stored_password(url: str) -> str | None:
    """The password saved in a secure keyring for this server and database, if any."""
    backend = secure_keyring()
    if backend is None:
        return None
    try:
        return backend.get_password(KEYRING_SERVICE, keyring_key(url))
    except Exception:  # a locked or vanished keyring: ask instead
        return None


def save_password(url: str, password: str) -> bool:
    """Save the password in a secure keyring; False (nothing written anywhere) without one."""
    backend = secure_keyring()
    if backend is None or not password:
        return False
    try:
        backend.set_password(KEYRING_SERVICE, keyring_key(url), password)
    except Exception:
        return False
    return True


def forget_password(url: str) -> None:
    """Remove a saved password (it was refused by the server)."""
    backend = secure_keyring()
    if backend is None:
        return
    with contextlib.suppress(Exception):  # not there, or the keyring is gone: nothing to forget
        backend.delete_password(KEYRING_SERVICE, keyring_key(url))


Ask = Callable[[str], "str | None"]


def resolve_url(url: str, ask: Ask | None = None) -> ResolvedUrl:
    """The URL to connect with: its own password > the keyring > ``ask(keyring_key)``.

    Without ``ask`` an unresolved password comes back as ``missing`` (the login window then
    asks on the GUI thread and calls ``with_password``)."""
    if not needs_password(url):
        return ResolvedUrl(url, "url" if make_url(url).password else "none")
    saved = stored_password(url)
    if saved:
        return ResolvedUrl(with_password(url, saved), "keyring")
    if ask is None:
        return ResolvedUrl(url, "missing")
    answer = ask(keyring_key(url))
    return ResolvedUrl(with_password(url, answer), "asked" if answer else "none")


def check_connection(url: str) -> None:
    """Connect with ``url`` once and check its schema, on a throw-away engine: a refused
    password raises here and leaves the caller's own database object unmade."""
    from cati.storage.db import Database

    database = Database(url)
    try:
        database.upgrade()
    finally:
        database.dispose()
