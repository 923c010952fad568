"""Fuzzing targets for softlogit's loaders, shared by the tests and ``fuzz/``.

Each target takes the bytes of one input file, loads it the way users do, and
sorts the outcome into the documented classes:

- **refused**: a softlogit error (``InputValueError``, ``InputTypeError``, ...) or a
  documented file error, with a one-line message;
- **loaded**: a valid object that then works: a loaded model predicts, summarizes
  (or refuses with its documented error) and saves and reloads to the same
  probabilities; a loaded result prints its summary; a spec round-trips through
  TOML; a CSV file gives finite features and labels.

Anything else (another exception, or a loaded object that fails those checks:
"accepted but inconsistent") is a crash: the target raises :class:`CrashError`. The
targets are used by ``tests/test_fuzz_loaders.py`` (Hypothesis, bounded) and by
``fuzz/run.py`` (atheris or Hypothesis, long runs).
"""

from __future__ import annotations

import contextlib
import os
import random
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from softlogit.errors import SoftlogitError

__all__ = ["TARGETS", "CrashError", "mutate", "seeds", "write_corpus"]

#: the file errors a loader may raise on purpose
_FILE_ERRORS = (FileNotFoundError, IsADirectoryError, NotADirectoryError)


class CrashError(AssertionError):
    """An input that a loader did not answer as documented."""


def _refused(exc: BaseException) -> bool:
    if isinstance(exc, (SoftlogitError, *_FILE_ERRORS)):
        text = str(exc)
        return bool(text) and "\n" not in text.strip() and len(text) < 2000
    return False


def _run(load: Callable[[], Any], check: Callable[[Any], None]) -> str:
    """Load, classify, and check what was loaded; return "refused" or "loaded"."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a loader's warnings are not crashes
        try:
            value = load()
        except Exception as exc:
            if _refused(exc):
                return "refused"
            raise CrashError(f"{type(exc).__name__}: {exc}") from exc
        try:
            check(value)
        except Exception as exc:
            raise CrashError(
                f"accepted but inconsistent: {type(exc).__name__}: {exc}"
            ) from exc
    return "loaded"


class _Scratch:
    """One temporary directory per process, reused by every input."""

    _dir: Path | None = None

    @classmethod
    def path(cls, name: str) -> Path:
        if cls._dir is None:
            cls._dir = Path(tempfile.mkdtemp(prefix="softlogit-fuzz-"))
        return cls._dir / name


# ------------------------------------------------------------------- model JSON
def _check_model(model: Any) -> None:
    from softlogit import load_model

    X = np.zeros((3, int(model.n_features_in_)))
    X[1] = 1.0
    X[2] = -0.5
    proba = model.predict_proba(X)
    if not (np.all(np.isfinite(proba)) and np.allclose(proba.sum(axis=1), 1.0)):
        raise AssertionError(f"predict_proba gave {proba!r}")
    model.predict(X)
    # a penalized model, or one saved without its covariance, refuses: documented
    with contextlib.suppress(SoftlogitError):
        model.summary()
    again = _Scratch.path("again.json")
    model.save(again, force=True)
    if not np.array_equal(load_model(again).predict_proba(X), proba):
        raise AssertionError("save and load changed the probabilities")


def fuzz_model_json(data: bytes) -> str:
    """Load ``data`` as a model file (``softlogit.load_model``)."""
    from softlogit import load_model

    path = _Scratch.path("model.json")
    path.write_bytes(data)
    return _run(lambda: load_model(path), _check_model)


# ------------------------------------------------------------------- result directory
def _result_files() -> tuple[bytes, bytes]:
    """``result.json`` and ``arrays.npz`` of a small saved result."""
    if not hasattr(_result_files, "cache"):
        from softlogit.experiment import ExperimentSpec, run_experiment

        result = run_experiment(ExperimentSpec().replace(steps=4, hidden=(2,)))
        out = result.save(_Scratch.path("seed-result"), force=True)
        cache = ((out / "result.json").read_bytes(), (out / "arrays.npz").read_bytes())
        _result_files.cache = cache  # type: ignore[attr-defined]
    return _result_files.cache  # type: ignore[attr-defined,no-any-return]


def fuzz_result_dir(data: bytes) -> str:
    """Load a result directory whose ``result.json`` (first byte even) or
    ``arrays.npz`` (odd) is ``data[1:]``, the other file kept valid."""
    from softlogit.experiment import ExperimentResult

    meta, arrays = _result_files()
    d = _Scratch.path("result")
    d.mkdir(exist_ok=True)
    body = data[1:]
    if data[:1] and data[0] % 2:
        meta, arrays = meta, body
    else:
        meta = body
    (d / "result.json").write_bytes(meta)
    (d / "arrays.npz").write_bytes(arrays)

    def check(result: Any) -> None:
        result.summary()
        repr(result)

    return _run(lambda: ExperimentResult.load(d), check)


# ------------------------------------------------------------------- experiment TOML
def fuzz_spec_toml(data: bytes) -> str:
    """Read ``data`` as an experiment spec (``ExperimentSpec.from_toml``)."""
    from softlogit.experiment import ExperimentSpec

    path = _Scratch.path("spec.toml")
    path.write_bytes(data)

    def check(spec: Any) -> None:
        back = _Scratch.path("back.toml")
        back.write_text(spec.to_toml(), encoding="utf-8")
        if ExperimentSpec.from_toml(back) != spec:
            raise AssertionError("to_toml does not read back to the same spec")
        from softlogit.experiment._memory import estimate_memory

        estimate_memory(spec, 100, 3, 2)

    return _run(lambda: ExperimentSpec.from_toml(path), check)


# ------------------------------------------------------------------- CSV
def fuzz_csv(data: bytes) -> str:
    """Read ``data`` as ``softlogit fit``'s and the experiment's CSV file.

    The target column is the last column of the header (if any). Both readers
    must agree on refusing or give finite features and labels.
    """
    from softlogit.experiment._data import load_data
    from softlogit.experiment._sections import DataSpec

    path = _Scratch.path("data.csv")
    path.write_bytes(data)
    header = data.split(b"\n", 1)[0].decode("utf-8", "replace").split(",")
    target = header[-1].strip() or "y"

    def read_cli() -> Any:
        from softlogit._cli._table import (
            feature_frame,
            numeric_features,
            read_csv,
            target_column,
        )

        frame = read_csv(str(path), "DATA")
        y = target_column(frame, target, str(path))
        X = numeric_features(feature_frame(frame, target, None, str(path)), str(path))
        return X, y

    def check_cli(xy: Any) -> None:
        X, y = xy
        if not np.all(np.isfinite(X.to_numpy(dtype=np.float64))):
            raise AssertionError("non-finite features accepted")
        if y.isna().any():
            raise AssertionError("missing labels accepted")

    first = _run(read_cli, check_cli)

    def read_experiment() -> Any:
        spec = DataSpec(dataset="csv", csv=str(path), target=target)
        return load_data(spec, np.random.SeedSequence(0))

    def check_experiment(ds: Any) -> None:
        for a in (ds.X_train, ds.X_test):
            if not np.all(np.isfinite(a)):
                raise AssertionError("non-finite features accepted")
        if ds.info.n_classes < 2:
            raise AssertionError("a single class accepted")

    second = _run(read_experiment, check_experiment)
    return f"{first}/{second}"


#: loader name -> target taking the bytes of one input
TARGETS: dict[str, Callable[[bytes], str]] = {
    "model": fuzz_model_json,
    "result": fuzz_result_dir,
    "toml": fuzz_spec_toml,
    "csv": fuzz_csv,
}


# ------------------------------------------------------------------- mutation
def mutate(data: bytes, rnd: random.Random, pool: list[bytes]) -> bytes:
    """One to four byte-level edits, as libFuzzer's default mutators make."""
    out = bytearray(data)
    for _ in range(rnd.randint(1, 4)):
        op = rnd.randrange(8)
        i = rnd.randrange(len(out) + 1)
        if op == 0 and out:  # flip a bit
            j = min(i, len(out) - 1)
            out[j] ^= 1 << rnd.randrange(8)
        elif op == 1:  # insert random bytes
            out[i:i] = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 8)))
        elif op == 2 and out:  # delete a span
            del out[i : i + rnd.randint(1, 16)]
        elif op == 3:  # insert an interesting token
            token = rnd.choice(
                [
                    b"NaN",
                    b"Infinity",
                    b"-1",
                    b"0",
                    b"1e308",
                    b"5e-324",
                    b"2147483648",
                    b"null",
                    b"true",
                    b"[]",
                    b"{}",
                    b'""',
                    b"[[",
                    b"\xff",
                    b"9" * 40,
                    b'"<U999999"',
                    b",",
                    b"\n",
                    b"inf",
                    b"nan",
                    b"[/]",
                    b'"',
                    b"=",
                    b"[",
                ]
            )
            out[i:i] = token
        elif op == 4 and out:  # duplicate a span
            span = bytes(out[i : i + rnd.randint(1, 32)])
            out[i:i] = span
        elif op == 5 and pool:  # splice with another input
            other = rnd.choice(pool)
            j = rnd.randrange(len(other) + 1)
            out = out[:i] + bytearray(other[j:])
        elif op == 6 and out:  # replace a digit by another
            digits = [k for k, b in enumerate(out) if 48 <= b <= 57]
            if digits:
                out[rnd.choice(digits)] = rnd.randrange(48, 58)
        elif op == 7:  # truncate
            del out[i:]
    return bytes(out)


# ------------------------------------------------------------------- seeds
def seeds(loader: str) -> list[bytes]:
    """Valid inputs of ``loader`` to start mutating from."""
    if loader == "model":
        return _model_seeds()
    if loader == "result":
        meta, arrays = _result_files()
        return [b"\x00" + meta, b"\x01" + arrays]
    if loader == "toml":
        from softlogit.experiment import ExperimentSpec

        specs = [
            ExperimentSpec(),
            ExperimentSpec().replace(optimizer="adam", lr=0.01, hidden=(8, 4)),
            ExperimentSpec().replace(
                dataset="synthetic", n_classes=3, batch_size=16, networks="softmax"
            ),
            ExperimentSpec().replace(csv="d.csv", target="y", features="a,b"),
        ]
        return [s.to_toml().encode() for s in specs]
    if loader == "csv":
        rng = np.random.default_rng(0)
        X = rng.normal(size=(12, 2))
        rows = [f"{float(a)!r},{float(b)!r},{'ab'[int(a > 0)]}" for a, b in X]
        return [
            ("a,b,y\n" + "\n".join(rows) + "\n").encode(),
            b"x,label\n1,0\n2,1\n3,0\n4,1\n5,0\n6,1\n7,1\n8,0\n",
            b'"q[1]",t\n"1.5",a\n2,b\n3,a\n4,b\n5,a\n6,b\n',
        ]
    raise ValueError(f"unknown loader {loader!r}; one of {sorted(TARGETS)}")


def _model_seeds() -> list[bytes]:
    import pandas as pd

    from softlogit import LogisticRegression, SoftmaxRegression

    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 2))
    y2 = (X[:, 0] + rng.logistic(size=80) > 0).astype(int)
    y3 = np.argmax(X @ rng.normal(size=(3, 2)).T + rng.gumbel(size=(80, 3)), axis=1)
    frame = pd.DataFrame(X, columns=["dose[mg]", "b"])
    models = [
        LogisticRegression(C=np.inf).fit(X, y2),
        LogisticRegression(C=0.5).fit(frame, np.array(["no", "yes"])[y2]),
        SoftmaxRegression(C=np.inf, gauge="reference", reference_class=2).fit(X, y3),
        SoftmaxRegression(C=2.0, fit_intercept=False).fit(X, y3.astype(float)),
        SoftmaxRegression(C=np.inf, store_covariance=False).fit(X, y2.astype(bool)),
    ]
    out = []
    for i, model in enumerate(models):
        path = _Scratch.path(f"seed-{i}.json")
        model.save(path, force=True)
        out.append(path.read_bytes())
    return out


def write_corpus(directory: str | os.PathLike[str], loader: str) -> list[Path]:
    """Write the seeds of ``loader`` into ``directory`` (for libFuzzer)."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, seed in enumerate(seeds(loader)):
        path = d / f"seed-{i}"
        path.write_bytes(seed)
        paths.append(path)
    return paths
