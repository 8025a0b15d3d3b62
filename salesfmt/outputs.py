"""The output set of one run (output file or payloads, and the report), published as one unit.

A run writes its whole set into a hidden staging folder inside the destination folder
(``.salesfmt-<host>-<pid>-<start>-<random>.stage``), then publishes it under an exclusive
lock on the folder: a journal in the staging folder names every file the publish touches;
the earlier set's report goes first, then its other members, then the new outputs and the
new report **last**. The report is the set's commit mark: outputs whose report is not in
place belong to an unfinished publish. New files are placed exclusively (a hard link, which
fails on an existing name), so a parallel run's file is never replaced.

A run killed mid-publish leaves its journal behind. The next run in the folder takes the
lock, sees that the owner is dead and rolls the publish back (removes what it placed, and
the rest of an earlier set whose report it had already removed), or only tidies up when the
new report made it. Hidden temporary files of dead runs are removed the same way; a live
run's are never touched (pid + process start time; other hosts' are left alone).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import shutil
import socket
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from salesfmt.errors import OutputError

__all__ = ["OutputSet", "Stage", "temp_prefix", "sweep", "folder_lock", "place",
           "write_file", "refuse_existing", "output_error", "os_errno"]

PREFIX = ".salesfmt-"
_JOURNAL = "journal.json"
_OWNER = re.compile(r"^\.salesfmt-([0-9a-f]{8})-(\d+)-(\d+)-")
_PENDING = re.compile(r"^\.salesfmt-pending-(\d+)-[0-9a-f]{8}[.]")
#: link() errors meaning "this file system has no hard links": fall back to a rename
_NO_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK,
             errno.ENOSYS}


def _host() -> str:
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def _start_time(pid: int) -> tuple[str, str] | None:
    """(state, start time in clock ticks) of a process from /proc, None where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    return fields[0], fields[19]


def temp_prefix() -> str:
    """Name prefix of this process's hidden temporary files: host, pid and start time, so
    a later run can tell whether their owner is still alive."""
    pid = os.getpid()
    info = _start_time(pid)
    return f"{PREFIX}{_host()}-{pid}-{info[1] if info else 0}-"


def _owner_dead(name: str) -> bool:
    """True when ``name`` is a temporary of a process on this host that no longer runs."""
    m = _OWNER.match(name)
    if m is None:  # pending files of salesfmt before output sets: pid only, this host's
        old = _PENDING.match(name)
        m = old and _OWNER.match(f"{PREFIX}{_host()}-{old.group(1)}-0-")
    if not m or m.group(1) != _host():
        return False
    pid, start = int(m.group(2)), m.group(3)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass
    info = _start_time(pid)
    if info is None:
        return False  # alive as far as we can tell
    state, started = info
    return state in ("Z", "X") or (start != "0" and started != start)


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """An exclusive lock on ``folder`` itself (flock on its descriptor: released when the
    process dies, no lock file left behind); a no-op where flock is not available."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        with contextlib.suppress(OSError):  # e.g. ENOLCK on some network file systems
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _identity(path: Path) -> int | None:
    try:
        return path.stat().st_ino
    except FileNotFoundError:
        return None


def place(src: Path, dst: Path, *, force: bool = False) -> None:
    """Move the finished temporary ``src`` to ``dst`` with a normal file mode; never over an
    existing file unless ``force`` (FileExistsError)."""
    os.chmod(src, 0o666 & ~_umask())
    if force:
        os.replace(src, dst)
        return
    try:
        os.link(src, dst)
    except FileExistsError:
        raise FileExistsError(errno.EEXIST, "File exists", str(dst)) from None
    except OSError as exc:
        if exc.errno not in _NO_LINKS:
            raise
        if dst.exists():  # no hard links here: checked, then renamed (not race-free)
            raise FileExistsError(errno.EEXIST, "File exists", str(dst)) from None
        os.rename(src, dst)
        return
    os.unlink(src)


def os_errno(exc: OSError) -> int | None:
    """The error number of an OSError, also when polars only names it in the message
    (``File too large (os error 27)``)."""
    if exc.errno is not None:
        return exc.errno
    m = re.search(r"\(os error (\d+)\)", str(exc))
    return int(m.group(1)) if m else None


def output_error(exc: OSError, where: Path) -> OutputError:
    """A one-line error for an OSError met while writing the output at ``where``."""
    number = os_errno(exc)
    reason = exc.strerror or (os.strerror(number) if number else type(exc).__name__)
    return OutputError(f"cannot write the output: {reason}", where=str(where))


@dataclass(frozen=True)
class OutputSet:
    """The names one run owns in ``folder``: ``stem+ext`` (or numbered payloads
    ``stem.001+ext`` … without ceiling, for split JSON) and ``stem.report.json``."""

    folder: Path
    stem: str
    ext: str | None  # None: the set is the report alone (no output was written)
    #: Other members named in full (the rejects file), placed after the outputs
    extras: tuple[str, ...] = ()

    @property
    def report(self) -> Path:
        return self.folder / f"{self.stem}.report.json"

    @property
    def output(self) -> Path:
        return self.folder / f"{self.stem}{self.ext or ''}"

    def members(self) -> list[Path]:
        """Existing members: the output or numbered payloads in number order, report last."""
        folder, stem = self.folder, self.stem
        found: dict[str, Path] = {}
        if self.ext is not None:
            numbered = re.compile(rf"^{re.escape(stem)}\.(\d{{3,}}){re.escape(self.ext)}$")
            with os.scandir(folder) as it:
                for entry in it:
                    if entry.name == stem + self.ext or (
                            self.ext == ".json" and numbered.match(entry.name)):
                        found[entry.name] = folder / entry.name
        names = sorted(found, key=lambda n: (len(n), n))
        extras = [folder / n for n in self.extras if (folder / n).is_file()]
        report = folder / f"{stem}.report.json"
        return [found[n] for n in names] + extras + ([report] if report.is_file() else [])


class Stage:
    """A hidden staging folder for one run's output set inside the destination ``folder``.

    Creating it first removes what dead runs left in the folder (:func:`sweep`).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        sweep(self.folder)
        self.path = Path(tempfile.mkdtemp(prefix=temp_prefix(), suffix=".stage",
                                          dir=self.folder))

    def __enter__(self) -> Stage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.discard()

    def discard(self) -> None:
        """Remove the staging folder and whatever is still in it."""
        shutil.rmtree(self.path, ignore_errors=True)

    def publish(self, staged: list[Path], stem: str, target: OutputSet, *, force: bool,
                protect: Path | None = None) -> list[Path]:
        """Move ``staged`` (outputs in order, the report last; names starting with ``stem``,
        or one of ``target.extras``, kept as it is) to ``target``'s names as one unit;
        returns the final paths. An existing member of
        ``target`` is refused unless ``force``, and then the whole earlier set goes first."""
        finals = [target.folder / (p.name if p.name in target.extras
                                   else target.stem + p.name[len(stem):]) for p in staged]
        with folder_lock(target.folder):
            old = target.members()
            if protect is not None and protect.exists():
                for p in [*old, *finals]:
                    if p.exists() and p.samefile(protect):
                        raise OutputError("refusing to overwrite the input file", where=str(p))
            if old and not force:
                raise OutputError("already exists (use --force to overwrite)", where=str(old[0]))
            old_report = target.report if target.report in old else None
            journal = {"old": [[p.name, _identity(p)] for p in old],
                       "old_report": old_report.name if old_report else None,
                       "new": [[f.name, _identity(s)] for s, f in zip(staged, finals,
                                                                        strict=True)]}
            tmp = self.path / (_JOURNAL + ".tmp")
            tmp.write_text(json.dumps(journal))
            os.replace(tmp, self.path / _JOURNAL)
            if old_report is not None:  # the earlier set's commit mark goes first
                old_report.unlink(missing_ok=True)
            for p in old:
                p.unlink(missing_ok=True)
            try:
                for src, dst in zip(staged, finals, strict=True):
                    place(src, dst)
            except FileExistsError as exc:
                _roll_back(target.folder, journal)
                where = exc.filename or str(finals[0])
                raise OutputError("already exists (use --force to overwrite)",
                                  where=where) from None
            except BaseException:
                _roll_back(target.folder, journal)
                raise
            (self.path / _JOURNAL).unlink()
        return finals


def _roll_back(folder: Path, journal: dict) -> None:
    """Undo an unfinished publish: remove what it placed and, if it had already removed
    the earlier set's report, the rest of that set too."""
    for name, ino in journal["new"]:
        if ino is not None and _identity(folder / name) == ino:
            (folder / name).unlink()
    old = {name: ino for name, ino in journal["old"]}
    report = journal["old_report"]
    if report is not None and _identity(folder / report) == old[report]:
        return  # the earlier set is untouched and complete
    for name, ino in old.items():
        if ino is not None and _identity(folder / name) == ino:
            (folder / name).unlink()


def _recover(folder: Path, stage: Path) -> None:
    """Finish with a dead run's staging folder: a publish it began is rolled back unless
    its report (the last step) is in place."""
    try:
        journal = json.loads((stage / _JOURNAL).read_text())
    except (OSError, ValueError):
        return  # no journal: the publish never began, nothing at final names
    if journal["new"]:
        name, ino = journal["new"][-1]
        if ino is not None and _identity(folder / name) == ino:
            return  # the report made it: the set is complete
    _roll_back(folder, journal)


def sweep(folder: Path) -> None:
    """Remove dead runs' temporary files and staging folders in ``folder``, rolling back
    any publish they left unfinished. A live run's files are left alone."""
    folder = Path(folder)
    if not folder.is_dir():
        return
    with os.scandir(folder) as it:
        dead = [e.name for e in it if e.name.startswith(PREFIX) and _owner_dead(e.name)]
    if not dead:
        return
    with folder_lock(folder):
        for name in dead:
            path = folder / name
            if path.is_dir() and not path.is_symlink():
                _recover(folder, path)
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


def refuse_existing(path: Path, *, force: bool, protect: Path | None = None) -> None:
    """OutputError when writing a lone file at ``path`` would replace the input file, or an
    existing file without ``force``; checked up front and again when it is placed."""
    path = Path(path)
    if not path.parent.is_dir():
        raise OutputError("output folder does not exist", where=str(path.parent))
    if protect is not None and protect.exists() and path.resolve() == protect.resolve():
        raise OutputError("refusing to overwrite the input file", where=str(path))
    if path.exists() and not force:
        raise OutputError("already exists (use --force to overwrite)", where=str(path))


def write_file(path: Path, data: bytes, *, force: bool = False,
               protect: Path | None = None) -> None:
    """Write a lone file atomically (a hidden temporary renamed into place): refused when
    ``path`` exists unless ``force``, and never over ``protect`` (the input file)."""
    path = Path(path)
    refuse_existing(path, force=force, protect=protect)
    sweep(path.parent)
    try:
        fd, tmp = tempfile.mkstemp(prefix=temp_prefix(), suffix=".tmp", dir=path.parent)
    except OSError as exc:  # the folder is missing or not writable: name the output
        raise output_error(exc, path) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        with folder_lock(path.parent):
            place(Path(tmp), path, force=force)
    except FileExistsError:
        raise OutputError("already exists (use --force to overwrite)", where=str(path)) from None
    except OSError as exc:
        raise output_error(exc, path) from None
    finally:
        Path(tmp).unlink(missing_ok=True)
