"""Where openpyxl's write-only workbooks keep their sheets until saved.

openpyxl writes each sheet of a write-only workbook to a temporary file (``openpyxl.*`` in the
temp folder, tens of MB for a large rejects report or export) and removes it at exit; a killed
process leaves it for ever. ``use_private_temp_dir`` sends these files to a folder of this
process's own, ``<temp>/cati-xlsx/<pid>-<random>/``, held by a lock for the process's life and
removed at exit; every call also removes the folders whose process is gone (their lock is free),
so what a killed process left is gone after the next run that writes a workbook.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

FOLDER = "cati-xlsx"
_LOCK_NAME = ".owner"
_lock = threading.Lock()
_mine: Path | None = None
_handle = None
_owner_pid = -1
_MAKING = "making-"
YOUNG_SECONDS = 60  # a folder still being made this recently is left alone


def use_private_temp_dir() -> Path:
    """Make openpyxl put its temporary files in this process's own folder (idempotent)."""
    global _mine, _handle, _owner_pid
    with _lock:
        if _mine is not None and _mine.is_dir() and os.getpid() == _owner_pid:
            return _mine
        root = Path(tempfile.gettempdir()) / FOLDER
        root.mkdir(parents=True, exist_ok=True)
        _sweep(root)
        # Made under a name the sweep leaves alone, locked, then given its name.
        making = Path(tempfile.mkdtemp(prefix=f"{_MAKING}{os.getpid()}-", dir=root))
        handle = (making / _LOCK_NAME).open("a+b")  # held for the process's life
        _try_lock(handle)
        mine = making.with_name(making.name[len(_MAKING):])
        making.rename(mine)
        _mine, _handle, _owner_pid = mine, handle, os.getpid()
        _patch_openpyxl(mine)
        atexit.register(_remove_mine, mine, handle)
        return mine


def save_whole(book, target: Path) -> None:
    """Save a workbook as ``target``: written as ``target.part`` and renamed, so no reader ever
    sees half a workbook; a failed save (a full disk) removes the ``.part``, and the zip archive
    is closed at once (left to the garbage collector it would fail again, with a traceback)."""
    import datetime as dt
    import zipfile

    from openpyxl.writer.excel import ExcelWriter

    partial = target.with_name(target.name + ".part")
    try:
        archive = zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        try:
            book.properties.modified = dt.datetime.now(tz=dt.UTC).replace(tzinfo=None)
            ExcelWriter(book, archive).save()  # closes the archive
        except BaseException:
            with contextlib.suppress(Exception):
                archive.close()
            raise
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _patch_openpyxl(folder: Path) -> None:
    from openpyxl.worksheet import _writer

    def create_temporary_file(suffix: str = "") -> str:
        target = folder if folder.is_dir() else None  # gone: openpyxl's own default
        descriptor, name = tempfile.mkstemp(suffix=suffix, prefix="openpyxl.", dir=target)
        os.close(descriptor)
        _writer.ALL_TEMP_FILES.append(name)
        return name

    _writer.create_temporary_file = create_temporary_file


def _sweep(root: Path) -> None:
    """Remove the folders of processes that are gone (nobody holds their lock)."""
    for folder in root.iterdir():
        try:
            if not folder.is_dir() or folder == _mine or (
                    folder.name.startswith(_MAKING)
                    and time.time() - folder.stat().st_mtime < YOUNG_SECONDS):
                continue
        except OSError:
            continue
        try:
            with (folder / _LOCK_NAME).open("a+b") as handle:
                if not _try_lock(handle):
                    continue  # a live process's folder
        except OSError:
            continue
        shutil.rmtree(folder, ignore_errors=True)


def _try_lock(handle) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows: a folder in use cannot be removed anyway
        return True
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _remove_mine(folder: Path, handle) -> None:
    if os.getpid() != _owner_pid:
        return
    handle.close()
    shutil.rmtree(folder, ignore_errors=True)
