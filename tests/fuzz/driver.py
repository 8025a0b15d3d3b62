"""Run many CLI cases in one process: one JSON request per stdin line, one answer per line.

Request ``{"argv": [...]}``; answer ``{"code": int | str, "out": str, "err": str}``, where
``code`` is the exit code, or ``"escaped"`` when something got past ``salesfmt.cli.main``.
The parent enforces the per-case timeout (it kills this process) and sees signal deaths.
Started by ``tests/fuzz/harness.py`` as ``python tests/fuzz/driver.py``.
"""

from __future__ import annotations

import io
import json
import os
import sys
import traceback

_CAP = 64 * 1024 * 1024


def _stream() -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="replace",
                            write_through=True)


def _text(stream: io.TextIOWrapper) -> str:
    stream.flush()
    raw = stream.buffer.getvalue()  # type: ignore[attr-defined]
    return raw[:_CAP].decode("utf-8", "replace")


def run_case(argv: list[str]) -> dict:
    """``salesfmt.cli.main(argv)`` with stdout/stderr captured; its exit code."""
    from salesfmt.cli import main

    out, err = _stream(), _stream()
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    code: int | str
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else "nonint")
    except BaseException:  # noqa: BLE001 — anything escaping main breaks the contract
        code = "escaped"
        err.write(traceback.format_exc())
    finally:
        sys.stdout, sys.stderr = saved
    return {"code": code, "out": _text(out), "err": _text(err)}


def serve() -> None:
    """Answer requests until stdin closes; answers go to a private copy of fd 1."""
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # stray native writes to fd 1 must not corrupt the answers
    for line in sys.stdin:
        if line.strip():
            answers.write(json.dumps(run_case(json.loads(line)["argv"])) + "\n")
            answers.flush()


if __name__ == "__main__":
    serve()
