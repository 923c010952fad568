r"""Which loss a Keras model written as a learner writes it really computed.

A Keras model that ends in a softmax or a sigmoid, compiled with
``loss="categorical_crossentropy"`` or ``"binary_crossentropy"``
(``from_logits=False``), computes its loss in one of two ways, chosen by Keras and
its backend, not by the learner:

- **logits**: the TensorFlow backend finds the logits the activation cached on its
  output (``_keras_logits``, or the input of a ``Softmax``/``Sigmoid`` op in a
  graph) and computes the loss from them, exactly as with ``from_logits=True``;
- **clipped**: otherwise (the PyTorch and JAX backends always) the loss is
  :math:`-\log` of the probabilities clipped to
  :math:`[\epsilon, 1 - \epsilon]` (``keras.config.epsilon()``, default
  :math:`10^{-7}`). The clip has zero derivative outside the bounds, so a row whose
  true-class probability is above :math:`1 - \epsilon` (confidently right) or below
  :math:`\epsilon` (confidently wrong) contributes *no* gradient, and the gradient
  of a nearly certain row, computed through probabilities close to 1, loses digits.

The path is detected, not assumed (:class:`LossPath` holds the evidence): the
engine trains a copy of the model, built by the same code and compiled with the
same loss, for one SGD step of rate 1 on one row that its head puts at probability
:math:`e^{-30}` for the true class, from a zero head kernel. On the logits path the
head kernel moves by :math:`-a (p - y)^T` (:math:`a` the row's last hidden
activations), on the clipped path it does not move at all.

:func:`loss_path_text` explains a pair of trajectories in these terms: which path
each network took and which training rows were beyond the bounds at the recorded
steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from softlogit._typing import FloatArray

__all__ = ["FLOAT32_OPS", "LossPath", "clipped_rows", "loss_path_text"]

#: the words a trajectory note uses when a framework computed float64 in float32
FLOAT32_OPS = "float64 operations in float32"

_PATH_WORDS = {
    "logits": "from the cached logits (as with from_logits=True)",
    "clipped": "from probabilities clipped to [{lo:g}, 1 − {lo:g}]",
    "undetermined": "by a path the probe could not determine",
}


@dataclass(frozen=True)
class LossPath:
    """How a Keras model's loss was computed, and how that was found out.

    Attributes
    ----------
    kind : {'logits', 'clipped', 'undetermined'}
        The detected path.
    epsilon : float
        Keras' clipping bound ``keras.config.epsilon()`` at the run.
    code : str
        The learner's head and loss, e.g. ``"Dense(2, activation='softmax'),
        loss='categorical_crossentropy'"``.
    fix : str
        The one-line change that makes the loss exact (from logits), or ``""`` when
        the model already computes it from logits by construction.
    evidence : str
        What the probe measured.
    """

    kind: str
    epsilon: float
    code: str
    fix: str
    evidence: str

    def words(self) -> str:
        """``'from probabilities clipped to [1e-07, 1 − 1e-07]'`` and the like."""
        return _PATH_WORDS[self.kind].format(lo=self.epsilon)

    def to_json_dict(self) -> dict[str, Any]:
        """A JSON-compatible dict."""
        return {
            "kind": self.kind,
            "epsilon": self.epsilon,
            "code": self.code,
            "fix": self.fix,
            "evidence": self.evidence,
        }

    @classmethod
    def from_json_dict(cls, d: dict[str, Any]) -> LossPath:
        """Inverse of :meth:`to_json_dict`."""
        return cls(
            kind=str(d["kind"]),
            epsilon=float(d["epsilon"]),
            code=str(d["code"]),
            fix=str(d["fix"]),
            evidence=str(d["evidence"]),
        )


def clipped_rows(proba: FloatArray, y: Any, epsilon: float) -> npt.NDArray[np.bool_]:
    """Which rows a clipped loss gives no gradient, at every recorded step.

    Parameters
    ----------
    proba : ndarray of shape (n_records, n_samples, n_classes)
        Predicted probabilities.
    y : array-like of int of shape (n_samples,)
        True classes.
    epsilon : float
        The clipping bound.

    Returns
    -------
    ndarray of bool of shape (n_records, n_samples)
        True where the true class's probability is outside ``[epsilon, 1 -
        epsilon]``.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([[[1e-9, 1 - 1e-9], [0.3, 0.7], [1 - 1e-9, 1e-9]]])
    >>> clipped_rows(p, [1, 1, 1], 1e-7).tolist()
    [[True, False, True]]
    """
    p = np.asarray(proba, dtype=np.float64)
    labels = np.asarray(y, dtype=np.intp)
    p_true = np.take_along_axis(p, labels[None, :, None], axis=2)[..., 0]
    out: npt.NDArray[np.bool_] = (p_true > 1.0 - epsilon) | (p_true < epsilon)
    return out


def _rows_text(name: str, rows: npt.NDArray[np.bool_], steps: Any) -> str:
    """``"network 2: up to 12 rows (first at recorded step 300: rows 4, 9, 17)"``."""
    counts = rows.sum(axis=1)
    if not counts.any():
        return f"network {name}: no training row at the recorded steps"
    first = int(np.argmax(counts > 0))
    listed = np.flatnonzero(rows[first])
    shown = ", ".join(str(int(i)) for i in listed[:8])
    more = f" and {listed.size - 8} more" if listed.size > 8 else ""
    return (
        f"network {name}: up to {int(counts.max())} training rows (first at "
        f"recorded step {int(steps[first])}: row{'s' if listed.size > 1 else ''} "
        f"{shown}{more})"
    )


def loss_path_text(a: Any, b: Any, y_train: Any) -> tuple[str, int]:
    """The loss paths of two trajectories and the rows a clipped path affected.

    Parameters
    ----------
    a, b : Trajectory
        The two networks; their ``loss_path`` is ``None`` for engines that compute
        every loss from logits by construction.
    y_train : array-like of int of shape (n_train,) or None
        The training labels (``None``: rows are not counted).

    Returns
    -------
    text : str
        ``""`` when neither network has a detected path; otherwise one or more
        sentences, starting with a space.
    rows : int
        The largest number of training rows beyond the clipping bounds at a
        recorded step, in a network on the clipped path (0: the clip took no
        gradient away at the recorded steps).
    """
    pa, pb = a.loss_path, b.loss_path
    if pa is None and pb is None:
        return "", 0
    paths = {a.name: pa, b.name: pb}
    described = "; ".join(
        f"network {n} " + (p.words() if p is not None else "from logits")
        for n, p in paths.items()
    )
    text = f" Loss paths (detected): {described}."
    clipped = [
        (t, p) for t, p in ((a, pa), (b, pb)) if p is not None and p.kind == "clipped"
    ]
    if not clipped or y_train is None:
        return text, 0
    eps = clipped[0][1].epsilon
    beyond = [(t, clipped_rows(t.proba_train, y_train, p.epsilon)) for t, p in clipped]
    n_rows = max(int(r.sum(axis=1).max(initial=0)) for _, r in beyond)
    bounds = f"[{eps:g}, 1 − {eps:g}]"
    if n_rows == 0:
        return (
            text + f" No training row's true-class probability left {bounds} at the "
            "recorded steps, so the clip took no gradient away.",
            0,
        )
    rows = "; ".join(_rows_text(t.name, r, t.steps) for t, r in beyond)
    if len(clipped) == 1:
        text += (
            " The two networks took different loss paths: on the clipped path a row "
            f"whose true-class probability is outside {bounds} contributes no "
            "gradient, on the logits path it does, so from the first such row on "
            "the trajectories part although the theory makes them equal. Rows "
            f"beyond the bounds: {rows}."
        )
    else:
        text += (
            " Both networks took the clipped path: rows beyond the bounds give no "
            "gradient in either (the same rows in exact arithmetic, since both "
            "compute the same probabilities), but a row can cross a bound one step "
            "earlier in one network than in the other, and through probabilities "
            "the gradient of a nearly certain row loses digits. Rows beyond the "
            f"bounds: {rows}."
        )
    return text, n_rows


def probe_prediction(
    head: str, activations: FloatArray, logits: FloatArray, label: int, k: int
) -> FloatArray:
    """The head kernel's change (Keras layout) after one SGD step of rate 1 on one
    row, on the logits path (from a zero kernel); the clipped path predicts zero.

    Parameters
    ----------
    head : str
        The head kind.
    activations : ndarray of shape (n_last,)
        The row's last hidden activations (its features without hidden layers).
    logits : ndarray of shape (units,)
        The head's outputs for the row (its bias, since the kernel is zero).
    label : int
        The row's class.
    k : int
        Number of classes.
    """
    from softlogit.experiment._networks import logit_grad

    z = np.asarray(logits, dtype=np.float64)[None, :]
    if head in ("difference", "sigmoid"):
        target = np.array([float(label)])
    else:
        target = np.eye(k)[[label]]
    g = logit_grad(head, z, target)
    out: FloatArray = -np.outer(np.asarray(activations, dtype=np.float64), g[0])
    return out
