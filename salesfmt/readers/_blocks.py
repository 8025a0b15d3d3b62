"""Bounded-memory CSV reading: the file in blocks cut at record ends, each parsed by polars.

polars' streaming CSV source decodes ahead of a slow consumer without limit, so memory
would grow with the file (pola-rs/polars#26952). Here the file is memory-mapped, sliced
into blocks of a quarter batch, a few blocks are parsed ahead on one thread (polars
releases the GIL), and the parsed blocks are joined into batches: memory is bounded by
a batch and a few blocks whatever the size of the file.
"""

from __future__ import annotations

import mmap
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import polars as pl

__all__ = ["record_blocks", "batches_of"]

#: Blocks per batch, and blocks parsed ahead of the batch being checked.
_BLOCKS_PER_BATCH = 4
_MIN_BLOCK = 64 * 1024


class _BlockSizer:
    """Bytes per block for about ``rows`` records, learnt from the blocks read so far."""

    def __init__(self, rows: int, bytes_per_row: float) -> None:
        self.rows, self.per_row = rows, max(bytes_per_row, 1.0)

    def saw(self, size: int, rows: int) -> None:
        if rows:
            self.per_row = size / rows

    def __int__(self) -> int:
        return max(_MIN_BLOCK, int(self.per_row * self.rows))


def record_blocks(path: Path, quote: str | None, size: int | _BlockSizer
                  ) -> Iterator[bytes]:
    """The file in blocks of about ``size`` bytes, each ending at a record end: the last
    line feed with an even number of quote characters before it (RFC 4180 quoting, as
    polars splits a file for its parallel parse). A record longer than a block makes
    the block grow; nothing is ever cut inside a quoted field."""
    q = quote.encode("utf-8") if quote else b""
    with path.open("rb") as fh:
        try:
            mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:  # empty file
            return
        with mm:
            start, total = 0, len(mm)
            while start < total:
                want = int(size)
                while True:
                    stop = min(total, start + want)
                    block = mm[start:stop] if q else None  # quotes are counted in a copy
                    if stop == total:
                        end = stop - start - 1
                    elif block is None:  # no quotes: found in the map, copied once below
                        end = mm.rfind(b"\n", start, stop) - start
                        end = max(end, -1)
                    else:
                        end = _last_record_end(block, q)
                    if end >= 0:
                        break
                    want *= 2  # no record ends in this block: take more
                if block is None:
                    block = mm[start:start + end + 1]
                elif end < len(block) - 1:
                    block = block[:end + 1]
                yield block
                done = start // mmap.PAGESIZE * mmap.PAGESIZE
                start += end + 1
                # the block is a copy: its pages leave this process (not the page cache)
                if start // mmap.PAGESIZE * mmap.PAGESIZE > done:
                    mm.madvise(mmap.MADV_DONTNEED, done,
                               start // mmap.PAGESIZE * mmap.PAGESIZE - done)


def _last_record_end(block: bytes, q: bytes) -> int:
    """Index of the last line feed outside quotes (a block starts outside quotes), or -1."""
    end = block.rfind(b"\n")
    if not q or end < 0:
        return end
    before = block.count(q, 0, end)
    while end >= 0 and before % 2:  # inside a quoted field: try the line feed before
        prev = block.rfind(b"\n", 0, end)
        before -= block.count(q, max(prev, 0), end)
        end = prev
    return end


def batches_of(path: Path, quote: str | None, parse: Callable[[bytes], pl.DataFrame],
               *, batch_size: int, bytes_per_row: float, skip: int) -> Iterator[pl.DataFrame]:
    """Frames of exactly ``batch_size`` records (the last one fewer) after the first
    ``skip``; ``parse`` turns a block into a frame. Blocks are not copied into one chunk:
    the Python steps take a batch's whole column in one call (CONTRIBUTING.md)."""
    sizer = _BlockSizer(max(1, batch_size // _BLOCKS_PER_BATCH), bytes_per_row)
    blocks = record_blocks(path, quote, sizer)

    def parse_next() -> pl.DataFrame | None:  # runs on the reader thread, in order
        block = next(blocks, None)
        if block is None:
            return None
        frame = parse(block)
        sizer.saw(len(block), frame.height)
        return frame

    pending: list[pl.DataFrame] = []
    have = 0
    try:
        with ThreadPoolExecutor(1, thread_name_prefix="salesfmt-read") as pool:
            ahead: deque[Future[pl.DataFrame | None]] = deque(
                pool.submit(parse_next) for _ in range(_BLOCKS_PER_BATCH))
            try:
                while (frame := ahead.popleft().result()) is not None:
                    ahead.append(pool.submit(parse_next))
                    if skip:
                        cut = min(skip, frame.height)
                        frame, skip = frame.slice(cut), skip - cut
                    pending.append(frame)
                    have += frame.height
                    while have >= batch_size:
                        whole = pl.concat(pending, rechunk=False)
                        yield whole.slice(0, batch_size)
                        rest = whole.slice(batch_size)
                        pending, have = ([rest] if rest.height else []), rest.height
                if have:
                    yield pl.concat(pending, rechunk=False)
            finally:
                for future in ahead:
                    future.cancel()
    finally:
        blocks.close()  # the memory map, once no parse is running
