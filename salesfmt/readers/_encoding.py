"""Encoding detection over the whole file, and transcoding to UTF-8 in constant memory."""

from __future__ import annotations

import codecs
import os
import tempfile
from pathlib import Path

from salesfmt.errors import InputError

__all__ = ["detect_encoding", "to_utf8_file", "CHUNK"]

CHUNK = 1 << 20


def _decodes(path: Path, encoding: str) -> bool:
    """True when the whole file decodes strictly in ``encoding`` (streamed in chunks)."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(path: Path) -> str:
    """The file's encoding: BOM first, then strict UTF-8 over the whole file, then cp1252/latin-1."""
    with path.open("rb") as fh:
        head = fh.read(4)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16"
    if _decodes(path, "utf-8"):
        return "utf-8"
    if _decodes(path, "cp1252"):
        return "cp1252"
    return "latin-1"


def to_utf8_file(path: Path, encoding: str) -> Path:
    """Transcode ``path`` to a temporary UTF-8 file chunk by chunk; errors name the line."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    fd, tmp = tempfile.mkstemp(prefix="salesfmt-", suffix=".csv")
    line = 1
    try:
        with path.open("rb") as src, os.fdopen(fd, "wb") as dst:
            while True:
                chunk = src.read(CHUNK)
                try:
                    text = decoder.decode(chunk, final=not chunk)
                except UnicodeDecodeError as exc:
                    before = decoder.getstate()[0] + chunk[: exc.start]
                    where_line = line + before.count(b"\n")
                    raise InputError(
                        f"cannot decode byte 0x{chunk[exc.start]:02x} on line "
                        f"{where_line} as {encoding}",
                        where=str(path),
                    ) from None
                dst.write(text.encode("utf-8"))
                line += text.count("\n")
                if not chunk:
                    break
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)
