"""Speed of ``softlogit.convert_head`` on a model with a 4096 x 2 head, against the
time of copying the model's parameters (which the conversion must do anyway).

Run from the repository root::

    .venv/bin/python -m benchmarks.convert_speed                  # width 4096, 5 repeats
    .venv/bin/python -m benchmarks.convert_speed --no-keras --repeats 3

The model is ``Linear(4096, 4096) -> ReLU -> Linear(4096, 2)`` (16.8 M parameters),
as a PyTorch ``nn.Sequential`` (float32 and float64), as its state dict, and as a
Keras ``Sequential`` (float32). Per row: the median time of ``convert_head(model,
to="sigmoid")`` and of the copy it contains — ``copy.deepcopy(model)`` for a module,
cloning every tensor for a state dict, ``clone_model`` plus ``set_weights`` for Keras
— each warmed up once, then the median of ``--repeats``. The conversion of the head
itself (8194 numbers) is the difference; the ratio convert/copy shows how much the
copy dominates. PyTorch runs on one thread, as the experiment's engines do on the
shared machines. The table is printed and written as CSV under
``benchmarks/results/`` with the command that produced it.
"""

from __future__ import annotations

import argparse
import copy
import csv
import os
import platform
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.engine_speed import _median_time

RESULTS = Path(__file__).resolve().parent / "results"


def _median_ms(fn: Callable[[], object], repeats: int) -> float:
    return 1e3 * _median_time(fn, repeats)[0]


def _torch_rows(width: int, repeats: int) -> list[dict[str, Any]]:
    import torch
    from torch import nn

    import softlogit as sl

    torch.set_num_threads(1)
    rows = []
    for dtype in (torch.float32, torch.float64):
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(width, width), nn.ReLU(), nn.Linear(width, 2))
        model = model.to(dtype)
        sd = model.state_dict()
        n = sum(p.numel() for p in model.parameters())
        name = str(dtype).removeprefix("torch.")
        cases = [
            ("nn.Sequential", model, lambda m=model: copy.deepcopy(m)),
            ("state dict", sd, lambda d=sd: {k: v.clone() for k, v in d.items()}),
        ]
        for kind, obj, copy_fn in cases:
            convert_ms = _median_ms(
                lambda o=obj: sl.convert_head(o, to="sigmoid"), repeats
            )
            copy_ms = _median_ms(copy_fn, repeats)
            rows.append(_row("torch", kind, name, n, width, convert_ms, copy_ms))
    return rows


def _keras_rows(width: int, repeats: int) -> list[dict[str, Any]]:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    import softlogit as sl

    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((width,)),
            keras.layers.Dense(width, activation="relu"),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )

    def plain_copy() -> Any:
        new = keras.models.clone_model(model)
        new.set_weights(model.get_weights())
        return new

    convert_ms = _median_ms(lambda: sl.convert_head(model, to="sigmoid"), repeats)
    copy_ms = _median_ms(plain_copy, repeats)
    n = int(sum(w.size for w in model.get_weights()))
    return [_row("keras", "Sequential", "float32", n, width, convert_ms, copy_ms)]


def _row(
    framework: str,
    kind: str,
    dtype: str,
    n_params: int,
    width: int,
    convert_ms: float,
    copy_ms: float,
) -> dict[str, Any]:
    return {
        "framework": framework,
        "model": kind,
        "dtype": dtype,
        "head": f"{width}x2",
        "n_params": n_params,
        "convert_ms": round(convert_ms, 3),
        "copy_ms": round(copy_ms, 3),
        "head_ms": round(convert_ms - copy_ms, 3),
        "convert_over_copy": round(convert_ms / copy_ms, 3),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the table and write the CSV."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=4096)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-keras", action="store_true")
    parser.add_argument("--out", default=str(RESULTS / "convert_speed.csv"))
    args = parser.parse_args(argv)

    rows = _torch_rows(args.width, args.repeats)
    if not args.no_keras:
        rows += _keras_rows(args.width, args.repeats)
    header = list(rows[0])
    print(" | ".join(header))
    for row in rows:
        print(" | ".join(str(row[k]) for k in header))

    import numpy
    import torch

    argv_text = " ".join(sys.argv[1:] if argv is None else argv)
    command = f"python -m benchmarks.convert_speed {argv_text}".strip()
    keras = sys.modules.get("keras")
    env = (
        f"python {platform.python_version()}, numpy {numpy.__version__}, torch "
        f"{torch.__version__} (1 thread)"
        + ("" if keras is None else f", keras {keras.__version__} (tensorflow)")
        + f", cpus {os.cpu_count()}, load average "
        f"{os.getloadavg()[0]:.1f} at the end, median of {args.repeats} after a warm-up"
    )
    with open(args.out, "w", newline="", encoding="utf-8") as fh:
        fh.write(f"# command: {command}\n# env: {env}\n")
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
