"""Worst error in ulp of softlogit's stable functions against mpmath (50 digits).

Run: ``python -m benchmarks.accuracy`` (a few seconds). Options: ``--out
benchmarks/results/accuracy.csv`` to record the table with the command that made it.

The grids and references are those of :mod:`softlogit._testing.oracle`, which
``tests/test_special.py`` asserts against, so the table and the tests measure the same
thing: about 8000 inputs covering
[-1e308, 1e308] with log-spaced magnitudes of both signs, dense in [-800, 800], plus
+-0 and +-inf for the elementwise functions; about 12000 pairs and 11000 triples of
logits drawn from such values (near ties, wide spreads, huge magnitudes, -inf) for the
row functions; targets 0, 1 and fractional for the cross-entropies. The error of a
result is ``|got - ref| / spacing(|ref|)`` with ``ref`` rounded to the result's dtype.
"""

from __future__ import annotations

import argparse
import csv
import platform
import sys
from collections.abc import Callable
from pathlib import Path

import mpmath
import numpy as np

import softlogit as sl
from softlogit._testing import oracle as ts


def measure() -> list[dict[str, object]]:
    """One row per (function, dtype, input set): worst ulp and where it happens."""
    rows: list[dict[str, object]] = []

    def record(
        function: str, dtype: str, inputs: str, err: np.ndarray, at: object, n: int
    ) -> None:
        rows.append(
            {
                "function": function,
                "dtype": dtype,
                "inputs": inputs,
                "n": n,
                "worst_ulp": float(np.max(err, initial=0.0)),
                "at": at,
            }
        )

    unary: dict[str, Callable[..., np.ndarray]] = {
        "sigmoid": sl.sigmoid,
        "log_sigmoid": sl.log_sigmoid,
        "softplus": sl.softplus,
    }
    for dtype in ("float64", "float32"):
        for name, func in unary.items():
            x, ref = ts.unary_reference(name, dtype)
            err = ts.ulp_error(func(x), ref)
            record(name, dtype, "unary grid", err, x[np.argmax(err)], len(x))
        z, y, ref = ts.bce_reference(dtype)
        err = ts.ulp_error(sl.binary_cross_entropy(z, y, reduction="none"), ref)
        i = int(np.argmax(err))
        record(
            "binary_cross_entropy", dtype, "y in {0, 1, fractional}", err,
            (z[i], y[i]), len(z),
        )  # fmt: skip
        for k in (2, 3):
            ref = ts.row_reference(k, dtype)
            x = ref["x"]
            for name in ("softmax", "log_softmax"):
                got = getattr(sl, name)(x, axis=-1)
                err = ts.ulp_error(got, ref[name]).max(axis=1)
                record(name, dtype, f"{k}-class rows", err, x[np.argmax(err)], len(x))
            got = sl.logsumexp(x, axis=-1)
            err = ts.ulp_error(got, ref["logsumexp"])
            record(
                "logsumexp", dtype, f"{k}-class rows", err, x[np.argmax(err)], len(x)
            )
            worst_err, worst_at = np.zeros(1), x[0]
            for j in range(k):
                labels = np.full(len(x), j)
                got = sl.softmax_cross_entropy(x, labels, reduction="none")
                err = ts.ulp_error(got, -ref["log_softmax"][:, j])
                if err.max() >= worst_err.max():
                    worst_err, worst_at = err, x[np.argmax(err)]
            record(
                "softmax_cross_entropy", dtype, f"{k}-class rows, labels",
                worst_err, worst_at, len(x) * k,
            )  # fmt: skip
            if dtype == "float64":
                rows_p, y_p, want = ts.sce_reference(k)
                got = sl.softmax_cross_entropy(rows_p, y_p, reduction="none")
                err = ts.ulp_error(got, want)
                record(
                    "softmax_cross_entropy", dtype, f"{k}-class rows, probabilities",
                    err, rows_p[np.argmax(err)], len(rows_p),
                )  # fmt: skip
    # The hard case of logsumexp: log-probabilities, whose lse is ~1e-17 (condition
    # number ~1e16), and the same shifted by up to 1e-6 (condition number ~1e6).
    rng = np.random.default_rng(0)
    for k in (3, 10):
        logp = np.log(rng.dirichlet(np.ones(k), size=1000))
        shifted = logp + rng.uniform(-1e-6, 1e-6, size=(1000, 1))
        for label, x in (("log-probabilities", logp), ("shifted by <= 1e-6", shifted)):
            got = sl.logsumexp(x, axis=-1)
            with mpmath.workdps(ts.DPS):
                parts = [ts.mp_lse_parts(row) for row in x]
            want = np.array([float(v) for v, _ in parts])
            scale = np.array([float(sc) for _, sc in parts])
            err = ts.ulp_error(got, want)
            record(
                "logsumexp", "float64", f"{label}, K={k}", err, x[np.argmax(err)],
                len(x),
            )  # fmt: skip
            if label == "log-probabilities":
                # absolute error relative to max(|m|, log1p term), in units of 2**-100
                ratio = np.abs(got - want) / scale / 2.0**-100
                record(
                    "logsumexp", "float64", f"{label}, K={k}: |err| / (2**-100 scale)",
                    ratio, x[np.argmax(ratio)], len(x),
                )  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="also write the table as CSV here")
    args = parser.parse_args(argv)
    rows = measure()
    width = max(len(str(r["function"])) for r in rows)
    inputs_width = max(len(str(r["inputs"])) for r in rows)
    print(
        f"{'function':<{width}}  dtype    {'inputs':<{inputs_width}}  {'n':>6}  worst ulp"
    )
    for r in rows:
        print(
            f"{r['function']!s:<{width}}  {r['dtype']!s:<7}  {r['inputs']!s:<{inputs_width}}"
            f"  {r['n']:>6}  {r['worst_ulp']:9.3g}"
        )
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with args.out.open("w", newline="", encoding="utf-8") as fh:
            fh.write(f"# command: python -m benchmarks.accuracy --out {args.out}\n")
            fh.write(
                f"# softlogit {sl.__version__}, numpy {np.__version__}, "
                f"{platform.python_implementation()} {platform.python_version()}, "
                f"{platform.machine()}\n"
            )
            writer = csv.DictWriter(
                fh, fieldnames=["function", "dtype", "inputs", "n", "worst_ulp", "at"]
            )
            writer.writeheader()
            for r in rows:
                writer.writerow(
                    {**r, "at": np.array2string(np.asarray(r["at"]), precision=17)}
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
