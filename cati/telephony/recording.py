"""One recording file per call, made from baresip's two sndfile dumps.

baresip's ``sndfile`` writes, for each call, ``dump-<time>-enc.wav`` (what the workstation
sent: the interviewer) and ``dump-<time>-dec.wav`` (what it received: the respondent), mono
16-bit at the codec's rate (8000 Hz for G.711). They are merged into one stereo WAV, left the
interviewer and right the respondent (quality control hears who said what, and each side's
level is checked on its own), the shorter side padded with silence at its end. Written to a
temporary name in the target folder, then renamed (a shared folder never shows half a file).
Path, size, duration and sha256 are measured from the file written.
"""

from __future__ import annotations

import array
import datetime as dt
import hashlib
import math
import os
import shutil
import time
import wave
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class RecordingInfo:
    path: str
    size: int
    duration_s: float
    sha256: str

    def as_json(self) -> dict:
        return {"path": self.path, "size": self.size, "duration_s": round(self.duration_s, 3),
                "sha256": self.sha256}


def _samples(path: Path) -> tuple[array.array, int]:
    with wave.open(str(path), "rb") as source:
        if source.getsampwidth() != 2:
            raise ValueError(f"{path.name}: not 16-bit audio")
        rate = source.getframerate()
        data = array.array("h")
        data.frombytes(source.readframes(source.getnframes()))
        channels = source.getnchannels()
    if channels > 1:
        data = data[::channels]
    return data, rate


def new_dumps(folder: Path, before: set[str]) -> tuple[Path | None, Path | None]:
    """The enc and dec dumps written since ``before`` (names present then)."""
    enc = dec = None
    for path in sorted(folder.glob("dump-*.wav")):
        if path.name in before:
            continue
        if path.name.endswith("-enc.wav"):
            enc = path
        elif path.name.endswith("-dec.wav"):
            dec = path
    return enc, dec


def wait_closed(paths: list[Path], timeout: float = 3.0) -> None:
    """baresip closes the dumps just after the call's CLOSED event: wait until their sizes stop
    changing and their headers are readable."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        sizes = [p.stat().st_size if p.exists() else -1 for p in paths]
        if sizes == last:
            try:
                for p in paths:
                    with wave.open(str(p), "rb"):
                        pass
                return
            except (wave.Error, EOFError, OSError):
                pass
        last = sizes
        time.sleep(0.1)


def merge(enc: Path | None, dec: Path | None, target: Path) -> RecordingInfo:
    """Write the stereo recording (left ``enc``, right ``dec``) to ``target``."""
    left, rate_l = _samples(enc) if enc and enc.exists() else (array.array("h"), 0)
    right, rate_r = _samples(dec) if dec and dec.exists() else (array.array("h"), 0)
    rate = rate_r or rate_l or 8000
    if rate_l and rate_r and rate_l != rate_r:
        raise ValueError("the two sides of the call have different sample rates")
    frames = max(len(left), len(right))
    left.extend([0] * (frames - len(left)))
    right.extend([0] * (frames - len(right)))
    both = array.array("h", [0]) * (2 * frames)
    both[0::2] = left
    both[1::2] = right
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.part")
    with wave.open(str(partial), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(both.tobytes())
    os.replace(partial, target)
    return describe(target)


def describe(path: Path) -> RecordingInfo:
    """Path, size, duration and sha256 of a WAV file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    with wave.open(str(path), "rb") as source:
        duration = source.getnframes() / float(source.getframerate() or 1)
    return RecordingInfo(str(path), path.stat().st_size, duration, digest.hexdigest())


def channel_rms(path: Path, channel: int) -> float:
    """Root mean square of one channel (0 left, 1 right) of a 16-bit WAV, on the 0..32767
    scale: silence is 0, speech at a normal level is in the hundreds or thousands."""
    with wave.open(str(path), "rb") as source:
        count = source.getnchannels()
        data = array.array("h")
        data.frombytes(source.readframes(source.getnframes()))
    side = data[channel::count]
    if not side:
        return 0.0
    return math.sqrt(sum(s * s for s in side) / len(side))


def file_recording(source: Path, folder: Path, project_code: str, attempt_id: int,
                   when: dt.datetime) -> RecordingInfo:
    """Move a call's recording to ``FOLDER/PROJECT/YYYY-MM/attempt-ID.wav`` (named by the
    attempt, so the database row and the file name agree; by month, so no folder grows for
    ever). Never overwrites; across file systems (a shared folder) it copies, checks the sha256
    of the copy, then removes the source."""
    safe_code = "".join(c if c.isalnum() or c in "-_" else "_" for c in project_code) or "_"
    target = folder / safe_code / when.strftime("%Y-%m") / f"attempt-{attempt_id}.wav"
    if target.exists():
        raise FileExistsError(f"{target} exists already")
    target.parent.mkdir(parents=True, exist_ok=True)
    before = describe(source)
    try:
        os.link(source, target)  # same file system: atomic, and never over an existing file
        source.unlink()
    except OSError:
        partial = target.with_name(f".{target.name}.part")
        shutil.copyfile(source, partial)
        if describe(partial).sha256 != before.sha256:
            partial.unlink(missing_ok=True)
            raise OSError(f"{target}: the copy differs from the recording") from None
        os.replace(partial, target)
        source.unlink()
    return describe(target)
