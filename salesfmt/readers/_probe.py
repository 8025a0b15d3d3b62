"""Binary workbooks (XLS, XLSB) are first parsed in a child process with a memory cap.

calamine parses BIFF records with sizes taken from the file: a damaged one may ask for
hundreds of gigabytes, and a failed Rust allocation aborts the whole process (exit 134,
nothing printed), which no ``except`` can catch. The child (fastexcel alone, no polars:
under 0.1 s for a small file) takes that crash instead, and the reader answers in one line.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from salesfmt.errors import InputError

__all__ = ["probe_binary_workbook"]

_PROBE = """\
import resource, sys
cap = int(sys.argv[3])
if cap:
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
import fastexcel
path, as_bytes = sys.argv[1], sys.argv[2] == "1"
reader = fastexcel.read_excel(open(path, "rb").read() if as_bytes else path)
for i in range(len(reader.sheet_names)):
    try:
        reader.load_sheet(i, header_row=None, dtypes="string")
    except Exception:
        pass
"""


def probe_binary_workbook(path: Path, as_bytes: bool, memory_bytes: int,
                          timeout: float = 300) -> None:
    """InputError when parsing the workbook kills the process (signal) or runs out of the
    ``memory_bytes`` allowed; ordinary read errors are left to the reader's own message."""
    try:
        # the cap is set by the child itself: no preexec_fn (unsafe with polars' threads)
        proc = subprocess.run([sys.executable, "-c", _PROBE, str(path), "1" if as_bytes else "0",
                               str(memory_bytes)], capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return  # slow, not broken: the real read takes as long
    except OSError:
        return  # cannot start a child here: read in-process as before
    if proc.returncode < 0 or b"memory allocation of" in proc.stderr \
            or b"MemoryError" in proc.stderr:
        name = "out of memory"
        if proc.returncode < 0:
            try:
                name = signal.Signals(-proc.returncode).name
            except ValueError:
                name = f"signal {-proc.returncode}"
        raise InputError(f"damaged workbook: reading it crashed the reader ({name}); open it "
                         "in a spreadsheet program and save it again", where=str(path))
