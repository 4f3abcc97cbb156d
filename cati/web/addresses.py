"""The key of the respondents' address hashes, kept outside the store.

The open links' duplicate guard counts new interviews per address, and the store keeps an
address only as HMAC-SHA256(key, address). That hash protects the address only while the key is
secret: there are 2^32 IPv4 addresses, so whoever holds both the hashes and the key finds every
address in seconds. The key therefore never enters the database (nor its backups, dumps and
read-only users): it is

- the environment variable CATI_WEB_ADDRESS_KEY (at least 16 characters) when set: for several
  web servers on one store, which then count an address together, and for containers; else
- the file ``keys/web_address.key`` in the user data directory (cati.config.user_data_dir) of
  the account running the web server, made on first use with a random 256-bit key: the file
  0600, its folder 0700 (on Windows the per-user profile keeps it private).

Losing or changing the key costs little: the hashes serve nothing but the guard's one-day count,
which starts again from zero. (The key that signs the links stays in the store, table web_keys:
every server of the store must accept the same links, and it reveals nothing of a respondent.)
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
from pathlib import Path

from cati.config import user_data_dir
from cati.errors import CatiError

ENV = "CATI_WEB_ADDRESS_KEY"
FOLDER = "keys"
FILE_NAME = "web_address.key"
MIN_CHARS = 16


def address_hash(address: str) -> str:
    """The keyed hash under which an address is stored."""
    return hmac.new(address_key(), address.encode(), hashlib.sha256).hexdigest()


def address_key() -> bytes:
    """The key (the environment's, else the file's, made on first use); CatiError in one line
    when it cannot be had."""
    configured = os.environ.get(ENV)
    if configured is not None:
        configured = configured.strip()
        if len(configured) < MIN_CHARS:
            raise CatiError(f"{ENV} must hold at least {MIN_CHARS} characters (a random key: "
                            "python -c 'import secrets; print(secrets.token_hex(32))')")
        return configured.encode()
    path = user_data_dir() / FOLDER / FILE_NAME
    with _lock:
        key = _keys.get(path)
        if key is None:
            key = _keys[path] = _read_or_make(path)
    return key


_keys: dict[Path, bytes] = {}
_lock = threading.Lock()


def _read_or_make(path: Path) -> bytes:
    try:
        path.parent.mkdir(mode=0o700, exist_ok=True)
        if os.name == "posix":
            os.chmod(path.parent, 0o700)
        text = _read(path)
        if text is None:
            text = _make(path)
    except OSError as exc:
        raise CatiError(f"the web address key {path}: {exc.strerror or exc}") from None
    if len(text) < MIN_CHARS:
        raise CatiError(f"the web address key {path} is too short: delete the file and a new "
                        "key is made")
    return text.encode()


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None


def _make(path: Path) -> str:
    """Write a new key; the first of two servers starting together wins (a hard link is made
    only where no file is)."""
    text = secrets.token_hex(32)
    temporary = path.with_name(f".{FILE_NAME}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as file:
            file.write(text + "\n")
        try:
            os.link(temporary, path)
        except FileExistsError:
            return _read(path) or ""
        return text
    finally:
        temporary.unlink(missing_ok=True)
