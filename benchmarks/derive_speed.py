"""How long ``softlogit derive --classes K`` takes, cold and with its checks cached.

Run: ``python -m benchmarks.derive_speed [--classes 2,3,10,12] [--src DIR]
[--out FILE.csv]``. Each measurement is a fresh ``python -m softlogit derive`` process
(what a user waits for, interpreter start and imports included): first with an
empty cache directory (``cold``: every step is checked), then again with the cache
the first run wrote (``warm``). Wall-clock and CPU time (the child's user + system
time: on a shared machine the CPU time is the steadier figure) are reported; the
goal is ``--classes 12`` under 5 s, cold as well as warm. ``--src`` runs another
source tree (for example ``git archive`` of an older commit) to compare before and
after. The CSV's header records the load average at the start and at the end of the
run (other processes inflate the wall-clock time more than the CPU time).
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["main", "measure"]


def measure(
    n_classes: int, fmt: str, cache: Path, src: str | None = None
) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one ``softlogit derive`` process."""
    env = {**os.environ, "SOFTLOGIT_CACHE_DIR": str(cache)}
    if src is not None:
        env["PYTHONPATH"] = src
    argv = [sys.executable, "-m", "softlogit", "derive"]
    argv += ["--classes", str(n_classes), "--format", fmt]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        argv, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classes", default="2,3,10,12")
    parser.add_argument("--format", default="text", dest="fmt")
    parser.add_argument("--src", default=None, help="source tree to run (PYTHONPATH)")
    parser.add_argument("--label", default="this tree")
    parser.add_argument("--out", default=None, help="append the rows to this CSV")
    args = parser.parse_args(argv)
    rows = []
    load_start = os.getloadavg()[0]
    print(f"{'K':>3} {'run':>5} {'wall s':>8} {'cpu s':>8}")
    for k in (int(v) for v in args.classes.split(",")):
        with tempfile.TemporaryDirectory(prefix="softlogit-derive-cache-") as cache:
            for run in ("cold", "warm"):
                wall, cpu = measure(k, args.fmt, Path(cache), args.src)
                print(f"{k:>3} {run:>5} {wall:8.2f} {cpu:8.2f}")
                rows.append((args.label, k, args.fmt, run, f"{wall:.2f}", f"{cpu:.2f}"))
    if args.out is not None:
        out = Path(args.out)
        new = not out.exists()
        with out.open("a", encoding="utf-8", newline="") as fh:
            if new:
                load_end = os.getloadavg()[0]
                fh.write(
                    "# command: python -m benchmarks.derive_speed "
                    f"{' '.join(argv if argv is not None else sys.argv[1:])}\n"
                    f"# env: python {platform.python_version()}, cpus "
                    f"{os.cpu_count()}, load average {load_start:.1f} at the start "
                    f"and {load_end:.1f} at the end; one fresh process per row\n"
                )
            writer = csv.writer(fh)
            if new:
                writer.writerow(["tree", "classes", "format", "run", "wall_s", "cpu_s"])
            writer.writerows(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
