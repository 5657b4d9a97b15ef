"""Coverage-guided fuzzing (atheris) of the rule-file pipeline; the target is fuzz/targets.py `loader`.

    .venv/bin/python fuzz/fuzz_loader.py -max_total_time=60        (or: make fuzz)

Seeds: every rule file and manifest under policy/ and tests/fixtures/, and each expression of
the bundled rules alone, plus the inputs kept in fuzz/regressions/loader-*.  The working corpus
and any crash go to build/fuzz/fuzz_loader/ (FUZZ_WORK to change it).
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
    for path in files("policy", "tests/fixtures"):
        raw = path.read_bytes()
        out.append((b"\x06" if path.name == "policy.yaml" else b"\x00") + raw)
        if path.parent.name == "rules":
            for line in raw.decode("utf-8", "replace").splitlines():
                key, _, value = line.strip().partition(": ")
                if key in ("amount", "when", "ceiling", "rank_by", "limit") and value:
                    out.append(b"\x08" + value.encode("utf-8"))
    return out


if __name__ == "__main__":
    run(__file__, targets.loader, seeds(), sys.argv)
