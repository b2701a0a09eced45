"""Writing a file in one step: a reader sees the old file or the whole new one, never half of it."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Callable

__all__ = ["PARTIAL_SUFFIX", "write_atomic"]

# What the name of a file being written ends with (before ``suffix``): a folder's leftovers show it.
PARTIAL_SUFFIX = ".partial"


def write_atomic(path: str | os.PathLike, write: Callable[[Path], None], *, overwrite: bool = True,
                 suffix: str = "") -> None:
    """Writes ``path`` through a file beside it, then moves that file into place.

    Args:
        path: The file to write.
        write: Writes the content to the ``Path`` it is given: a hidden file beside ``path``,
            ``.<name>.<pid>.<random>.partial`` followed by ``suffix``.
        overwrite: Replace ``path`` if it exists. When false, an existing ``path`` is never
            touched, even one that appears while this runs.
        suffix: Ends the partial file's name, for writers that go by the extension (Keras
            writes weights only to a name ending in ``.weights.h5``).

    Raises:
        FileExistsError: ``path`` exists and ``overwrite`` is false.
    """
    path = Path(path)
    # Unique across processes and machines: a batch folder may be shared by several workers.
    partial = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:12]}{PARTIAL_SUFFIX}{suffix}")
    try:
        write(partial)
        if overwrite:
            os.replace(partial, path)
        else:
            os.link(partial, path)  # fails if the file exists
    finally:
        partial.unlink(missing_ok=True)
