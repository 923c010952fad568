"""How long ``import softlogit`` takes, from ``python -X importtime``.

Run: ``python -m benchmarks.import_time``. Prints the self time of softlogit's own modules
(target: under 0.5 s in total) and the cumulative time of the whole import, median of N
fresh interpreters.
"""

from __future__ import annotations

import statistics
import subprocess
import sys


def measure() -> tuple[float, float, list[str]]:
    """Return (softlogit self time, total cumulative time) in seconds and heavy modules."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import softlogit"],
        capture_output=True,
        text=True,
        check=True,
    )
    own = 0.0
    total = 0.0
    modules: list[str] = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative_us, name = line[len("import time:") :].split("|")
        name = name.strip()
        modules.append(name)
        if name.startswith("softlogit"):
            own += int(self_us) / 1e6
        if name == "softlogit":
            total = int(cumulative_us) / 1e6
    heavy = [
        m
        for m in ("scipy", "sklearn", "pandas", "sympy", "matplotlib", "torch", "keras")
        if m in modules
    ]
    return own, total, heavy


def main(repeats: int = 7) -> None:
    runs = [measure() for _ in range(repeats)]
    own = statistics.median(r[0] for r in runs)
    total = statistics.median(r[1] for r in runs)
    print(f"softlogit modules, self time : {own * 1e3:8.1f} ms (target < 500 ms)")
    print(f"import softlogit, cumulative : {total * 1e3:8.1f} ms (numpy included)")
    print(f"heavy modules imported       : {', '.join(runs[0][2]) or 'none'}")


if __name__ == "__main__":
    main()
