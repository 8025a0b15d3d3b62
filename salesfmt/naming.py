"""Upload-safe file names (SPEC §4, seed 001) and the ledger of names handed out.

Convention: ``{channel}_{dd-mm-yyyy}_{batch}.csv``. The server refuses a file name it has
seen, so ``batch`` is the smallest positive integer not yet used for that channel and day,
according to the ledger (a small SQLite file) and the output folder. The ledger also keeps
a SHA-256 of every file's content, to warn when identical content goes out again.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from salesfmt.errors import OutputError

__all__ = ["slug", "format_name", "check_name", "choose_date", "default_ledger_path",
           "file_sha256", "Ledger", "Reservation", "NamedOutput", "DATE_FORMAT",
           "ledger_entry", "ALREADY_UPLOADED"]

#: The bulk-sales server's answer to a name it has seen before (seed 001).
ALREADY_UPLOADED = "This file has already been uploaded"

DATE_FORMAT = "%d-%m-%Y"
#: Extensions a conventional name may end with (seed 001 uploads .csv).
EXTENSIONS = (".csv", ".jsonl", ".json", ".xlsx")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def slug(channel: str) -> str:
    """The channel key as a name part: lower case ASCII, ``_``/spaces/punctuation → ``-``.

    ``charity_lotery`` → ``charity-lotery``; ``Direct Mail`` → ``direct-mail``.
    """
    text = unicodedata.normalize("NFKD", channel).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if not text:
        raise ValueError(f"channel {channel!r} has no letters or digits to build a name from")
    return text


def format_name(channel: str, day: date, batch: int, ext: str = ".csv") -> str:
    """``{slug(channel)}_{dd-mm-yyyy}_{batch}{ext}``."""
    if batch < 1:
        raise ValueError("batch must be a positive integer")
    return f"{slug(channel)}_{day.strftime(DATE_FORMAT)}_{batch}{ext}"


def _check_channel(channel: str) -> list[str]:
    if _SLUG.match(channel):
        return []
    reasons = []
    if channel != channel.lower():
        reasons.append("upper case")
    if " " in channel:
        reasons.append("spaces")
    if re.search(r"[^A-Za-z0-9 _-]", channel):
        reasons.append("characters other than a-z, 0-9 and '-'")
    if re.search(r"--|^-|-$", channel):
        reasons.append("empty parts between '-'")
    try:
        fixed = f" (write {slug(channel)!r})"
    except ValueError:
        fixed = ""
    return [f"channel {channel!r} has {', '.join(reasons) or 'characters not allowed'}{fixed}"]


def _check_date(text: str) -> list[str]:
    m = re.fullmatch(r"(\d{1,2})-(\d{1,2})-(\d{4})", text)
    iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if iso:
        d, mo, y = iso.group(3), iso.group(2), iso.group(1)
    elif m:
        d, mo, y = m.groups()
    else:
        return [f"date {text!r} is not dd-mm-yyyy (e.g. 20-04-2020)"]
    try:
        day = date(int(y), int(mo), int(d))
    except ValueError:
        return [f"date {text!r} does not exist"]
    good = day.strftime(DATE_FORMAT)
    if iso:
        return [f"date {text!r} is year first; the convention is dd-mm-yyyy (write {good!r})"]
    if text != good:
        return [f"date {text!r} is not zero-padded dd-mm-yyyy (write {good!r})"]
    return []


def _check_batch(text: str) -> list[str]:
    if re.fullmatch(r"[1-9]\d*", text):
        return []
    if re.fullmatch(r"0+[1-9]\d*", text):
        return [f"batch {text!r} has a leading zero (write {str(int(text))!r})"]
    return [f"batch {text!r} is not a positive whole number (1, 2, 3, ...)"]


def check_name(name: str) -> list[str]:
    """What is wrong with ``name`` against the convention; empty when it follows it."""
    base = Path(name).name
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    problems = []
    if f".{ext}" not in EXTENSIONS:
        shown = f"'.{ext}'" if ext else "(none)"
        problems.append(f"extension {shown} is not one of {', '.join(EXTENSIONS)} "
                        "(bulk-sales uploads are .csv)")
    parts = stem.split("_")
    if len(parts) < 3:
        return [*problems, f"{base!r} is not {{channel}}_{{dd-mm-yyyy}}_{{batch}}: it has "
                           f"{len(parts)} part(s) separated by '_', not 3"]
    channel, day, batch = "_".join(parts[:-2]), parts[-2], parts[-1]
    if len(parts) > 3:
        fixed = channel.replace("_", "-")
        problems.append(f"'_' inside the channel {channel!r} ('_' separates the parts; "
                        f"write {fixed!r})")
        channel = fixed
    return problems + _check_channel(channel) + _check_date(day) + _check_batch(batch)


def choose_date(sale_dates: tuple[date, date] | None, given: date | None,
                today: date) -> tuple[date, str]:
    """The name's date and why: the date given, else the file's one sales day, else today."""
    if given is not None:
        return given, "given with --date"
    if sale_dates is not None and sale_dates[0] == sale_dates[1]:
        return sale_dates[0], "the file's only sales day"
    if sale_dates is not None:
        return today, (f"today: the file spans {sale_dates[0]:%d-%m-%Y} to "
                       f"{sale_dates[1]:%d-%m-%Y} (give --date to choose)")
    return today, "today: the file has no sales date"


def default_ledger_path() -> Path:
    """$SALESFMT_LEDGER, else $XDG_STATE_HOME/salesfmt/ledger.sqlite (~/.local/state/...)."""
    if os.environ.get("SALESFMT_LEDGER"):
        return Path(os.environ["SALESFMT_LEDGER"])
    state = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(state) / "salesfmt" / "ledger.sqlite"


def ledger_entry(name: str, path: Path | str | None = None) -> dict[str, Any] | None:
    """The ledger's record of upload name ``name`` (created, source), or None.

    Read-only: a ledger that does not exist yet is not created (nothing is in it)."""
    path = Path(path) if path else default_ledger_path()
    if not path.is_file():
        return None
    try:
        with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as db:
            row = db.execute("SELECT created, source FROM names WHERE name = ?",
                             (Path(name).name,)).fetchone()
    except sqlite3.Error as exc:
        raise OutputError(f"cannot read the name ledger: {exc}", where=str(path)) from None
    return None if row is None else {"created": row[0], "source": row[1], "ledger": path}


def file_sha256(*paths: Path) -> str:
    """SHA-256 of the files' bytes, one after the other, read in chunks."""
    digest = hashlib.sha256()
    for path in paths:
        with Path(path).open("rb") as fh:
            for chunk in iter(lambda fh=fh: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class Reservation:
    """A name handed out; ``same_content`` lists earlier names with identical content."""

    name: str
    batch: int
    same_content: tuple[str, ...] = ()


_SCHEMA = """
CREATE TABLE IF NOT EXISTS names (
    name TEXT PRIMARY KEY,
    channel TEXT NOT NULL,
    day TEXT NOT NULL,
    batch INTEGER NOT NULL,
    sha256 TEXT,
    source TEXT,
    created TEXT NOT NULL,
    UNIQUE (channel, day, batch)
);
CREATE INDEX IF NOT EXISTS names_sha256 ON names (sha256);
"""


class Ledger:
    """The local record of names produced: SQLite, one write transaction per reservation.

    ``BEGIN IMMEDIATE`` takes SQLite's write lock before the used batches are read, so
    concurrent processes never hand out the same name (they wait, up to ``timeout``).
    """

    def __init__(self, path: Path | str | None = None, *, timeout: float = 60.0) -> None:
        self.path = Path(path) if path else default_ledger_path()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise OutputError(f"cannot open the name ledger: {exc}", where=str(self.path)) from None

    def close(self) -> None:
        """Close the database connection."""
        self._db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _used(self, key: str, day: date, folder: Path | None) -> set[int]:
        text = day.strftime(DATE_FORMAT)
        used = {b for (b,) in self._db.execute(
            "SELECT batch FROM names WHERE channel = ? AND day = ?", (key, text))}
        if folder is not None and folder.is_dir():
            pattern = re.compile(rf"^{re.escape(key)}_{re.escape(text)}_([1-9]\d*)\.")
            for entry in os.scandir(folder):
                m = pattern.match(entry.name)
                if m:
                    used.add(int(m.group(1)))
        return used

    def suggest(self, channel: str, day: date, *, folder: Path | None = None,
                ext: str = ".csv") -> str:
        """The name the next reservation would get (nothing is recorded)."""
        key = slug(channel)
        used = self._used(key, day, folder)
        return format_name(key, day, _smallest_unused(used), ext)

    def same_content(self, sha256: str) -> list[str]:
        """Names already produced with this content hash, oldest first."""
        return [n for (n,) in self._db.execute(
            "SELECT name FROM names WHERE sha256 = ? ORDER BY created, name", (sha256,))]

    def record(self, name: str, *, sha256: str | None = None, source: str | None = None) -> bool:
        """Mark ``name`` as used (e.g. uploaded by other means); False if already known."""
        problems = check_name(name)
        if problems:
            raise ValueError(f"{name}: {problems[0]}")
        channel, day, batch = Path(name).name.rsplit(".", 1)[0].split("_")
        cur = self._db.execute(
            "INSERT OR IGNORE INTO names (name, channel, day, batch, sha256, source, created) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (Path(name).name, channel, day, int(batch), sha256, source, _now()))
        return cur.rowcount == 1

    @contextmanager
    def reserve(self, channel: str, day: date, *, folder: Path | None = None,
                sha256: str | None = None, source: str | None = None,
                ext: str = ".csv") -> Iterator[Reservation]:
        """Hand out the next free name; committed when the ``with`` block succeeds.

        Move the file into place inside the block: if that fails, the name is not recorded.
        """
        key = slug(channel)
        self._db.execute("BEGIN IMMEDIATE")
        try:
            batch = _smallest_unused(self._used(key, day, folder))
            name = format_name(key, day, batch, ext)
            earlier = tuple(self.same_content(sha256)) if sha256 else ()
            self._db.execute(
                "INSERT INTO names (name, channel, day, batch, sha256, source, created) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (name, key, day.strftime(DATE_FORMAT), batch, sha256, source, _now()))
            yield Reservation(name, batch, earlier)
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _smallest_unused(used: set[int]) -> int:
    batch = 1
    while batch in used:
        batch += 1
    return batch


class NamedOutput:
    """``convert -o DIR`` with a channel: the staged output set gets the next conventional
    name, recorded in the ledger with its content hash, and is published under it."""

    def __init__(self, folder: Path, channel: str, *, ext: str = ".csv",
                 ledger: Path | str | None = None, day: date | None = None,
                 today: date | None = None) -> None:
        try:
            slug(channel)
        except ValueError as exc:
            raise OutputError(str(exc)) from None
        self.folder, self.channel, self.ext = Path(folder), channel, ext
        self.ledger, self.day, self.today = ledger, day, today or date.today()

    def finish(self, result: Any, produced: list[Path],
               publish: Callable[[str], list[Path]]) -> tuple[list[Path], list[str]]:
        """Reserve a name for the ``produced`` (staged) files and ``publish(stem)`` them
        inside the ledger transaction (a failed publish records no name); returns the final
        paths and notes to show."""
        day, why = choose_date(result.sale_dates, self.day, self.today)
        digest = file_sha256(*produced)
        with Ledger(self.ledger) as ledger, ledger.reserve(
                self.channel, day, folder=self.folder, sha256=digest,
                source=str(result.path), ext=self.ext) as got:
            finals = publish(got.name[: -len(self.ext)] if self.ext else got.name)
        notes = [f"name: {got.name} (date: {why}; ledger {ledger.path})"]
        if got.same_content:
            notes.append(f"warning: the same content was already produced as "
                         f"{', '.join(got.same_content)}")
        return finals, notes
