"""Small shared helpers."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from salesfmt.outputs import place, temp_prefix

__all__ = ["atomic_write_text", "atomic_write_bytes", "publish"]


def publish(tmp: str | Path, path: str | Path) -> None:
    """Move a finished temporary file into place atomically (replacing ``path``), with the
    mode a normally created file would get (mkstemp makes 0600 files, too strict for shared
    upload folders)."""
    place(Path(tmp), Path(path), force=True)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file and rename: never a partial file.
    The temporary's name carries the run's identity, so a killed run's is swept later."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f"{temp_prefix()}{path.name}.", suffix=".tmp",
                               dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        publish(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """UTF-8 text version of :func:`atomic_write_bytes`."""
    atomic_write_bytes(path, text.encode("utf-8"))
