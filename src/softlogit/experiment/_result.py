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
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from softlogit._io import atomic_directory
from softlogit._json import to_jsonable
from softlogit._typing import FloatArray, IntArray
from softlogit.errors import InputValueError
from softlogit.experiment._answers import Answer, answer_questions
from softlogit.experiment._comparisons import (
    ConservedSum,
    HeadMovement,
    PairComparison,
)
from softlogit.experiment._loss_path import LossPath
from softlogit.experiment._spec import ExperimentSpec

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


@dataclass(frozen=True)
class DataInfo:
    """What the networks were trained on.

    Attributes
    ----------
    name : str
        Data set name (``'breast_cancer'``, ..., or the CSV path).
    n_train, n_test, n_features, n_classes : int
        Sizes after the split.
    classes : tuple of str
        Class labels in the order of the probability columns (class 0 first).
    feature_names : tuple of str
        Column names of the features.
    """

    name: str
    n_train: int
    n_test: int
    n_features: int
    n_classes: int
    classes: tuple[str, ...]
    feature_names: tuple[str, ...]

    def to_json_dict(self) -> dict[str, Any]:
        """A JSON-compatible dict."""
        return {
            "name": self.name,
            "n_train": self.n_train,
            "n_test": self.n_test,
            "n_features": self.n_features,
            "n_classes": self.n_classes,
            "classes": list(self.classes),
            "feature_names": list(self.feature_names),
        }

    @classmethod
    def from_json_dict(cls, d: Mapping[str, Any]) -> DataInfo:
        """Inverse of :meth:`to_json_dict`."""
        return cls(
            name=str(d["name"]),
            n_train=int(d["n_train"]),
            n_test=int(d["n_test"]),
            n_features=int(d["n_features"]),
            n_classes=int(d["n_classes"]),
            classes=tuple(str(c) for c in d["classes"]),
            feature_names=tuple(str(c) for c in d["feature_names"]),
        )


@dataclass(repr=False)
class Trajectory:
    """The training record of one network.

    Attributes
    ----------
    name : str
        Network name (``'0'``, ``'1'``, ``'2'``, ``'1c'``, ``'softmax'``,
        ``'reference'``, ``'reference-P'``).
    description : str
        One line: the head and how it is trained.
    head : {'difference', 'sigmoid', 'softmax', 'reference'}
        Head kind: two units read as ``sigmoid(z2 - z1)`` (network 0); one sigmoid
        unit (network 1); K softmax units (network 2, ``'softmax'``); K-1 units with
        class 0's logit fixed at 0 (``'reference'``; for K = 2 the same as one
        sigmoid unit).
    steps : ndarray of int of shape (n_records,)
        The recorded optimizer steps (0 is the initialization).
    train_loss, test_loss : ndarray of shape (n_records,)
        Mean cross-entropy on the training and test splits at those steps (NaN
        after a divergence).
    params : dict of str to ndarray of shape (n_records, ...)
        Every parameter array over the recorded steps, PyTorch layout:
        ``'base.{i}.weight'`` (out, in), ``'base.{i}.bias'``, ``'head.weight'``
        (n_units, n_last), ``'head.bias'`` (n_units,).
    proba_train, proba_test : ndarray of shape (n_records, n_samples, n_classes)
        Predicted class probabilities.
    head_lr_multiplier, head_weight_decay_multiplier : float
        The head's factors on the spec's rate and decay (2 and 1/2 for network 1c).
    preconditioned : bool
        Whether the head's loss gradient is multiplied by P = I + 11^T.
    diverged_at : int or None
        The step at which the loss became NaN or infinite (the run stopped there).
    message : str or None
        Explanation of the divergence.
    seconds : float
        Wall-clock training time.
    loss_path : LossPath or None
        For networks written as a learner writes them in Keras (engine
        ``'keras-fit'``): which loss Keras computed (from the cached logits, or from
        clipped probabilities) and how that was detected; ``None`` where the loss is
        computed from logits by construction.
    notes : tuple of str
        What the engine found about this run that the reader should know (e.g. a
        backend computing float64 products in float32).
    train_accuracy, test_accuracy : ndarray of shape (n_records,) or None
        Fraction of samples whose most probable class is their label, at the
        recorded steps (``None`` in results saved before it was recorded).
    """

    name: str
    description: str
    head: str
    steps: IntArray
    train_loss: FloatArray
    test_loss: FloatArray
    params: dict[str, FloatArray]
    proba_train: FloatArray
    proba_test: FloatArray
    head_lr_multiplier: float = 1.0
    head_weight_decay_multiplier: float = 1.0
    preconditioned: bool = False
    diverged_at: int | None = None
    message: str | None = None
    seconds: float = 0.0
    loss_path: LossPath | None = None
    notes: tuple[str, ...] = ()
    train_accuracy: FloatArray | None = None
    test_accuracy: FloatArray | None = None

    @property
    def diverged(self) -> bool:
        """Whether the run stopped because the loss became NaN or infinite."""
        return self.diverged_at is not None

    def __repr__(self) -> str:
        end = f", diverged at step {self.diverged_at}" if self.diverged else ""
        return (
            f"Trajectory(name={self.name!r}, head={self.head!r}, "
            f"steps={int(self.steps[-1]) if self.n_records else 0}, "
            f"records={self.n_records}, final_train_loss="
            f"{float(self.train_loss[-1]) if self.n_records else float('nan'):.6g}{end})"
        )

    @property
    def n_records(self) -> int:
        """Number of recorded steps."""
        return int(self.steps.shape[0])

    def to_json_dict(self) -> dict[str, Any]:
        """The scalar and per-step figures (not the parameter/probability arrays).

        ``loss_path`` and ``notes`` appear only when set (documents of engines
        without them read back unchanged).
        """
        out: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "head": self.head,
            "steps": [int(s) for s in self.steps],
            "train_loss": to_jsonable(self.train_loss),
            "test_loss": to_jsonable(self.test_loss),
            "final_train_loss": to_jsonable(self.train_loss[-1]),
            "final_test_loss": to_jsonable(self.test_loss[-1]),
            "param_shapes": {k: list(v.shape[1:]) for k, v in self.params.items()},
            "head_lr_multiplier": self.head_lr_multiplier,
            "head_weight_decay_multiplier": self.head_weight_decay_multiplier,
            "preconditioned": self.preconditioned,
            "diverged": self.diverged,
            "diverged_at": self.diverged_at,
            "message": self.message,
            "seconds": self.seconds,
            **self._accuracy_json(),
        }
        if self.loss_path is not None:
            out["loss_path"] = self.loss_path.to_json_dict()
        if self.notes:
            out["notes"] = list(self.notes)
        return out

    def _accuracy_json(self) -> dict[str, Any]:
        """The accuracies, where recorded (older results lack them)."""
        out: dict[str, Any] = {}
        for split in ("train", "test"):
            acc = getattr(self, f"{split}_accuracy")
            if acc is not None:
                out[f"{split}_accuracy"] = to_jsonable(acc)
                out[f"final_{split}_accuracy"] = (
                    to_jsonable(acc[-1]) if acc.size else None
                )
        return out


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
        except json.JSONDecodeError as exc:
            raise InputValueError(
                f"{str(d / RESULT_JSON)!r} is not valid JSON: {exc}"
            ) from None
        if not isinstance(meta, dict) or meta.get("format_version") != FORMAT_VERSION:
            got = meta.get("format_version") if isinstance(meta, dict) else None
            raise InputValueError(
                f"{str(d / RESULT_JSON)!r} must have format_version {FORMAT_VERSION}; "
                f"got {got!r}."
            )
        try:
            with np.load(d / ARRAYS_NPZ, allow_pickle=False) as npz:
                arrays = _SavedArrays({k: npz[k] for k in npz.files})
        except (ValueError, OSError) as exc:
            raise InputValueError(
                f"{str(d / ARRAYS_NPZ)!r} is not a valid NPZ file: {exc}"
            ) from None
        try:
            return cls._from_parts(meta, arrays)
        except (KeyError, TypeError, IndexError) as exc:
            raise InputValueError(
                f"saved result in {str(d)!r} is incomplete or malformed: {exc!r}"
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
