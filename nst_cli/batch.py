"""Several workers on one batch folder: claims on pairs, and one batch record that merges them all.

Built on nothing but plumbing; the command line (``python -m nst_cli``) uses it. Any number of
processes, on one machine or several sharing a folder, may run the same batch command:

- **Claims.** Before painting a pair, a worker creates ``.<result>.claim`` beside the result
  with ``os.open(O_CREAT | O_EXCL)``, which exactly one process can do. The claim holds the
  worker's host, pid, start time and a random token. While the worker paints, a background
  thread touches the claim every quarter of the stale timeout. A claim whose file was not
  touched for the stale timeout (``CLAIM_STALE_SECONDS``, or ``$NST_CLAIM_STALE_SECONDS``, or
  the command line's ``--claim-timeout``) belongs to a worker that was killed or lost its
  machine: another worker moves it aside with an atomic rename, checks that what it moved is
  the stale file it saw (same inode, same modification time), deletes it and claims the pair.
  A claim is deleted when its pair is done, or when the worker stops (Ctrl-C or an error).
- **The batch record** (``batch.json``) is updated read-merge-write under a lock file, itself
  created with ``O_CREAT | O_EXCL`` (retried, and taken over when older than
  ``LOCK_STALE_SECONDS``), and replaced atomically (written beside it, then ``os.replace``), so
  no worker's result is lost and no reader sees half a file.

Staleness compares a file's modification time with this machine's clock: machines sharing a
folder need clocks that agree to well under the stale timeout (NTP does).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from nst_plumbing.config import CLAIM_STALE_ENV_VAR, CLAIM_STALE_SECONDS, LOCK_STALE_SECONDS
from nst_plumbing.files import PARTIAL_SUFFIX, write_atomic

__all__ = ["worker_id", "claim_timeout", "claim_path", "Claim", "try_claim", "locked", "write_json_atomic",
           "read_json", "update_record", "leftovers"]

_CLAIM_SUFFIX = ".claim"
_LOCK_SUFFIX = ".lock"
_ASIDE_SUFFIX = ".stale"


def worker_id() -> str:
    """Names this process among the workers: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def claim_timeout(seconds: float | None = None) -> float:
    """The stale timeout of claims: ``seconds``, else ``$NST_CLAIM_STALE_SECONDS``, else the default.

    Raises:
        ValueError: The value is not a finite number of seconds greater than 0.
    """
    source = "--claim-timeout"
    if seconds is None:
        text = os.environ.get(CLAIM_STALE_ENV_VAR)
        if not text:
            return CLAIM_STALE_SECONDS
        source = f"${CLAIM_STALE_ENV_VAR}"
        try:
            seconds = float(text)
        except ValueError:
            raise ValueError(f"{source} must be a number of seconds greater than 0; got {text!r}") from None
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 < seconds < float("inf"):
        raise ValueError(f"{source} must be a number of seconds greater than 0; got {seconds!r}")
    return float(seconds)


def claim_path(output: Path) -> Path:
    """The claim file of the result ``output``: ``.<name>.claim`` beside it."""
    output = Path(output)
    return output.with_name(f".{output.name}{_CLAIM_SUFFIX}")


def _unique(path: Path, suffix: str) -> Path:
    """A name beside ``path`` that no other process on any machine uses."""
    return path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:12]}{suffix}")


def _read_token(path: Path) -> str | None:
    """The token in a claim or lock file; ``None`` if it is gone, empty or unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("token")
    except (OSError, ValueError, AttributeError):
        return None


def _create_exclusive(path: Path, token: str) -> bool:
    """Creates ``path`` holding who we are, if and only if it does not exist (atomic)."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    host, pid = socket.gethostname(), os.getpid()
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        json.dump({"worker": f"{host}:{pid}", "host": host, "pid": pid,
                   "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "token": token}, file)
    return True


def _remove_if_stale(path: Path, stale_after: float) -> bool:
    """Removes ``path`` if it was not touched for ``stale_after`` seconds.

    The file is first renamed aside (atomic: of several workers, one succeeds), then checked to
    be the same stale file that was seen (inode and modification time); if it is not, because
    its owner replaced it meanwhile, it is put back.

    Returns:
        Whether ``path`` may now be free: it was stale and removed, or it had vanished.
    """
    try:
        seen = path.stat()
    except FileNotFoundError:
        return True
    if time.time() - seen.st_mtime <= stale_after:
        return False
    aside = _unique(path, _ASIDE_SUFFIX)
    try:
        os.rename(path, aside)
    except FileNotFoundError:
        return True  # another worker removed it first
    moved = aside.stat()
    if (moved.st_ino, moved.st_mtime_ns) != (seen.st_ino, seen.st_mtime_ns):
        with contextlib.suppress(FileExistsError):
            os.link(aside, path)  # a fresh claim moved by mistake: back where it was, unless replaced
        aside.unlink()
        return False
    aside.unlink()
    return True


@dataclass
class Claim:
    """This worker's claim on one pair; a context manager that keeps it fresh and removes it.

    Attributes:
        path: The claim file.
        token: The random token written in it, which tells our claim from another's.
        stale_after: The stale timeout; the claim is touched every quarter of it.
    """

    path: Path
    token: str
    stale_after: float
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    def is_ours(self) -> bool:
        """Whether the claim file is still this worker's."""
        return _read_token(self.path) == self.token

    def refresh(self) -> bool:
        """Touches the claim file so that it does not go stale; ``False`` if it is no longer ours."""
        if not self.is_ours():
            return False
        with contextlib.suppress(FileNotFoundError):
            os.utime(self.path)
            return True
        return False

    def _beat(self) -> None:
        while not self._stop.wait(self.stale_after / 4):
            if not self.refresh():
                return

    def release(self) -> None:
        """Stops refreshing and deletes the claim file if it is still ours."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        if self.is_ours():
            self.path.unlink(missing_ok=True)

    def __enter__(self) -> Claim:
        self._thread = threading.Thread(target=self._beat, name=f"claim {self.path.name}", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.release()


def try_claim(output: Path, stale_after: float | None = None) -> Claim | None:
    """Claims the pair whose result is ``output``, taking over a stale claim; ``None`` if another has it.

    Args:
        output: The result file the claim is for.
        stale_after: Seconds after which an untouched claim is taken over; by default
            ``claim_timeout()``.

    Returns:
        A ``Claim`` (use it as a context manager while painting), or ``None``.
    """
    stale_after = claim_timeout(stale_after)
    path = claim_path(output)
    token = uuid.uuid4().hex
    for _ in range(3):  # a stale claim removed, then the race for the free name
        if _create_exclusive(path, token):
            return Claim(path, token, stale_after)
        if not _remove_if_stale(path, stale_after):
            return None
    return None


@contextlib.contextmanager
def locked(path: Path, timeout: float = 60.0) -> Iterator[None]:
    """Holds the lock file ``.<name>.lock`` beside ``path`` for the duration of the block.

    Args:
        path: The file the lock protects.
        timeout: Seconds to wait for a lock held by another worker.

    Raises:
        TimeoutError: The lock stayed held, and fresh, for ``timeout`` seconds.
    """
    lock = Path(path).with_name(f".{Path(path).name}{_LOCK_SUFFIX}")
    token = uuid.uuid4().hex
    deadline = time.monotonic() + timeout
    while not _create_exclusive(lock, token):
        if _remove_if_stale(lock, LOCK_STALE_SECONDS):
            continue
        if time.monotonic() > deadline:
            raise TimeoutError(f"{lock} has been held by another worker for over {timeout:.0f} s; if no worker "
                               "is running, delete it")
        time.sleep(random.uniform(0.02, 0.1))
    try:
        yield
    finally:
        if _read_token(lock) == token:
            lock.unlink(missing_ok=True)


def write_json_atomic(path: Path, data: dict) -> None:
    """Writes ``data`` as JSON to ``path`` in one step: beside it first, then ``os.replace``."""
    write_atomic(path, lambda partial: partial.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8"))


def read_json(path: Path) -> dict:
    """The JSON object in ``path``, or ``{}`` if there is no such file.

    Raises:
        ValueError: The file is not a readable JSON object; the message names it.
    """
    path = Path(path)
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path} is not a readable batch record ({exc}); move it away to start afresh") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a batch record (expected a JSON object); move it away to start afresh")
    return data


def update_record(path: Path, name: str, entry: dict) -> dict:
    """Adds or replaces ``pairs[name]`` in the batch record ``path``, keeping every other worker's entries.

    Read, merged and written under the record's lock, and replaced atomically.

    Returns:
        The whole record as written.

    Raises:
        ValueError: The record exists but is not readable.
        TimeoutError: Its lock stayed held by another worker.
    """
    with locked(path):
        record = read_json(path)
        record.setdefault("pairs", {})[name] = entry
        write_json_atomic(path, record)
    return record


def leftovers(folder: Path) -> list[Path]:
    """Claim, lock, partial and set-aside files in ``folder`` (none should outlive a batch)."""
    suffixes = (_CLAIM_SUFFIX, _LOCK_SUFFIX, _ASIDE_SUFFIX)
    return sorted(path for path in Path(folder).glob(".*")
                  if path.name.endswith(suffixes) or PARTIAL_SUFFIX in path.suffixes)
