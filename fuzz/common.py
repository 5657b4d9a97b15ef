"""Running a fuzz target under atheris: the seed corpus, the working corpus, where crashes go."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def files(*folders: str, suffixes=(".yaml", ".yml", ".json", ".jsonl", ".csv")) -> list[Path]:
    """The seed files under ``folders`` (repository-relative), small ones only."""
    out = []
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and path.suffix in suffixes and path.stat().st_size <= 64 * 1024:
                out.append(path)
    return out


def run(target_file: str, test_one_input, seeds: list[bytes], argv: list[str]) -> None:
    """Write the seeds (and fuzz/regressions/<target>-*) and hand over to libFuzzer.

    libFuzzer options pass through (``-max_total_time=60``, ``-runs=N``, ``-jobs=N``); inputs go up
    to 64 KiB, and fuzz/ordinance.dict gives the tokens random mutation rarely assembles.  A crash
    is written to build/fuzz/<fuzzer>/crashes/; copy it to fuzz/regressions/<target>-<name>
    with its expected codes in fuzz/regressions/expected.yaml, and fix it.
    """
    import atheris

    name = Path(target_file).stem
    target = name.replace("fuzz_", "")
    work = Path(os.environ.get("FUZZ_WORK", ROOT / "build" / "fuzz")) / name
    corpus, crashes, seed_dir = work / "corpus", work / "crashes", work / "seeds"
    for folder in (corpus, crashes, seed_dir):
        folder.mkdir(parents=True, exist_ok=True)
    for i, seed in enumerate(seeds):
        (seed_dir / f"seed-{i:04d}").write_bytes(seed)
    for path in sorted((ROOT / "fuzz" / "regressions").glob(f"{target}-*")):
        (seed_dir / path.name).write_bytes(path.read_bytes())
    args = [argv[0], f"-artifact_prefix={crashes}/", "-rss_limit_mb=4096", "-timeout=30", "-max_len=65536",
            f"-dict={ROOT / 'fuzz' / 'ordinance.dict'}", *argv[1:], str(corpus), str(seed_dir)]
    atheris.Setup(args, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":  # pragma: no cover
    sys.exit("run fuzz/fuzz_loader.py or fuzz/fuzz_case.py")
