"""Encoding detection over the whole file, and transcoding to UTF-8 in constant memory."""

from __future__ import annotations

import codecs
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from salesfmt.errors import InputError

__all__ = ["detect_encoding", "to_utf8_file", "check_decodes", "CHUNK", "WESTERN",
           "EncodingRetry", "starts_as_utf8", "retry_encoding"]

CHUNK = 1 << 20
#: How much of the file charset-normalizer looks at; the winner is then checked on the whole.
_SAMPLE = 4 << 20
#: Partner files are Western European first: these are tried before any other code page.
WESTERN = ["cp1252", "iso8859_15", "latin_1"]


class TruncatedText(InputError):
    """The file stops in the middle of a character (a cut-off download or copy)."""


class EncodingRetry(InputError):
    """A file taken as UTF-8 from its first bytes holds other bytes further on: it must be
    read again from the start in ``encoding`` (judged on the whole file)."""

    def __init__(self, path: Path, encoding: str) -> None:
        super().__init__(f"not UTF-8 after all: read it again as {encoding}", where=str(path))
        self.encoding = encoding


_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))


def _bom_encoding(head: bytes) -> str | None:
    return next((name for bom, name in _BOMS if head.startswith(bom)), None)


def _nul_heavy(head: bytes) -> bool:
    """Mostly NUL bytes: UTF-16/32 without a BOM, never UTF-8 text."""
    return head.count(0) > len(head) // 4


def starts_as_utf8(head: bytes) -> bool:
    """True when detection would take ``head`` (the start of a file) for UTF-8 if the rest
    agrees: no BOM, not NUL-heavy, and it decodes (maybe cut inside a character)."""
    if _bom_encoding(head) is not None or _nul_heavy(head):
        return False
    try:
        codecs.getincrementaldecoder("utf-8")("strict").decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True


def retry_encoding(path: Path) -> EncodingRetry:
    """The error to raise when a file read optimistically as UTF-8 turns out not to be."""
    encoding = detect_encoding(path)
    if codecs.lookup(encoding).name == "utf-8":  # the reader's UTF-8 error was not ours
        raise InputError("invalid UTF-8 in the file", where=str(path))
    return EncodingRetry(path, encoding)


def _decoded(path: Path, encoding: str, cr_only: bool = False,
             count_lines: bool = True) -> Iterator[str]:
    """The file as text, chunk by chunk, strictly decoded; InputError names the bad line
    (without ``count_lines`` the line is found by decoding again, on failure only)."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    line = 1
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(CHUNK)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                if not count_lines:
                    yield from _decoded(path, encoding, cr_only, count_lines=True)
                _raise_decode(path, encoding, chunk, exc, decoder, line)
            except UnicodeError as exc:  # utf-16/32 without a BOM where one is needed
                raise InputError(f"cannot decode the file as {encoding} ({exc})",
                                 where=str(path)) from None
            if cr_only:
                text = text.replace("\r", "\n")
            if count_lines:
                line += text.count("\n")
            yield text
            if not chunk:
                return


def check_decodes(path: Path, encoding: str) -> None:
    """Decode the whole file strictly (streamed); InputError naming the line if it cannot."""
    for _ in _decoded(path, encoding, count_lines=False):
        pass


def _raise_decode(path: Path, encoding: str, chunk: bytes, exc: UnicodeDecodeError,
                  decoder: codecs.IncrementalDecoder, line: int) -> None:
    data = exc.object  # the decoder's held-back bytes + this chunk (empty at the end)
    before = bytes(data[: exc.start])
    where_line = line + before.count(b"\n")
    hint = ("force another one with --encoding or the rule file's input.encoding")
    if exc.end >= len(data) and not chunk:  # the file stops inside a character
        raise TruncatedText(f"the file ends in the middle of a character on line {where_line} "
                         f"(truncated?) as {encoding}; {hint}", where=str(path)) from None
    raise InputError(f"cannot decode byte 0x{data[exc.start]:02x} on line {where_line} as "
                     f"{encoding} ({hint})", where=str(path)) from None


def _utf8_fast(path: Path) -> bool:
    """Whole-file UTF-8 validation in polars (SIMD, no Python str built), 8 MiB at a time,
    cut after a newline so no character is split. False means "check the slow way"."""
    import polars as pl

    def valid(data: bytes) -> bool:
        try:
            pl.Series([data], dtype=pl.Binary).cast(pl.String)
        except pl.exceptions.ComputeError:
            return False
        return True

    rest = b""
    with path.open("rb") as fh:
        while chunk := fh.read(8 * CHUNK):
            data = rest + chunk
            cut = data.rfind(b"\n") + 1
            if cut == 0 or not valid(data[:cut]):
                return False
            rest = data[cut:]
    return valid(rest)


def _decodes(path: Path, encoding: str) -> bool:
    """True when the whole file decodes; a UTF-8 file (non-ASCII text before its last
    bytes) cut inside its final character raises :class:`TruncatedText` instead."""
    if encoding == "utf-8" and _utf8_fast(path):
        return True
    try:
        check_decodes(path, encoding)
    except TruncatedText:
        if encoding == "utf-8" and _non_ascii_before_end(path):
            raise
        return False
    except InputError:
        return False
    return True


def _non_ascii_before_end(path: Path) -> bool:
    """Any byte over 0x7f before the last 4 (memory-mapped search, C speed)."""
    import mmap
    import re

    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        return re.compile(rb"[\x80-\xff]").search(mm, 0, max(0, len(mm) - 4)) is not None


def detect_encoding(path: Path) -> str:
    """The file's encoding, judged on the whole file.

    A BOM decides; else strict UTF-8 over every byte; else charset-normalizer's best guess
    among Western code pages (then any), accepted only if the whole file decodes in it.
    """
    from charset_normalizer import from_bytes

    with path.open("rb") as fh:
        sample = fh.read(_SAMPLE)
    bom = _bom_encoding(sample)
    if bom is not None:
        return bom
    nul_heavy = _nul_heavy(sample)
    if not nul_heavy and _decodes(path, "utf-8"):
        return "utf-8"
    for isolation in ([] if nul_heavy else [WESTERN]) + [None]:
        best = from_bytes(sample, cp_isolation=isolation).best()
        if best is not None and _decodes(path, best.encoding):
            return best.encoding
    return "latin-1"


def to_utf8_file(path: Path, encoding: str, *, cr_only: bool = False) -> Path:
    """Transcode ``path`` to a temporary UTF-8 file chunk by chunk; errors name the line.

    ``cr_only`` (classic Mac files) turns every CR into LF, also inside quoted values.
    """
    fd, tmp = tempfile.mkstemp(prefix="salesfmt-", suffix=".csv")
    try:
        with os.fdopen(fd, "wb") as dst:
            for text in _decoded(path, encoding, cr_only):
                dst.write(text.encode("utf-8"))
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)
