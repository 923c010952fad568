"""The theorems T1-T8 the product demonstrates, and the derivation step of each.

Plain data at the bottom of the layers, so that the experiment (which checks them
numerically), the derivation (which proves them) and the reports (which cite them)
read one table. The experiment re-exports both names
(``softlogit.experiment.THEOREMS``).
"""

from __future__ import annotations

__all__ = ["THEOREMS", "THEOREM_STEPS"]

#: theorem label -> id of the derivation step that proves it (``softlogit derive``)
THEOREM_STEPS: dict[str, str] = {
    "T1": "shift-invariance",
    "T2": "same-loss",
    "T3": "gradients",
    "T4": "linear-heads",
    "T5": "training-dynamics",
    "T6": "training-dynamics",
    "T7": "penalties",
    "T8": "gauge",
}

#: theorem label -> the theorem in one line
THEOREMS: dict[str, str] = {
    "T1": "shift invariance: softmax(z + c) = softmax(z); so softmax(z1, z2)_2 = "
    "sigmoid(z2 - z1)",
    "T2": "the softmax and binary cross-entropies are the same loss",
    "T3": "the loss gradient of the softmax rows sums to zero",
    "T4": "networks 0 and 2 compute the same function of the same parameters",
    "T5": "the head difference w2 - w1 moves twice as far per step as w",
    "T6": "a K-unit softmax head is a reference head trained with P = I + 11^T",
    "T7": "an L2 penalty lambda on the softmax is lambda/2 on the logistic model",
    "T8": "softmax weights are identified only up to a gauge",
}
