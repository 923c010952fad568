"""Peak memory of a fit above its data: softlogit against scikit-learn.

Run: ``python -m benchmarks.fit_memory`` (a few minutes at 1M rows). Options:
``--cases 1000000x100x2,1000000x100x10`` (n x d x K, data of
:func:`benchmarks.fit_speed.make_data`, the issue's generator), ``--C 1.0,inf``,
``--out benchmarks/results/fit_memory.csv``.

Every fit runs in a fresh Python process, which imports both libraries, loads the
data (float64, C order, from a ``.npy`` file written once by the parent, so that the
generator's temporaries are not counted), then fits once at the library's default
``tol``. Just before the fit the process resets its resident-set high-water mark
(Linux: ``/proc/self/clear_refs``; importing scikit-learn and loading the file peak
higher than the data alone) and reads it (``VmHWM`` in ``/proc/self/status``: the
``ru_maxrss`` of the process's own memory; ``getrusage`` also reports the
high-water mark inherited from the parent the process was forked from); after the
fit it reads it again. The peak above the data is the difference: the fit's own
temporaries and results at their largest. The processes
run one after another (the competitors alternate), on the default BLAS threads.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.fit_speed import load_average, make_data, parse_cases

CHILD = r"""
import gc, json, sys, warnings
import numpy as np
import sklearn.linear_model, softlogit  # imported before the baseline

def peak_mib():
    with open("/proc/self/status") as fh:
        line = next(line for line in fh if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024.0  # kB

X = np.load(sys.argv[1])
y = np.load(sys.argv[2])
C = float(sys.argv[4])
gc.collect()
with open("/proc/self/clear_refs", "w") as fh:
    fh.write("5")  # reset the high-water mark that ru_maxrss reports
before = peak_mib()
if sys.argv[3] == "softlogit":
    cls = softlogit.LogisticRegression if y.max() == 1 else softlogit.SoftmaxRegression
    est = cls(C=C).fit(X, y)
else:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = sklearn.linear_model.LogisticRegression(
            C=C, solver=sys.argv[3], max_iter=1000
        ).fit(X, y)
print(json.dumps({"before_mib": before, "after_mib": peak_mib()}))
"""

COMPETITORS = ("softlogit", "lbfgs")


def measure(competitor: str, x_path: Path, y_path: Path, C: float) -> dict[str, float]:
    """Peak RSS before and after one fit in a fresh process (MiB)."""
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(x_path), str(y_path), competitor, str(C)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="1000000x100x2,1000000x100x10")
    parser.add_argument("--C", default="1.0,inf")
    parser.add_argument("--out", default="benchmarks/results/fit_memory.csv")
    args = parser.parse_args(argv)
    command = "python -m benchmarks.fit_memory " + " ".join(
        argv if argv is not None else sys.argv[1:]
    )
    rows: list[dict[str, object]] = []
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, d, k in parse_cases(args.cases):
            X, y = make_data(n, d, k)
            x_path, y_path = Path(tmp, "X.npy"), Path(tmp, "y.npy")
            np.save(x_path, X)
            np.save(y_path, y)
            data_mib = X.nbytes / 2**20
            del X, y
            for C in (float(c) for c in args.C.split(",")):
                load = load_average()
                above = {}
                for competitor in COMPETITORS:
                    r = measure(competitor, x_path, y_path, C)
                    above[competitor] = r["after_mib"] - r["before_mib"]
                    rows.append(
                        {
                            "n_samples": n,
                            "n_features": d,
                            "n_classes": k,
                            "C": C,
                            "competitor": (
                                competitor
                                if competitor == "softlogit"
                                else f"sklearn-{competitor}"
                            ),
                            "data_mib": f"{data_mib:.1f}",
                            "peak_before_fit_mib": f"{r['before_mib']:.1f}",
                            "peak_after_fit_mib": f"{r['after_mib']:.1f}",
                            "peak_above_data_mib": f"{above[competitor]:.1f}",
                            "load_average": load,
                        }
                    )
                    print(f"  {n}x{d}x{k} C={C:g} {competitor}: {r}", flush=True)
                ratio = (
                    above["softlogit"] / above["lbfgs"] if above["lbfgs"] else math.nan
                )
                lines.append(
                    f"{n:>8} {d:>4} {k:>3} {C:>5g} {data_mib:9.1f} "
                    f"{above['softlogit']:10.1f} {above['lbfgs']:10.1f} {ratio:6.2f}  {load}"
                )
    print(
        "\n       n    d   K     C  data MiB  softlogit  sklearn-lbfgs  ratio"
        "  (MiB above the data)  load"
    )
    print("\n".join(lines))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as fh:
        fh.write(f"# command: {command.strip()}\n")
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
