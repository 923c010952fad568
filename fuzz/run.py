#!/usr/bin/env python3
"""Long fuzzing runs of softlogit's loaders (see fuzz/README.md).

Usage::

    python fuzz/run.py LOADER [--engine atheris|hypothesis] [--runs N] [--seed S]

``LOADER`` is ``model`` (model JSON), ``result`` (result directory), ``toml``
(experiment spec) or ``csv`` (CSV files of ``softlogit fit`` and ``compare``). The
targets live in :mod:`softlogit._testing.fuzz`: a crash is any outcome other than
a clean softlogit error or a loaded object that works. atheris (coverage-guided,
libFuzzer) starts from the seed corpus in ``fuzz/corpus/LOADER`` (written on
first use); the Hypothesis engine mutates the same seeds and needs no extra
package. Both print the number of inputs tried and of crashes; a crash is saved
to ``fuzz/crashes/`` and makes the run exit 1.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _save_crash(loader: str, data: bytes, error: BaseException) -> Path:
    directory = HERE / "crashes" / loader
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / hashlib.sha1(data).hexdigest()[:16]
    path.write_bytes(data)
    path.with_suffix(".txt").write_text(f"{type(error).__name__}: {error}\n")
    return path


def run_mutation(loader: str, runs: int, seed: int) -> int:
    """A mutation fuzzer seeded by the valid inputs (no coverage guidance)."""
    from softlogit._testing.fuzz import TARGETS, CrashError, mutate, seeds

    target = TARGETS[loader]
    rnd = random.Random(seed)
    pool = list(seeds(loader))
    crashes = 0
    outcomes: dict[str, int] = {}
    start = time.perf_counter()
    for n in range(1, runs + 1):
        data = mutate(rnd.choice(pool), rnd, pool)
        try:
            outcome = target(data)
        except CrashError as exc:
            crashes += 1
            print(f"crash: {_save_crash(loader, data, exc)}: {exc}", flush=True)
            continue
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if "loaded" in outcome and len(pool) < 200:
            pool.append(data)  # keep what still loads: deeper mutations from it
        if n % 10_000 == 0:
            rate = n / (time.perf_counter() - start)
            print(f"{loader}: {n} inputs, {crashes} crashes, {rate:.0f}/s", flush=True)
    elapsed = time.perf_counter() - start
    print(
        f"{loader}: {runs} inputs tried, {crashes} crashes, outcomes {outcomes}, "
        f"{elapsed:.0f} s (mutation engine, seed {seed})",
        flush=True,
    )
    return 1 if crashes else 0


def run_atheris(loader: str, runs: int, seed: int) -> int:
    """Coverage-guided fuzzing with atheris (libFuzzer) from the seed corpus."""
    import atheris

    # coverage of softlogit's own code: its modules are instrumented as they are
    # imported, and running the seeds imports every module the loader uses
    with atheris.instrument_imports(include=["softlogit"]):
        import softlogit._testing.fuzz as harness

        seeds = harness.seeds(loader)
        target = harness.TARGETS[loader]
        for data in seeds:
            target(data)
    corpus = HERE / "corpus" / loader
    if not corpus.is_dir() or not any(corpus.iterdir()):
        harness.write_corpus(corpus, loader)
    counts = {"inputs": 0}

    def one_input(data: bytes) -> None:
        counts["inputs"] += 1
        try:
            target(data)
        except harness.CrashError as exc:
            _save_crash(loader, data, exc)
            raise

    argv = [
        sys.argv[0],
        str(corpus),
        f"-runs={runs}",
        f"-seed={seed}",
        "-max_len=65536",
    ]
    atheris.Setup(argv, one_input)
    atheris.Fuzz()  # exits the process when the runs are done
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("loader", choices=["model", "result", "toml", "csv"])
    parser.add_argument("--engine", choices=["atheris", "mutation"], default="atheris")
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.engine == "atheris":
        return run_atheris(args.loader, args.runs, args.seed)
    return run_mutation(args.loader, args.runs, args.seed)


if __name__ == "__main__":
    sys.exit(main())
