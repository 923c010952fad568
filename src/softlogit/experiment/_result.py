"""The result of an experiment: trajectories, comparisons, verdicts and answers.

Every engine returns an :class:`ExperimentResult`; reports read only this type. It is
saved as two files in a directory: ``result.json`` (everything but the large arrays:
spec, data description, per-step metrics, verdicts, explanations, answers, timings;
exactly :meth:`ExperimentResult.to_json_dict`) and ``arrays.npz`` (parameters and
predicted probabilities of every network at every recorded step). Loading never
unpickles (``allow_pickle=False``) and validates shapes and keys.

Field names below are stable: reports and the command line rely on them.
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from softlogit._io import atomic_directory
from softlogit._typing import IntArray
from softlogit.errors import InputValueError
from softlogit.experiment._answers import Answer, answer_questions
from softlogit.experiment._comparisons import (
    PAIR_METRICS,
    ConservedSum,
    HeadMovement,
    PairComparison,
)
from softlogit.experiment._loss_path import LossPath
from softlogit.experiment._spec import ExperimentSpec
from softlogit.experiment._trajectory import DataInfo, Trajectory

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = [
    "FORMAT_VERSION",
    "DataInfo",
    "ExperimentResult",
    "Trajectory",
]

FORMAT_VERSION = 1
RESULT_JSON = "result.json"
ARRAYS_NPZ = "arrays.npz"
MARKER = ".softlogit-result"


@dataclass(repr=False)
class ExperimentResult:
    """Everything an experiment produced; the same type for every engine.

    Attributes
    ----------
    spec : ExperimentSpec
        What was run.
    engine : str
        ``'numpy'``, ``'torch'`` or ``'keras'``.
    data : DataInfo
    trajectories : dict of str to Trajectory
        One per network, in the order they were run.
    pairs : list of PairComparison
    conserved : list of ConservedSum
        For the K-unit softmax-type heads (networks 0 and 2, or ``'softmax'``).
    head_movements : list of HeadMovement
        T5 first-step ratios (K = 2 only).
    answers : dict of str to str
        The seed's questions answered in words: ``'networks_0_and_1'``,
        ``'networks_0_and_2'`` (K = 2), ``'softmax_and_reference'``,
        ``'softmax_and_reference_P'`` (K > 2); the explanations of
        :attr:`answer_details`.
    timings : dict of str to float
        Seconds: ``'data'``, ``'train'``, ``'compare'``, ``'total'``.
    versions : dict of str to str
        Versions of softlogit, NumPy and the engine's framework.
    """

    spec: ExperimentSpec
    engine: str
    data: DataInfo
    trajectories: dict[str, Trajectory]
    pairs: list[PairComparison] = field(default_factory=list)
    conserved: list[ConservedSum] = field(default_factory=list)
    head_movements: list[HeadMovement] = field(default_factory=list)
    answers: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)

    # -- access ------------------------------------------------------------------

    def pair(self, left: str, right: str) -> PairComparison:
        """The comparison of ``left`` and ``right`` (in either order).

        Raises
        ------
        KeyError
            If that pair was not compared.
        """
        for p in self.pairs:
            if (p.left, p.right) in ((left, right), (right, left)):
                return p
        raise KeyError(
            f"pair {left!r} vs {right!r} was not compared; pairs: "
            f"{', '.join(p.name for p in self.pairs)}."
        )

    @property
    def diverged(self) -> list[str]:
        """Names of the networks whose run diverged."""
        return [n for n, t in self.trajectories.items() if t.diverged]

    @property
    def answer_details(self) -> list[Answer]:
        """The answers to the seed's questions, typed: headline, verdict, figures.

        Decided from the pair comparisons (so a loaded result has them too); each
        explanation is the text of :attr:`answers` under the same key.

        Examples
        --------
        >>> from softlogit.experiment import ExperimentSpec, run_experiment
        >>> result = run_experiment(ExperimentSpec().replace(steps=50, hidden=(4,)))
        >>> [(a.key, a.verdict) for a in result.answer_details]
        [('networks_0_and_1', 'different'), ('networks_0_and_2', 'identical up to rounding')]
        >>> print(result.answer_details[1].headline)
        The same network: same function, same trajectory up to rounding.
        >>> result.answer_details[0].explanation == result.answers["networks_0_and_1"]
        True
        """
        built = answer_questions(
            self.pairs, self.conserved, self.head_movements, self.spec.training
        )
        return [
            dataclasses.replace(a, explanation=self.answers.get(a.key, a.explanation))
            for a in built
        ]

    def __repr__(self) -> str:
        pairs = ", ".join(f"{p.name}: {p.verdict}" for p in self.pairs)
        return (
            f"ExperimentResult(engine={self.engine!r}, data={self.data.name!r}, "
            f"networks={list(self.trajectories)}, pairs=[{pairs}])"
        )

    def _repr_html_(self) -> str:
        """Notebooks show the networks, the verdicts and the answers' headlines."""
        from softlogit._report._notebook import result_html

        return result_html(self)

    def plot(self) -> Figure:
        """The training loss of every network against the step (the report's figure).

        Returns
        -------
        matplotlib.figure.Figure
        """
        from softlogit._report._notebook import loss_plot

        return loss_plot(self)

    def plot_differences(self) -> Figure:
        """The largest difference of each pair against the step, on a log scale.

        Returns
        -------
        matplotlib.figure.Figure
        """
        from softlogit._report._notebook import difference_plot

        return difference_plot(self)

    def summary(self) -> str:
        """A plain-text summary: networks, verdicts with their theorems, answers.

        Examples
        --------
        >>> from softlogit.experiment import ExperimentSpec, run_experiment
        >>> spec = ExperimentSpec().replace(steps=20, hidden=(4,), networks=("0", "2"))
        >>> print(run_experiment(spec).summary())  # doctest: +ELLIPSIS
        breast_cancer: 426 training, 143 test samples, 2 classes; numpy engine, ...
        network 0: 2 units, P(y=1) = sigmoid(z2 - z1); final train loss ...
        network 2: 2 units, P = softmax(z1, z2); final train loss ...
        0 vs 2: identical up to rounding [T4; the theory predicts it] ...
        """
        tr = self.spec.training
        d = self.data
        lines = [
            f"{d.name}: {d.n_train} training, {d.n_test} test samples, "
            f"{d.n_classes} classes; {self.engine} engine, {tr.optimizer} "
            f"(lr {tr.lr:g}), {tr.steps} steps, {tr.dtype}"
        ]
        for name, t in self.trajectories.items():
            end = f"; {t.message}" if t.diverged else ""
            lines.append(
                f"network {name}: {t.description}; final train loss "
                f"{float(t.train_loss[-1]):.6g}{end}"
            )
        for p in self.pairs:
            if p.agrees_with_theory is None:
                note = "no exact prediction: measured"
            elif p.agrees_with_theory:
                note = "the theory predicts it"
            else:
                note = f"the theory predicts {p.expected}"
            gap = max(p.max("base_max_rel"), p.max("head_max_rel"))
            lines.append(
                f"{p.name}: {p.verdict} [{p.theorem}; {note}] largest relative "
                f"weight gap {gap:.3g} (threshold {p.threshold:.3g})"
            )
        for c in self.conserved:
            lines.append(f"network {c.network}, w1 + w2 and b1 + b2 (T3): {c.verdict}")
        for h in self.head_movements:
            pred = "" if h.predicted is None else f", predicted {h.predicted:g}"
            lines.append(
                f"first-step head movement {h.left} / {h.right} (T5): "
                f"{h.ratio:.6f}{pred}"
            )
        for key, text in self.answers.items():
            lines.append(f"{key}: {text}")
        return "\n".join(lines)

    # -- export ------------------------------------------------------------------

    def to_frame(self) -> pd.DataFrame:
        """All per-step figures as a long ("tidy") pandas DataFrame.

        Columns: ``kind`` (``'network'``, ``'pair'``, ``'conserved'``), ``subject``
        (network name, ``'<left> vs <right>'``, or the network of the conserved sum),
        ``step`` (int), ``metric`` and ``value`` (float). Network metrics are
        ``train_loss`` and ``test_loss``; pair metrics are those of
        :class:`PairComparison`; conserved-sum metrics are ``drift`` and, where
        predicted, ``deviation``.
        """
        import pandas as pd

        frames: list[pd.DataFrame] = []

        def add(kind: str, subject: str, steps: IntArray, metric: str, v: Any) -> None:
            frames.append(
                pd.DataFrame(
                    {
                        "kind": kind,
                        "subject": subject,
                        "step": np.asarray(steps, dtype=np.int64),
                        "metric": metric,
                        "value": np.asarray(v, dtype=np.float64),
                    }
                )
            )

        for name, t in self.trajectories.items():
            add("network", name, t.steps, "train_loss", t.train_loss)
            add("network", name, t.steps, "test_loss", t.test_loss)
        for p in self.pairs:
            for metric, values in p.metrics.items():
                add("pair", p.name, p.steps, metric, values)
        for c in self.conserved:
            add("conserved", c.network, c.steps, "drift", c.drift)
            if c.deviation is not None:
                add("conserved", c.network, c.steps, "deviation", c.deviation)
        if not frames:
            return pd.DataFrame(columns=["kind", "subject", "step", "metric", "value"])
        out = pd.concat(frames, ignore_index=True)
        for col in ("kind", "subject", "metric"):
            out[col] = out[col].astype("string")
        return out

    def to_json_dict(self) -> dict[str, Any]:
        """Every figure of the result as JSON-compatible data (no large arrays).

        Keys: ``format_version``, ``engine``, ``spec`` (nested, see
        :meth:`ExperimentSpec.to_dict`), ``data``, ``networks`` (list of
        :meth:`Trajectory.to_json_dict`), ``pairs``, ``conserved``,
        ``head_movements``, ``answers``, ``timings``, ``versions``. NaN and infinite
        values are written as ``null``.
        """
        return {
            "format_version": FORMAT_VERSION,
            "engine": self.engine,
            "spec": self.spec.to_dict(),
            "data": self.data.to_json_dict(),
            "networks": [t.to_json_dict() for t in self.trajectories.values()],
            "pairs": [p.to_json_dict() for p in self.pairs],
            "conserved": [c.to_json_dict() for c in self.conserved],
            "head_movements": [h.to_json_dict() for h in self.head_movements],
            "answers": dict(self.answers),
            "timings": dict(self.timings),
            "versions": dict(self.versions),
        }

    def _arrays(self) -> dict[str, np.ndarray]:
        arrays: dict[str, np.ndarray] = {}
        for name, t in self.trajectories.items():
            pre = f"network/{name}/"
            arrays[pre + "steps"] = np.asarray(t.steps, dtype=np.int64)
            arrays[pre + "train_loss"] = t.train_loss
            arrays[pre + "test_loss"] = t.test_loss
            arrays[pre + "proba_train"] = t.proba_train
            arrays[pre + "proba_test"] = t.proba_test
            for split in ("train", "test"):
                acc = getattr(t, f"{split}_accuracy")
                if acc is not None:
                    arrays[pre + f"{split}_accuracy"] = acc
            for key, value in t.params.items():
                arrays[pre + "param/" + key] = value
        for i, p in enumerate(self.pairs):
            for key, value in p.metrics.items():
                arrays[f"pair/{i}/{key}"] = value
        for c in self.conserved:
            pre = f"conserved/{c.network}/"
            arrays[pre + "weight_sum"] = c.weight_sum
            arrays[pre + "bias_sum"] = c.bias_sum
            arrays[pre + "drift"] = c.drift
            if c.predicted_weight_sum is not None:
                arrays[pre + "predicted_weight_sum"] = c.predicted_weight_sum
            if c.predicted_bias_sum is not None:
                arrays[pre + "predicted_bias_sum"] = c.predicted_bias_sum
            if c.deviation is not None:
                arrays[pre + "deviation"] = c.deviation
        return arrays

    def write_files(self, directory: str | Path) -> None:
        """Write ``result.json`` and ``arrays.npz`` into an existing ``directory``.

        Overwrites those two files; used by :meth:`save` and by reports that build
        their own output directory.
        """
        d = Path(directory)
        text = json.dumps(self.to_json_dict(), indent=2, allow_nan=False)
        (d / RESULT_JSON).write_text(text + "\n", encoding="utf-8")
        buf = io.BytesIO()
        np.savez_compressed(buf, **self._arrays())  # type: ignore[arg-type]
        (d / ARRAYS_NPZ).write_bytes(buf.getvalue())

    def save(self, directory: str | Path, *, force: bool = False) -> Path:
        """Save to ``directory`` (created atomically): ``result.json`` + ``arrays.npz``.

        Parameters
        ----------
        directory : str or path
            Output directory. An existing one is replaced only if it is an earlier
            saved result or ``force`` is true.
        force : bool, default=False
            Replace any existing directory.

        Returns
        -------
        Path
            The directory.
        """
        with atomic_directory(
            directory, force=force, marker=MARKER, name="directory"
        ) as tmp:
            self.write_files(tmp)
        return Path(directory)

    @classmethod
    def load(cls, directory: str | Path) -> ExperimentResult:
        """Load a result written by :meth:`save` (no pickle; validated).

        Raises
        ------
        FileNotFoundError
            If ``result.json`` or ``arrays.npz`` is missing.
        InputValueError
            If the files are malformed, of another format version, or inconsistent
            (a ``ValueError``).
        """
        d = Path(directory)
        for fname in (RESULT_JSON, ARRAYS_NPZ):
            if not (d / fname).is_file():
                raise FileNotFoundError(
                    f"`directory` {str(d)!r} has no {fname}; is it a saved result?"
                )
        try:
            meta = json.loads((d / RESULT_JSON).read_text(encoding="utf-8"))
        except (ValueError, RecursionError) as exc:  # not UTF-8, not JSON, too deep
            raise InputValueError(
                f"{str(d / RESULT_JSON)!r} is not valid JSON: {_describe(exc)}"
            ) from None
        if not isinstance(meta, dict) or meta.get("format_version") != FORMAT_VERSION:
            got = meta.get("format_version") if isinstance(meta, dict) else None
            raise InputValueError(
                f"{str(d / RESULT_JSON)!r} must have format_version {FORMAT_VERSION}; "
                f"got {got!r}."
            )
        arrays = _SavedArrays(_read_npz(d / ARRAYS_NPZ))
        try:
            return cls._from_parts(meta, arrays)
        except InputValueError:
            raise
        except (
            KeyError,
            TypeError,
            IndexError,
            ValueError,
            AttributeError,
            OverflowError,
            RecursionError,
        ) as exc:
            # result.json is untrusted data: a field of the wrong type or shape
            raise InputValueError(
                f"saved result in {str(d)!r} is incomplete or malformed: "
                f"{_describe(exc)}"
            ) from None

    @classmethod
    def _from_parts(
        cls, meta: dict[str, Any], arrays: _SavedArrays
    ) -> ExperimentResult:
        trajectories = [_load_trajectory(t, arrays) for t in meta["networks"]]
        return cls(
            spec=ExperimentSpec.from_dict(meta["spec"]),
            engine=str(meta["engine"]),
            data=DataInfo.from_json_dict(meta["data"]),
            trajectories={t.name: t for t in trajectories},
            pairs=[_load_pair(i, p, arrays) for i, p in enumerate(meta["pairs"])],
            conserved=[_load_conserved(c, arrays) for c in meta["conserved"]],
            head_movements=[_load_movement(h) for h in meta["head_movements"]],
            answers={str(k): str(v) for k, v in meta["answers"].items()},
            timings={str(k): float(v) for k, v in meta["timings"].items()},
            versions={str(k): str(v) for k, v in meta["versions"].items()},
        )


def _describe(exc: BaseException) -> str:
    """``exc`` in one bounded line: its type and the start of its message."""
    text = " ".join(str(exc).split())
    if len(text) > 200:
        text = text[:197] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    """The arrays of an NPZ file, read without pickle and without trusting sizes.

    Each member's header is read first: an array larger than the member's declared
    uncompressed size is refused before it is allocated, so what is allocated is
    bounded by what the file holds (deflate expands at most about 1000-fold).

    Raises
    ------
    InputValueError
        If the file is not a ZIP archive of ``.npy`` members with numeric arrays of
        their declared sizes (corrupt, truncated, encrypted, pickled objects).
    """
    import zipfile
    import zlib

    fmt = np.lib.format
    where = repr(str(path))
    arrays: dict[str, np.ndarray] = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if not info.filename.endswith(".npy"):
                    raise InputValueError(
                        f"{where} holds {info.filename!r}, which is not an array "
                        "(.npy)."
                    )
                with archive.open(info) as fh:
                    shape, dtype = _npy_header(fh, where, info.filename)
                if dtype.hasobject or dtype.kind not in "biuf":
                    raise InputValueError(
                        f"{where} entry {info.filename!r} has dtype {dtype}; saved "
                        "results hold numbers only."
                    )
                size = math.prod(shape) * dtype.itemsize
                if size > info.file_size:
                    raise InputValueError(
                        f"{where} entry {info.filename!r} declares {size} bytes of "
                        f"data in a member of {info.file_size} bytes."
                    )
                with archive.open(info) as fh:
                    arrays[info.filename[:-4]] = fmt.read_array(fh, allow_pickle=False)
    except InputValueError:
        raise
    except (
        zipfile.BadZipFile,
        zlib.error,
        ValueError,
        OSError,
        EOFError,
        NotImplementedError,  # a compression method zipfile lacks
        RuntimeError,  # an encrypted member
    ) as exc:
        raise InputValueError(
            f"{where} is not a valid NPZ file: {_describe(exc)}"
        ) from None
    return arrays


def _npy_header(fh: Any, where: str, member: str) -> tuple[tuple[int, ...], np.dtype]:
    """The shape and dtype of the ``.npy`` member open in ``fh``.

    NumPy parses the header as a Python literal (``tokenize``, ``ast``): what a
    corrupt header makes it raise is not a fixed list, so any failure is reported
    as a corrupt member.
    """
    fmt = np.lib.format
    try:
        version = fmt.read_magic(fh)
        if version == (1, 0):
            shape, _, dtype = fmt.read_array_header_1_0(fh)
        else:
            shape, _, dtype = fmt.read_array_header_2_0(fh)
    except Exception as exc:
        raise InputValueError(
            f"{where} is not a valid NPZ file: the header of {member!r} is corrupt "
            f"({_describe(exc)})."
        ) from None
    return tuple(shape), dtype


class _SavedArrays:
    """The arrays of ``arrays.npz``, fetched with a check of rank, kind and shape."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self._arrays = arrays

    def get(
        self,
        key: str,
        ndim: int,
        kind: str = "f",
        shape: tuple[int, ...] | None = None,
    ) -> np.ndarray:
        """The array ``key``: ``ndim``-D, of a dtype kind in ``kind``, of ``shape``."""
        if key not in self._arrays:
            raise InputValueError(f"arrays.npz lacks {key!r}.")
        a = self._arrays[key]
        if a.ndim != ndim or a.dtype.kind not in kind:
            raise InputValueError(
                f"arrays.npz entry {key!r} must be a {ndim}-D "
                f"{'float' if kind == 'f' else 'int'} array; got {a.ndim}-D {a.dtype}."
            )
        if shape is not None and a.shape != shape:
            raise InputValueError(
                f"arrays.npz entry {key!r} must have shape {shape}; got {a.shape}."
            )
        return a

    def optional_records(self, key: str, n: int) -> np.ndarray | None:
        """A 1-D per-record array ``key``, or None if the file predates it."""
        return self.records(key, 1, n) if key in self._arrays else None

    def records(self, key: str, ndim: int, n: int) -> np.ndarray:
        """A per-record array ``key`` with ``n`` records (its first axis)."""
        a = self.get(key, ndim)
        if a.shape[0] != n:
            raise InputValueError(
                f"arrays.npz entry {key!r} must have {n} records; got {a.shape[0]}."
            )
        return a


def _load_trajectory(t: Mapping[str, Any], arrays: _SavedArrays) -> Trajectory:
    name = str(t["name"])
    pre = f"network/{name}/"
    steps = arrays.get(pre + "steps", 1, "iu")
    n = steps.shape[0]
    params = {
        key: arrays.get(pre + "param/" + key, 1 + len(shape), shape=(n, *shape))
        for key, shape in t["param_shapes"].items()
    }
    return Trajectory(
        name=name,
        description=str(t["description"]),
        head=str(t["head"]),
        steps=steps,
        train_loss=arrays.records(pre + "train_loss", 1, n),
        test_loss=arrays.records(pre + "test_loss", 1, n),
        params=params,
        proba_train=arrays.records(pre + "proba_train", 3, n),
        proba_test=arrays.records(pre + "proba_test", 3, n),
        head_lr_multiplier=float(t["head_lr_multiplier"]),
        head_weight_decay_multiplier=float(t["head_weight_decay_multiplier"]),
        preconditioned=bool(t["preconditioned"]),
        diverged_at=None if t["diverged_at"] is None else int(t["diverged_at"]),
        message=t["message"],
        seconds=float(t["seconds"]),
        loss_path=None
        if t.get("loss_path") is None
        else LossPath.from_json_dict(t["loss_path"]),
        notes=tuple(str(n) for n in t.get("notes", ())),
        train_accuracy=arrays.optional_records(pre + "train_accuracy", n),
        test_accuracy=arrays.optional_records(pre + "test_accuracy", n),
    )


def _load_pair(i: int, p: Mapping[str, Any], arrays: _SavedArrays) -> PairComparison:
    missing = [m for m in PAIR_METRICS if m not in p["metrics"]]
    if missing:  # the verdicts, answers and summaries read every metric
        raise InputValueError(f"saved pair {i} lacks the metrics {missing}.")
    steps = np.asarray(p["steps"], dtype=np.int64)
    return PairComparison(
        left=str(p["left"]),
        right=str(p["right"]),
        steps=steps,
        metrics={
            k: arrays.get(f"pair/{i}/{k}", 1, shape=steps.shape) for k in p["metrics"]
        },
        verdict=p["verdict"],
        expected=p["expected"],
        theorem=str(p["theorem"]),
        derivation_step=str(p["derivation_step"]),
        explanation=str(p["explanation"]),
        threshold=float(p["threshold"]),
        function_threshold=float(p["function_threshold"]),
        loss_path_note=str(p.get("loss_path_note", "")),
        loss_paths=tuple(str(k) for k in p.get("loss_paths", ())),
        clip_rows=int(p.get("clip_rows", 0)),
    )


def _load_conserved(c: Mapping[str, Any], arrays: _SavedArrays) -> ConservedSum:
    pre = f"conserved/{c['network']}/"
    has = bool(c["has_prediction"])
    return ConservedSum(
        network=str(c["network"]),
        steps=np.asarray(c["steps"], dtype=np.int64),
        weight_sum=arrays.get(pre + "weight_sum", 2),
        bias_sum=arrays.get(pre + "bias_sum", 1),
        drift=arrays.get(pre + "drift", 1),
        predicted_weight_sum=arrays.get(pre + "predicted_weight_sum", 2)
        if has
        else None,
        predicted_bias_sum=arrays.get(pre + "predicted_bias_sum", 1) if has else None,
        deviation=arrays.get(pre + "deviation", 1) if has else None,
        verdict=str(c["verdict"]),
        explanation=str(c["explanation"]),
        threshold=float(c["threshold"]),
        theorem=str(c["theorem"]),
        derivation_step=str(c["derivation_step"]),
    )


def _load_movement(h: Mapping[str, Any]) -> HeadMovement:
    return HeadMovement(
        left=str(h["left"]),
        right=str(h["right"]),
        ratio=float("nan") if h["ratio"] is None else float(h["ratio"]),
        predicted=None if h["predicted"] is None else float(h["predicted"]),
        explanation=str(h["explanation"]),
        theorem=str(h["theorem"]),
        derivation_step=str(h["derivation_step"]),
    )
