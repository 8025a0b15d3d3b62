"""Input mutations for the fuzz test: each takes a seeded ``random.Random`` and bytes.

Byte level (flips, truncation, inserted quotes/NUL/CR, re-encodings, huge cells, very
wide headers, lines of only delimiters) and cell level (interesting values in a cell),
plus the same inside a workbook's zip members. Sizes come from :class:`Sizes`, so tests
can keep them small.
"""

from __future__ import annotations

import io
import os
import random
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Sizes", "MUTATIONS", "ZIP_MUTATIONS", "mutate", "random_csv"]


@dataclass(frozen=True)
class Sizes:
    """How big the big mutations are (bytes in a huge cell, columns in a wide header)."""

    big_cell: int = int(os.environ.get("SALESFMT_FUZZ_BIG_CELL", 10 * 1024 * 1024))
    wide: int = int(os.environ.get("SALESFMT_FUZZ_WIDE", 100_000))


SPECIALS = [b'"', b"\x00", b"\r", b"\n", b"\r\n", b'""', b"\xef\xbb\xbf", b"\xff", b"\xc3",
            b",", b";", b"\t", b"|", b"'", b"\\", b"\x1a", b"\x0b", b"\x85", b"\xe2\x80\xa8"]
VALUES = ["", " ", "=1+1", "+1", "-0", "@SUM(A1)", "1e400", "-1e400", "9" * 40, "NaN", "inf",
          "0", "-1", "1.5", "1,5", "1.234,56", "1,234.56", "€ -12,50", "(12.00)", "£3", "0x10",
          "2026-02-30", "31/12/9999", "+12345-01-01", "0001-01-01", "2026-10-01T25:61:00",
          "1970-01-01 00:00:00+14:00", "45000", "45000.5", "-45000", "TRUE", "NULL", "#N/A",
          "\u202eevil", "😀" * 3, "a\u0000b", "x" * 1000, "__row", "Ref", "  padded  ",
          "cash", "card", "Visa", "GB", "NL", "1" * 19, "-" * 5, "\t=cmd"]


def _pos(rng: random.Random, data: bytes | bytearray) -> int:
    return rng.randrange(len(data) + 1)


def flip(rng: random.Random, data: bytes, sizes: Sizes) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if buf:
            buf[rng.randrange(len(buf))] ^= 1 << rng.randrange(8)
    return bytes(buf)


def truncate(rng: random.Random, data: bytes, sizes: Sizes) -> bytes:
    return data[: _pos(rng, data)]


def insert(rng: random.Random, data: bytes, sizes: Sizes) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 5)):
        at = _pos(rng, buf)
        buf[at:at] = rng.choice(SPECIALS)
    return bytes(buf)


def reencode(rng: random.Random, data: bytes, sizes: Sizes) -> bytes:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252", "replace")
    codec = rng.choice(["utf-16", "utf-16-le", "utf-16-be", "cp1252", "latin-1", "utf-8-sig",
                        "utf-32", "mac-roman"])
    return text.encode(codec, "replace")


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def big_cell(rng: random.Random, data: bytes, sizes: Sizes) -> bytes:
    lines = _lines(data)
    i = min(len(lines) - 1, rng.choice([0, 1, 2, rng.randrange(len(lines))]))
    filler = rng.choice([b"x", b"9", b" ", b"\xc3\xa9", b'""']) * (sizes.big_cell // 2)
    quoted = rng.random() < 0.5
    cell = b'"' + filler + b'"' if quoted else filler
    line = lines[i]
    at = rng.randrange(len(line) + 1)
    lines[i] = line[:at] + cell + line[at:]
    return b"\n".join(lines)


def wide(rng: random.Random, data: bytes, sizes: Sizes) -> bytes:
    lines = _lines(data)
    n = rng.choice([sizes.wide, sizes.wide // 10, 1000])
    delim = rng.choice([b",", b";"])
    extra = delim.join(b"c%d" % i for i in range(n))
    lines[0] = lines[0].rstrip(b"\r") + delim + extra
    for i in range(1, min(len(lines), 4)):
        lines[i] = lines[i].rstrip(b"\r") + delim * n
    return b"\n".join(lines)


def delimiter_lines(rng: random.Random, data: bytes, sizes: Sizes) -> bytes:
    lines = _lines(data)
    for _ in range(rng.randint(1, 4)):
        d = rng.choice([b",", b";", b"\t", b"|", b'"', b" "])
        lines.insert(rng.randrange(len(lines) + 1), d * rng.choice([1, 3, 15, 16, 17, 300]))
    return b"\n".join(lines)


def cell_values(rng: random.Random, data: bytes, sizes: Sizes) -> bytes:
    lines = _lines(data)
    delim = max([b",", b";", b"\t"], key=lambda d: lines[0].count(d))
    for _ in range(rng.randint(1, 6)):
        i = rng.randrange(len(lines))
        cells = lines[i].split(delim)
        value = rng.choice(VALUES).encode("utf-8")
        if rng.random() < 0.3:
            value = b'"' + value.replace(b'"', b'""') + b'"'
        cells[rng.randrange(len(cells))] = value
        lines[i] = delim.join(cells)
    return b"\n".join(lines)


def repeat_lines(rng: random.Random, data: bytes, sizes: Sizes) -> bytes:
    lines = _lines(data)
    i = rng.randrange(len(lines))
    lines[i + 1:i + 1] = [lines[i]] * rng.choice([2, 100, 5000])
    return b"\n".join(lines)


Mutation = Callable[[random.Random, bytes, Sizes], bytes]
MUTATIONS: dict[str, tuple[Mutation, int]] = {  # name → (function, weight)
    "flip": (flip, 4), "truncate": (truncate, 3), "insert": (insert, 5),
    "reencode": (reencode, 3), "big_cell": (big_cell, 1), "wide": (wide, 1),
    "delimiter_lines": (delimiter_lines, 3), "cell_values": (cell_values, 6),
    "repeat_lines": (repeat_lines, 2),
}
ZIP_MUTATIONS = ["flip", "truncate", "insert", "cell_values"]


def _zip_member(rng: random.Random, data: bytes, sizes: Sizes) -> tuple[bytes, str]:
    """Mutate one member of a workbook's zip, re-zipped; the raw bytes when not a zip."""
    try:
        zin = zipfile.ZipFile(io.BytesIO(data))
        infos = zin.infolist()
        bodies = [zin.read(i) for i in infos]
    except Exception:  # noqa: BLE001 — a zip an earlier mutation broke: flip its bytes
        return flip(rng, data, sizes), "flip"
    xml = [i for i in infos if i.filename.endswith(".xml")] or infos
    victim = rng.choice(xml)
    name = rng.choice(ZIP_MUTATIONS)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, body in zip(infos, bodies, strict=True):
            if info is victim:
                if name == "cell_values":  # a value inside a text node
                    at = body.find(b"<t", rng.randrange(len(body) + 1))
                    at = body.find(b">", at) + 1 if at >= 0 else -1
                    if at > 0:
                        value = rng.choice(VALUES).encode()
                        body = body[:at] + value.replace(b"<", b"&lt;") + body[at:]
                else:
                    body = MUTATIONS[name][0](rng, body, sizes)
            zout.writestr(info, body)
    return out.getvalue(), f"zip:{victim.filename}:{name}"


def mutate(rng: random.Random, data: bytes, *, workbook: bool, sizes: Sizes) -> tuple[bytes, list[str]]:
    """1-3 stacked mutations; a workbook's are mostly inside its zip. Returns what was done."""
    names = list(MUTATIONS)
    weights = [MUTATIONS[n][1] for n in names]
    done = []
    for _ in range(rng.choice([1, 1, 1, 2, 2, 3])):
        if workbook and rng.random() < 0.8:
            data, what = _zip_member(rng, data, sizes)
        else:
            what = rng.choices(names, weights)[0]
            data = MUTATIONS[what][0](rng, data, sizes)
        done.append(what)
    return data, done


def random_csv(rng: random.Random, header: list[str], rows: int) -> bytes:
    """A CSV with ``header`` (a real partner header, so the rules match) and random cells."""
    delim = rng.choice([",", ";", "\t", "|"])
    eol = rng.choice(["\n", "\r\n", "\r"])

    def cell() -> str:
        v = rng.choice(VALUES) if rng.random() < 0.7 else "".join(
            chr(rng.choice([rng.randrange(32, 127), rng.randrange(0x80, 0x3000)]))
            for _ in range(rng.randrange(12)))
        if any(c in v for c in (delim, '"', "\n", "\r")) or rng.random() < 0.1:
            v = '"' + v.replace('"', '""') + '"'
        return v

    out = [delim.join(header)]
    for _ in range(rows):
        out.append(delim.join(cell() for _ in range(len(header) + rng.choice([0, 0, 0, -1, 1]))))
    return (eol.join(out) + rng.choice(["", eol])).encode(rng.choice(["utf-8", "utf-8-sig"]),
                                                          "replace")
