"""softlogit: softmax regression, logistic regression and the exact bridge between them.

For two classes, ``softmax([z1, z2])[1] == sigmoid(z2 - z1)``: softmax regression
generalizes logistic regression. softlogit provides stable functions on logits, losses,
parametrizations with explicit gauges and exact conversions between them, estimators,
the seed experiment (networks 0, 1, 2) and a machine-checked derivation.

Only NumPy is imported eagerly; everything else loads on first use.
"""

# No `from __future__ import annotations` and private aliases for the modules used
# here: every public name of this namespace is in __all__ (a test checks it).
import importlib as _importlib
from typing import Any as _Any

from softlogit._special import (
    binary_cross_entropy,
    log_sigmoid,
    log_softmax,
    logsumexp,
    sigmoid,
    softmax,
    softmax_cross_entropy,
    softplus,
)

# Public names that live in modules with heavier imports: name -> module.
_LAZY: dict[str, str] = {
    "BinomialLoss": "softlogit._loss",
    "Derivation": "softlogit._derivation",
    "ExperimentResult": "softlogit.experiment",
    "ExperimentSpec": "softlogit.experiment",
    "HeadConversion": "softlogit._convert",
    "LinearModelLoss": "softlogit._linear_loss",
    "LogisticRegression": "softlogit._estimators",
    "LogisticRegressionCV": "softlogit._cv",
    "MultinomialLoss": "softlogit._loss",
    "ReferenceHead": "softlogit._heads",
    "RegularizationPath": "softlogit._path",
    "InputTypeError": "softlogit.errors",
    "InputValueError": "softlogit.errors",
    "MissingExtraError": "softlogit.errors",
    "SchedulerConnectionError": "softlogit.errors",
    "SchedulerLostError": "softlogit.errors",
    "SeparationError": "softlogit.errors",
    "SoftlogitError": "softlogit.errors",
    "WorkersLostError": "softlogit.errors",
    "SigmoidHead": "softlogit._heads",
    "SoftmaxHead": "softlogit._heads",
    "SoftmaxRegression": "softlogit._estimators",
    "SoftmaxRegressionCV": "softlogit._cv",
    "StandardizedModel": "softlogit._standardized",
    "Step": "softlogit._derivation",
    "StepCheck": "softlogit._derivation",
    "Summary": "softlogit._summary",
    "center": "softlogit._heads",
    "check_separation": "softlogit._separation",
    "convert_head": "softlogit._convert",
    "derivation": "softlogit._derivation",
    "from_reference": "softlogit._heads",
    "load_model": "softlogit._persistence",
    "regularization_path": "softlogit._path",
    "run_experiment": "softlogit.experiment",
    "sigmoid_C_l1_ratio_to_softmax": "softlogit._penalties",
    "sigmoid_C_to_softmax": "softlogit._penalties",
    "sigmoid_elastic_net_to_softmax": "softlogit._penalties",
    "sigmoid_penalty_to_softmax": "softlogit._penalties",
    "sigmoid_to_softmax": "softlogit._heads",
    "softmax_C_l1_ratio_to_sigmoid": "softlogit._penalties",
    "softmax_C_to_sigmoid": "softlogit._penalties",
    "softmax_elastic_net_to_sigmoid": "softlogit._penalties",
    "softmax_penalty_to_sigmoid": "softlogit._penalties",
    "softmax_to_sigmoid": "softlogit._heads",
    "to_gauge": "softlogit._heads",
    "to_reference": "softlogit._heads",
}

# Keep sorted; a test checks it. Lazily loaded names are listed too.
__all__ = [
    "BinomialLoss",
    "Derivation",
    "ExperimentResult",
    "ExperimentSpec",
    "HeadConversion",
    "InputTypeError",
    "InputValueError",
    "LinearModelLoss",
    "LogisticRegression",
    "LogisticRegressionCV",
    "MissingExtraError",
    "MultinomialLoss",
    "ReferenceHead",
    "RegularizationPath",
    "SchedulerConnectionError",
    "SchedulerLostError",
    "SeparationError",
    "SigmoidHead",
    "SoftlogitError",
    "SoftmaxHead",
    "SoftmaxRegression",
    "SoftmaxRegressionCV",
    "StandardizedModel",
    "Step",
    "StepCheck",
    "Summary",
    "WorkersLostError",
    "__version__",
    "binary_cross_entropy",
    "center",
    "check_separation",
    "convert_head",
    "derivation",
    "from_reference",
    "load_model",
    "log_sigmoid",
    "log_softmax",
    "logsumexp",
    "regularization_path",
    "run_experiment",
    "sigmoid",
    "sigmoid_C_l1_ratio_to_softmax",
    "sigmoid_C_to_softmax",
    "sigmoid_elastic_net_to_softmax",
    "sigmoid_penalty_to_softmax",
    "sigmoid_to_softmax",
    "softmax",
    "softmax_C_l1_ratio_to_sigmoid",
    "softmax_C_to_sigmoid",
    "softmax_cross_entropy",
    "softmax_elastic_net_to_sigmoid",
    "softmax_penalty_to_sigmoid",
    "softmax_to_sigmoid",
    "softplus",
    "to_gauge",
    "to_reference",
]


def __getattr__(name: str) -> _Any:
    if name == "__version__":
        from softlogit._version import version

        value = version()
        globals()[name] = value
        return value
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'softlogit' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
