"""Output sets (issue 12): a run's output file or payloads and its report are one unit —
published whole, never over another run's files, no stale members, no leaked temps."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLES, TODAY, run_cli

sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import frame  # noqa: E402

BENCH = ROOT / "benchmarks"


def _partner(path: Path, rows: int, seed: int = 7) -> Path:
    """A generated partner CSV (benchmarks/generate.py): one wallie sale per row."""
    frame(rows, seed).write_csv(path, separator=";")
    return path


def _wallie(src: Path, out: Path, *extra: str | Path) -> list[str | Path]:
    return ["convert", src, "-r", BENCH / "bench-wallie.yaml", "-t", "wallie", "-o", out,
            "--today", TODAY, *extra]


def _visible(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def _sale_ids(folder: Path, pattern: str) -> list[str]:
    return [s["salesId"] for p in folder.glob(pattern)
            for s in json.loads(p.read_text())["sales"]]


def test_an_upload_set_over_999_payloads_keeps_every_sale(tmp_path: Path) -> None:
    """Issue 12.1: payload numbering has no ceiling (.1000.json, ...); nothing stays pending."""
    src, out = _partner(tmp_path / "p.csv", 1100), tmp_path / "out"
    res = run_cli(*_wallie(src, f"{out}/", "--payload-size", "1", "--channel", "x",
                           "--date", "01-01-2026", "--ledger", tmp_path / "l.sqlite"))
    assert res.code == 1, res.err
    converted = int(res.err.split(" read = ")[1].split(" converted")[0])
    assert converted > 999
    names = _visible(out)
    assert names == sorted([*(f"x_01-01-2026_1.{i:03d}.json" for i in range(1, converted + 1)),
                            "x_01-01-2026_1.report.json"])
    assert len(set(_sale_ids(out, "x_01-01-2026_1.*[0-9].json"))) == converted
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []


def test_force_rerun_removes_stale_payloads_of_a_larger_run(tmp_path: Path) -> None:
    """Issue 12.2: a --force rerun owns the whole set; 1,000+ old payloads do not linger."""
    src, out = _partner(tmp_path / "p.csv", 1100), tmp_path / "out"
    assert run_cli(*_wallie(src, f"{out}/", "--payload-size", "1")).code == 1
    assert "p.1050.json" in _visible(out)
    again = run_cli(*_wallie(src, f"{out}/", "--payload-size", "1000", "--force"))
    assert again.code == 1, again.err
    assert _visible(out) == ["p.001.json", "p.002.json", "p.report.json"]
    assert len(_sale_ids(out, "p.*[0-9].json")) > 1000


def test_strict_force_rerun_removes_the_earlier_output(tmp_path: Path) -> None:
    """Issue 12.2: with --strict the new set is the report alone; the old output goes too,
    so no report ever sits beside an output it does not describe."""
    args = ["convert", SAMPLES / "kassa-export-nl.csv", "--rules", "kassa-nl", "--to",
            "bulk-csv", "--today", TODAY, "-o", tmp_path]
    assert run_cli(*args).code == 1
    assert _visible(tmp_path) == ["kassa-export-nl.csv", "kassa-export-nl.report.json"]
    assert run_cli(*args, "--strict", "--force").code == 1
    assert _visible(tmp_path) == ["kassa-export-nl.report.json"]


# A kill -9 mid-publish: the child counts renames/links onto visible names in the output
# folder and SIGKILLs itself before the (K+1)-th, whatever the code publishing them.
_KILLER = """
import os, signal, sys
K, DEST = int(os.environ["KILL_AFTER"]), os.path.realpath(os.environ["KILL_DIR"])
placed = [0]
def guard(fn):
    def wrapped(src, dst, *a, **kw):
        d = os.path.realpath(os.fspath(dst))
        if os.path.dirname(d) == DEST and not os.path.basename(d).startswith("."):
            if placed[0] == K:
                os.kill(os.getpid(), signal.SIGKILL)
            placed[0] += 1
        return fn(src, dst, *a, **kw)
    return wrapped
os.replace, os.rename, os.link = guard(os.replace), guard(os.rename), guard(os.link)
from salesfmt.cli import main
sys.argv[0] = "salesfmt"
main()
"""


def _killed_at(k: int, folder: Path, args: list) -> None:
    env = {**os.environ, "KILL_AFTER": str(k), "KILL_DIR": str(folder)}
    proc = subprocess.run([sys.executable, "-c", _KILLER, *map(str, args)], env=env,
                          capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr


def _pos_lines(out: Path, *extra: str | Path) -> list:
    return ["convert", SAMPLES / "pos-lines-returns.csv", "-r", "pos-lines", "-t", "wallie",
            "--today", TODAY, "-o", f"{out}/", "--payload-size", "1", *extra]


def _kassa(out: Path, *extra: str | Path) -> list:
    return ["convert", SAMPLES / "kassa-export-nl.csv", "-r", "kassa-nl", "-t", "bulk-csv",
            "--today", TODAY, "-o", f"{out}/", *extra]


@pytest.mark.parametrize(("make", "k"), [
    (_kassa, 1),       # issue 12.4: the output is in place, its report is not
    (_pos_lines, 2),   # issue 12.3: 2 of 4 payloads in place
    (_pos_lines, 4),   # every payload, no report
], ids=["bulk-csv-after-output", "wallie-2-of-4", "wallie-all-payloads"])
def test_a_kill_mid_publish_is_never_taken_for_a_complete_set(tmp_path: Path, make,
                                                              k: int) -> None:
    """Issues 12.3/12.4: outputs without their report are an unfinished publish, marked by
    the dead run's journal; the next run rolls it back and succeeds (no 'already exists')."""
    out = tmp_path / "out"
    out.mkdir()
    _killed_at(k, out, make(out))
    assert len(_visible(out)) == k  # placed so far, and no report among them
    assert not any(n.endswith(".report.json") for n in _visible(out))
    marked = list(out.glob(".salesfmt-*/journal.json"))
    again = run_cli(*make(out))
    assert again.code == 1, again.err
    assert marked, "an unfinished publish must be marked as such"
    reference = tmp_path / "ref"
    reference.mkdir()
    assert run_cli(*make(reference)).code == 1
    assert _visible(out) == _visible(reference)
    assert all((out / n).read_bytes() == (reference / n).read_bytes() for n in _visible(out))
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []


def test_a_kill_mid_force_publish_leaves_the_old_set_or_nothing(tmp_path: Path) -> None:
    """--force over an earlier set: killed after the old report went, the rest of the old set
    goes at the next run too (never an old report beside new payloads, or the reverse)."""
    out = tmp_path / "out"
    out.mkdir()
    assert run_cli(*_pos_lines(out)).code == 1
    _killed_at(1, out, _pos_lines(out, "--force", "--payload-size", "2"))
    assert _visible(out) == ["pos-lines-returns.001.json"]  # the new one, old set gone
    again = run_cli(*_pos_lines(out, "--payload-size", "2"))  # no --force needed
    assert again.code == 1, again.err
    assert _visible(out) == ["pos-lines-returns.001.json", "pos-lines-returns.002.json",
                             "pos-lines-returns.report.json"]


def test_a_kill_mid_named_publish_frees_the_rerun(tmp_path: Path) -> None:
    """--upload-name: a half-published named set is rolled back; the next run is whole."""
    out, ledger = tmp_path / "out", tmp_path / "l.sqlite"
    out.mkdir()
    args = _pos_lines(out, "--channel", "retail", "--date", "05-10-2026", "--ledger", ledger)
    _killed_at(3, out, args)
    assert run_cli(*args).code == 1
    names = _visible(out)
    assert names == [*(f"retail_05-10-2026_1.00{i}.json" for i in range(1, 5)),
                     "retail_05-10-2026_1.report.json"]


def _no_bigger_files(limit: int):
    def limit_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return limit_files


@pytest.mark.parametrize(("target", "rules"), [("bulk-csv", "bench-partner"),
                                               ("wallie", "bench-wallie"),
                                               ("sales-template", "bench-events")])
def test_a_full_disk_is_a_one_line_output_error(tmp_path: Path, target: str,
                                                rules: str) -> None:
    """Issue 12.4: an OSError while writing (here EFBIG, a file-size limit standing in for a
    full disk) names the output, exits 2, and leaves nothing behind."""
    src = _partner(tmp_path / "p.csv", 3000)
    out = tmp_path / "out"
    out.mkdir()
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("SALESFMT_DEBUG", None)
    proc = subprocess.run([sys.executable, "-m", "salesfmt", "convert", src, "-r",
                           BENCH / f"{rules}.yaml", "-t", target, "-o", f"{out}/",
                           "--today", TODAY], capture_output=True, text=True, env=env,
                          preexec_fn=_no_bigger_files(64 * 1024), timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "internal error" not in proc.stderr
    assert f"{out / 'p'}." in proc.stderr and "cannot write the output: File too large" \
        in proc.stderr
    assert list(out.iterdir()) == []


def _wait_for_temps(folder: Path, proc: subprocess.Popen, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while not any(p.name.startswith(".") for p in folder.iterdir()):
        assert proc.poll() is None and time.monotonic() < end, "no temporary file seen"
        time.sleep(0.01)


def test_the_next_run_removes_dead_runs_temps_and_keeps_live_ones(tmp_path: Path) -> None:
    """Issue 12.5: temps of killed runs are removed by the next run in the folder; a live
    run's (here this test process's own, by name) are not."""
    src, out = _partner(tmp_path / "p.csv", 60_000), tmp_path / "out"
    out.mkdir()
    for _ in range(2):
        proc = subprocess.Popen([sys.executable, "-m", "salesfmt", *map(str, _wallie(
            src, f"{out}/"))], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for_temps(out, proc)
        proc.kill()
        proc.wait()
    # and what a killed run of the version before output sets left (pid only)
    (out / f".salesfmt-pending-{proc.pid}-0123abcd.1000.json").write_text("{}")
    assert any(p.name.startswith(".") for p in out.iterdir())
    kassa = ["convert", SAMPLES / "kassa-export-nl.csv", "-r", "kassa-nl", "-t", "bulk-csv",
             "--today", TODAY, "-o", f"{out}/"]
    assert run_cli(*kassa).code == 1
    assert sorted(p.name for p in out.iterdir()) == ["kassa-export-nl.csv",
                                                     "kassa-export-nl.report.json"]
    from salesfmt.outputs import temp_prefix

    live = out / f"{temp_prefix()}other.json.tmp"
    live.write_text("a live run's")
    assert run_cli(*kassa, "--force").code == 1
    assert live.read_text() == "a live run's"


def _till(src: Path, out: Path, *extra: str) -> list:
    return [sys.executable, "-m", "salesfmt", "convert", str(src), "-r", "kassa-nl", "-t",
            "bulk-csv", "--today", TODAY, "-o", f"{out}/", *extra]


@pytest.fixture(scope="module")
def same_named(tmp_path_factory) -> list[tuple[Path, dict[str, bytes]]]:
    """Three different inputs all named till.csv, each with its set converted alone."""
    root = tmp_path_factory.mktemp("same-named")
    kassa = (SAMPLES / "kassa-export-nl.csv").read_text(encoding="cp1252").splitlines()
    made = []
    for i in range(3):
        (root / f"in{i}").mkdir()
        src = root / f"in{i}" / "till.csv"
        src.write_text("\n".join([kassa[0], *kassa[1:-1] * (400 + 100 * i)]) + "\n",
                       encoding="cp1252")
        ref = root / f"ref{i}"
        ref.mkdir()
        subprocess.run(_till(src, ref), capture_output=True, timeout=120)
        made.append((src, {n: (ref / n).read_bytes() for n in _visible(ref)}))
    return made


def test_parallel_converts_of_same_named_inputs_never_clobber(tmp_path: Path,
                                                              same_named) -> None:
    """Issue 12.6: one of the runs publishes; the others are refused ('already exists'),
    and the set on disk is one run's output with that run's own report."""
    procs = [subprocess.Popen(_till(src, tmp_path), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for src, _ in same_named]
    results = [(p.wait(timeout=120), p.communicate()[1]) for p in procs]
    codes = [code for code, _ in results]
    assert sorted(codes) == [1, 2, 2], results
    assert all(f"{tmp_path / 'till.csv'}: already exists" in err
               for code, err in results if code == 2)
    winner = same_named[codes.index(1)][1]
    assert {n: (tmp_path / n).read_bytes() for n in _visible(tmp_path)} == winner
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_parallel_forced_converts_leave_one_runs_whole_set(tmp_path: Path,
                                                           same_named) -> None:
    """With --force every run publishes, one after the other: what stays is one run's
    output beside that same run's report."""
    procs = [subprocess.Popen(_till(src, tmp_path, "--force"), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) for src, _ in same_named]
    assert [p.wait(timeout=120) for p in procs] == [1, 1, 1]
    got = {n: (tmp_path / n).read_bytes() for n in _visible(tmp_path)}
    assert sorted(got) == ["till.csv", "till.report.json"]
    assert got in [ref for _, ref in same_named]


@pytest.mark.parametrize("command", ["report", "check"])
def test_reports_are_never_written_over_a_file_without_force(tmp_path: Path,
                                                             command: str) -> None:
    """Issue 12.19: `report -o` and `check --html` follow convert's contract."""
    src = tmp_path / "kassa.csv"
    src.write_bytes((SAMPLES / "kassa-export-nl.csv").read_bytes())
    html = tmp_path / "r.html"
    html.write_text("someone's file")
    flag = "-o" if command == "report" else "--html"
    base = [command, src, "-r", "kassa-nl", "-t", "bulk-csv", "--today", TODAY]
    refused = run_cli(*base, flag, html)
    assert refused.code == 2 and f"{html}: already exists (use --force" in refused.err
    assert html.read_text() == "someone's file"
    forced = run_cli(*base, flag, html, "--force")
    assert forced.code == 1, forced.err
    assert html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    own = run_cli(*base, flag, src, "--force")
    assert own.code == 2 and "refusing to overwrite the input file" in own.err
    assert src.read_bytes() == (SAMPLES / "kassa-export-nl.csv").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kassa.csv", "r.html"]


def test_a_file_appearing_at_a_final_name_mid_publish_is_never_replaced(tmp_path: Path,
                                                                         monkeypatch) -> None:
    """Placement is exclusive even past the checks: the set is rolled back, the other
    writer's file stays, and the error names it."""
    from salesfmt import outputs
    from salesfmt.errors import OutputError

    real_place = outputs.place

    def racing_place(src: Path, dst: Path, *, force: bool = False) -> None:
        if dst.name.endswith(".report.json"):
            dst.write_text("another writer's")
        real_place(src, dst, force=force)

    monkeypatch.setattr(outputs, "place", racing_place)
    with outputs.Stage(tmp_path) as stage:
        staged = [stage.path / "s.001.json", stage.path / "s.002.json",
                  stage.path / "s.report.json"]
        for p in staged:
            p.write_text(p.name)
        with pytest.raises(OutputError, match="o.report.json: already exists"):
            stage.publish(staged, "s", outputs.OutputSet(tmp_path, "o", ".json"), force=False)
    assert _visible(tmp_path) == ["o.report.json"]
    assert (tmp_path / "o.report.json").read_text() == "another writer's"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_lone_file_in_an_unwritable_folder_names_the_file(tmp_path: Path) -> None:
    """A report's rejects file where no file can be made (``/proc``): one line naming the
    file the user asked for, never the hidden temporary name."""
    res = run_cli("report", SAMPLES / "kassa-export-nl.csv", "-r", "kassa-nl", "-t", "bulk-csv",
                  "-o", tmp_path / "report.html", "--rejects", "/proc/rejects.csv")
    assert res.code == 2
    assert res.err.strip() == ("salesfmt: error: /proc/rejects.csv: cannot write the output: "
                               "No such file or directory"), res.err
    assert not (tmp_path / "report.html").exists()
