"""Coverage-guided fuzzing (atheris) of the case reader; the target is fuzz/targets.py `case`.

    .venv/bin/python fuzz/fuzz_case.py -max_total_time=60          (or: make fuzz)

Seeds: every example case (as a file; the lines of the .jsonl examples as batch lines; the CSV
examples as CSV batches), plus the inputs kept in fuzz/regressions/case-*.  The working corpus
and any crash go to build/fuzz/fuzz_case/ (FUZZ_WORK to change it).
"""

from __future__ import annotations

import sys
from pathlib import Path

try:
    import atheris
except ImportError:  # a dev/fuzz tool, not a dependency of ordinance
    sys.exit("atheris is not installed: .venv/bin/pip install -e '.[fuzz]' (or make fuzz)")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import files, run  # noqa: E402

with atheris.instrument_imports():
    import targets


def seeds() -> list[bytes]:
    out = []
    for path in files("examples"):
        raw = path.read_bytes()
        if path.suffix == ".jsonl":
            out.extend(b"\x08" + line for line in raw.splitlines() if line.strip())
        elif path.suffix == ".csv":
            out.append(b"\x0c" + raw)
        else:
            out.append(b"\x00" + raw)
    return out


if __name__ == "__main__":
    run(__file__, targets.case, seeds(), sys.argv)
