"""The records of one experiment: the data's description and each network's trajectory.

Parts of :class:`softlogit.experiment.ExperimentResult` (saved with it in
``result.json`` and ``arrays.npz``); every engine builds its :class:`Trajectory`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from softlogit._json import to_jsonable
from softlogit._typing import FloatArray, IntArray
from softlogit.experiment._loss_path import LossPath

__all__ = ["DataInfo", "Trajectory"]


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
