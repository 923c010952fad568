"""Save and load fitted estimators as versioned JSON (never pickle).

A model file is a UTF-8 JSON object. Loading it executes no code: every field is
checked (type, shape, finiteness, allowed values) and anything unexpected is rejected
with a ``ValueError`` that names the field. Floats are written with Python's shortest
round-trip representation (``repr``), so they are read back bit for bit and a loaded
model's ``predict_proba`` equals the saved one's exactly.

Format ``softlogit.model``, version 2
-------------------------------------
=====================  ===============================================================
field                  content
=====================  ===============================================================
``format``             the string ``"softlogit.model"``
``format_version``     ``1``, or ``2`` for a file with a ``scaling``; files of a
                       newer version than this softlogit reads are refused
``softlogit_version``  the version of softlogit that wrote the file (informative)
``estimator``          ``"LogisticRegression"`` or ``"SoftmaxRegression"``
``params``             ``get_params()``: name -> JSON value; a non-finite float is
                       written ``{"float": "inf"}`` (also ``"-inf"``, ``"nan"``), a
                       dict (``class_weight``) ``{"dict": [[key, value], ...]}``
``classes``            ``{"dtype": D, "values": [...]}`` with ``D`` one of ``bool``,
                       ``int8`` .. ``int64``, ``uint8`` .. ``uint64``, ``float32``,
                       ``float64``, ``<U<n>`` (NumPy strings) or ``object`` (Python
                       strings); ``classes_`` is rebuilt with that dtype
``coef``               ``coef_`` as a list of rows of finite numbers, shape
                       ``(1, n_features)`` (logistic) or ``(n_classes, n_features)``
``intercept``          ``intercept_``, a list of finite numbers, one per row of ``coef``
``n_features_in``      an integer ``>= 1``, equal to the number of columns of ``coef``
``feature_names_in``   ``null`` or a list of ``n_features_in`` strings
``n_iter``             ``null``, an integer, or a list of integers (``n_iter_``)
``solver``             ``null`` or the solver that ran (``solver_``), a string
``inference``          ``null`` (penalized fit) or the state behind ``summary()``:
                       ``cov`` (square list of rows, ``(n_classes - 1) * n_terms``
                       wide, class-major with the intercept first in each class
                       (as ``summary()`` shows it), or ``null`` if the information
                       was singular or not computed: ``store_covariance`` false),
                       ``reference`` (class index), ``log_likelihood``,
                       ``null_log_likelihood``, ``n_samples``, ``sum_weights``,
                       ``mle_verified`` (a boolean)
``scaling``            version 2, optional: ``null`` or the standardization the
                       coefficients refer to (``softlogit fit --standardize``,
                       :class:`~softlogit.StandardizedModel`): ``features`` (equal to
                       ``feature_names_in``), ``mean`` and ``scale``, one finite
                       number per feature, every ``scale`` ``> 0``; the model
                       predicts from ``(x - mean) / scale``
=====================  ===============================================================

Version 2 adds only the optional ``scaling`` field: a file without it is written as
version 1, which every softlogit that reads model files reads; a version-1 file loads
unchanged. A file with a ``scaling`` loads, through :func:`load_model`, as a
:class:`~softlogit.StandardizedModel` (the estimator and the scaling applied before
it); ``LogisticRegression.load`` and ``SoftmaxRegression.load`` refuse it, since the
estimator alone would predict wrongly from raw features.

Integers are JSON integers (a JSON ``true`` is not an integer), and no other field is
allowed at any level. The parameters are checked against the estimators' constraint
table (:data:`softlogit._validation.ESTIMATOR_PARAMS`), as ``fit`` checks them, and
every other field against what a fit produces: labels distinct and sorted (as
``np.unique`` gives them), ``n_iter`` counts that fit in 32 bits, ``solver`` the
name of solvers that ran, ``inference`` present exactly when ``C`` is ``inf``, its
``reference`` the class index of ``params.reference_class``, its ``cov`` symmetric
and positive definite. No size read from the file allocates more than the file's
own text could describe (a label dtype wider than the longest label is refused when
it would take more than :data:`MAX_LABEL_BYTES`), and JSON nested deeper than the
parser's recursion limit is refused as such. Every problem with
a file's content raises :class:`~softlogit.InputValueError`, so a file either loads
as a model that predicts, summarizes and saves, or is refused naming the field.
"""

from __future__ import annotations

import importlib
import itertools
import json
import math
import re
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from softlogit._covariance import display_order
from softlogit._inference import InferenceState
from softlogit._io import StrPath, atomic_write_text
from softlogit._json_fields import fail as _fail
from softlogit._json_fields import float_array as _float_array
from softlogit._json_fields import is_int as _is_int
from softlogit._json_fields import is_number as _is_number
from softlogit._scaling import Scaling
from softlogit._typing import FloatArray
from softlogit._validation import ESTIMATOR_PARAMS, check_params
from softlogit.errors import InputTypeError, InputValueError

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "MAX_LABEL_BYTES",
    "PersistenceMixin",
    "load_model",
    "save_model",
]

FORMAT = "softlogit.model"
#: The newest format version, read and written (version 2 only for a model with a
#: ``scaling``: a file that version 1 describes is written as version 1).
FORMAT_VERSION = 2
#: The largest array of labels a file may declare wider than its longest label
#: (``{"dtype": "<U999999"}``): wider declarations would allocate what the text
#: does not hold.
MAX_LABEL_BYTES = 1 << 24
# ``n_iter_`` is an int32 array, as scikit-learn's
_INT32_MAX = 2**31 - 1
# sizes (``n_samples``) are int64 in NumPy
_INT64_MAX = 2**63 - 1
# the names a fit records in ``solver_``: solvers, or two joined by "+"
_SOLVER_RUN = re.compile(r"^(newton|lbfgs|gd|momentum|adam|prox-newton)(\+newton)?$")

# estimator name -> module that defines it
_ESTIMATORS: dict[str, str] = {
    "LogisticRegression": "softlogit._estimators",
    "SoftmaxRegression": "softlogit._estimators",
}

_FIELDS = (
    "format",
    "format_version",
    "softlogit_version",
    "estimator",
    "params",
    "classes",
    "coef",
    "intercept",
    "n_features_in",
    "feature_names_in",
    "n_iter",
    "solver",
    "inference",
)
_INFERENCE_FIELDS = (
    "cov",
    "reference",
    "log_likelihood",
    "null_log_likelihood",
    "n_samples",
    "sum_weights",
    "mle_verified",
)
_CLASS_DTYPES = re.compile(
    r"^(bool|u?int(8|16|32|64)|float(32|64)|<U[0-9]{1,6}|object)$"
)

T = TypeVar("T", bound="PersistenceMixin")


# ----------------------------------------------------------------------------- encode
def _encode_value(name: str, value: object) -> object:
    """A parameter value as JSON (non-finite floats tagged)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.generic):
        return _encode_value(name, value.item())
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else {"float": repr(value)}
    if isinstance(value, dict):  # class_weight: labels -> weights, keys kept typed
        pairs = [
            [_encode_value(name, k), _encode_value(name, v)] for k, v in value.items()
        ]
        return {"dict": pairs}
    raise InputValueError(
        f"cannot save parameter `{name}`: expected None, a bool, int, float, str or "
        f"dict; got {type(value).__name__}."
    )


def _encode_classes(classes: np.ndarray[Any, Any]) -> dict[str, object]:
    kind = classes.dtype.kind
    if kind == "O":
        if not all(isinstance(c, str) for c in classes):
            raise InputValueError(
                "cannot save `classes_`: an object array must hold only strings; got "
                f"types {sorted({type(c).__name__ for c in classes})}."
            )
        dtype = "object"
    else:
        dtype = classes.dtype.str if kind == "U" else classes.dtype.name
        if not _CLASS_DTYPES.match(dtype):
            raise InputValueError(
                f"cannot save `classes_` of dtype {classes.dtype}; expected bool, "
                "integer, float or string labels."
            )
        if kind == "f" and not np.all(np.isfinite(classes)):
            raise InputValueError(
                "cannot save `classes_`: float labels must be finite."
            )
    return {"dtype": dtype, "values": classes.tolist()}


def _model_document(model: object) -> dict[str, object]:
    """The model file of an estimator, or of a ``StandardizedModel`` (its fitted
    ``estimator_`` with the ``scaling_`` applied before it: format version 2)."""
    from softlogit._version import version

    scaling: Scaling | None = getattr(model, "scaling_", None)
    est = getattr(model, "estimator_", model) if scaling is not None else model
    names = getattr(est, "feature_names_in_", None)
    n_iter = getattr(est, "n_iter_", None)
    if isinstance(n_iter, np.ndarray):
        n_iter = [int(v) for v in n_iter.ravel()]
    elif n_iter is not None:
        n_iter = int(n_iter)
    state = getattr(est, "_inference_", None)
    fit_intercept = bool(getattr(est, "fit_intercept", True))
    n_features = int(getattr(est, "n_features_in_"))  # noqa: B009
    solver = getattr(est, "solver_", None)
    params = est.get_params(deep=False)  # type: ignore[attr-defined]
    doc: dict[str, object] = {
        "format": FORMAT,
        "format_version": 1 if scaling is None else 2,
        "softlogit_version": version(),
        "estimator": type(est).__name__,
        "params": {k: _encode_value(k, v) for k, v in sorted(params.items())},
        "classes": _encode_classes(np.asarray(getattr(est, "classes_"))),  # noqa: B009
        "coef": np.asarray(getattr(est, "coef_"), dtype=np.float64).tolist(),  # noqa: B009
        "intercept": np.asarray(getattr(est, "intercept_"), dtype=np.float64)  # noqa: B009
        .reshape(-1)
        .tolist(),
        "n_features_in": n_features,
        "feature_names_in": None if names is None else [str(n) for n in names],
        "n_iter": n_iter,
        "solver": None if solver is None else str(solver),
        "inference": (
            None
            if state is None
            else _encode_inference(state, n_features + fit_intercept, fit_intercept)
        ),
    }
    if scaling is not None:
        doc["scaling"] = scaling.to_json()
    return doc


def _encode_inference(
    state: InferenceState, n_terms: int, fit_intercept: bool
) -> dict[str, object]:
    """The inference state as JSON, the covariance in display order."""
    cov = state.cov
    if cov is not None:
        order = display_order(cov.shape[0] // n_terms, n_terms, fit_intercept)
        cov = cov[np.ix_(order, order)]
    return {
        "cov": None if cov is None else cov.tolist(),
        "reference": state.reference_index,
        "log_likelihood": state.log_likelihood,
        "null_log_likelihood": state.null_log_likelihood,
        "n_samples": state.n_samples,
        "sum_weights": state.sum_weights,
        "mle_verified": state.mle_verified,
    }


def _dumps(doc: dict[str, object]) -> str:
    """JSON with one field per line and one matrix row per line (still plain JSON)."""

    def compact(value: object) -> str:
        return json.dumps(value, allow_nan=False, separators=(", ", ": "))

    def render(value: object, indent: int) -> str:
        pad = " " * indent
        if isinstance(value, dict) and value:
            items = [
                f"{pad} {json.dumps(k)}: {render(v, indent + 1)}"
                for k, v in value.items()
            ]
            return "{\n" + ",\n".join(items) + f"\n{pad}}}"
        if (
            isinstance(value, list)
            and value
            and all(isinstance(v, list) for v in value)
        ):
            rows = [f"{pad} {compact(row)}" for row in value]
            return "[\n" + ",\n".join(rows) + f"\n{pad}]"
        return compact(value)

    return render(doc, 0) + "\n"


# ----------------------------------------------------------------------------- decode
def _decode_value(name: str, value: object) -> object:
    if isinstance(value, dict) and set(value) == {"dict"}:
        pairs = value["dict"]
        if not isinstance(pairs, list) or not all(
            isinstance(pair, list) and len(pair) == 2 for pair in pairs
        ):
            raise _fail(f"params.{name}", 'a {"dict": [[key, value], ...]}', value)
        decoded = {_decode_value(name, k): _decode_value(name, v) for k, v in pairs}
        if not all(isinstance(k, (str, int, float, bool)) for k in decoded):
            raise _fail(f"params.{name}", "keys that are labels (scalars)", value)
        return decoded
    if isinstance(value, dict):
        if set(value) != {"float"} or value["float"] not in ("inf", "-inf", "nan"):
            raise _fail(f"params.{name}", 'a JSON value or {"float": "inf"}', value)
        return float(value["float"])
    if isinstance(value, list):
        raise _fail(f"params.{name}", "a scalar", value)
    return value


def _decode_classes(value: object) -> np.ndarray[Any, Any]:
    if not isinstance(value, dict) or set(value) != {"dtype", "values"}:
        raise _fail("classes", 'an object {"dtype": ..., "values": [...]}', value)
    dtype, values = value["dtype"], value["values"]
    if not isinstance(dtype, str) or not _CLASS_DTYPES.match(dtype):
        raise _fail("classes.dtype", "a supported label dtype", dtype)
    if not isinstance(values, list) or len(values) < 2:
        raise _fail("classes.values", "a list of at least 2 labels", values)
    if dtype == "bool":
        ok = all(isinstance(v, bool) for v in values)
    elif dtype.startswith(("int", "uint")):
        ok = all(_is_int(v) for v in values)
    elif dtype.startswith("float"):
        ok = all(_is_number(v) and math.isfinite(float(v)) for v in values)
    else:
        ok = all(isinstance(v, str) for v in values)
    if not ok:
        raise _fail("classes.values", f"labels of dtype {dtype}", values)
    if dtype.startswith("<U"):
        width, longest = int(dtype[2:]), max(len(v) for v in values)
        if width > longest and len(values) * width * 4 > MAX_LABEL_BYTES:
            raise _fail(
                "classes.dtype",
                f"a string dtype no wider than the longest label ({longest} "
                f"characters) for {len(values)} labels",
                dtype,
            )
    try:
        classes = np.array(values, dtype=object if dtype == "object" else dtype)
    except (OverflowError, ValueError) as exc:
        raise _fail("classes.values", f"labels of dtype {dtype}", values) from exc
    if classes.tolist() != values or len(set(values)) != len(values):
        raise _fail("classes.values", f"distinct labels exact in {dtype}", values)
    if not all(a < b for a, b in itertools.pairwise(values)):
        raise _fail("classes.values", "labels in increasing order", values)
    return classes


def _positive_definite(cov: FloatArray) -> bool:
    """Whether the symmetric ``cov`` is positive definite (Cholesky succeeds)."""
    try:
        factor = np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        return False
    return bool(np.all(np.isfinite(factor)) and np.all(np.diag(factor) > 0))


def _decode_inference(
    value: object,
    n_classes: int,
    n_terms: int,
    fit_intercept: bool,
    *,
    penalized: bool,
    reference: int,
) -> dict[str, Any] | None:
    if penalized or value is None:
        if value is not None:
            raise _fail(
                "inference", "null for a penalized model (finite params.C)", value
            )
        if not penalized:
            raise _fail(
                "inference", "the state of an unpenalized model (params.C inf)", value
            )
        return None
    if not isinstance(value, dict) or set(value) != set(_INFERENCE_FIELDS):
        raise _fail("inference", f"null or an object with {_INFERENCE_FIELDS}", value)
    size = (n_classes - 1) * n_terms
    cov = value["cov"]
    if cov is not None:
        cov = _float_array("inference.cov", cov, 2)
        if cov.shape != (size, size) or not np.array_equal(cov, cov.T):
            raise _fail("inference.cov", f"a symmetric {size}x{size} matrix", cov.shape)
        if not _positive_definite(cov):
            raise _fail(
                "inference.cov",
                "positive definite (a covariance: positive variances, correlations "
                "in (-1, 1))",
                "a matrix that is not",
            )
        # The file shows the intercept first; the package keeps it last.
        back = np.argsort(display_order(n_classes - 1, n_terms, fit_intercept))
        cov = cov[np.ix_(back, back)]
    ref = value["reference"]
    if not _is_int(ref) or not 0 <= ref < n_classes:
        raise _fail("inference.reference", f"a class index in [0, {n_classes})", ref)
    if ref != reference:
        raise _fail(
            "inference.reference",
            f"{reference}, the index of the reference class in the parameters",
            ref,
        )
    out: dict[str, Any] = {"cov": cov, "reference_index": ref}
    for key in ("log_likelihood", "null_log_likelihood"):
        v = value[key]
        if not _is_number(v) or not math.isfinite(v) or v > 0:
            raise _fail(f"inference.{key}", "a finite number <= 0", v)
        out[key] = float(v)
    n = value["n_samples"]
    if not _is_int(n) or not 1 <= n <= _INT64_MAX:
        raise _fail("inference.n_samples", "a positive 64-bit integer", n)
    out["n_samples"] = n
    sw = value["sum_weights"]
    if not _is_number(sw) or not math.isfinite(sw) or sw <= 0:
        raise _fail("inference.sum_weights", "a finite number > 0", sw)
    out["sum_weights"] = float(sw)
    verified = value["mle_verified"]
    if not isinstance(verified, bool):
        raise _fail("inference.mle_verified", "true or false", verified)
    out["mle_verified"] = verified
    return out


def _read_document(path: StrPath) -> dict[str, Any]:
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"model file {str(p)!r} does not exist.")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputValueError(
            f"invalid model file {str(p)!r}: not UTF-8 text ({exc.reason} at byte "
            f"{exc.start})."
        ) from None
    return _parse_document(text, str(p))


def _parse_document(text: str, where: str) -> dict[str, Any]:
    """The checked top level of a model file's ``text`` (``where`` names it)."""

    def reject_constant(name: str) -> None:
        raise _fail("(number)", "a finite JSON number", name)

    try:
        doc = json.loads(text, parse_constant=reject_constant)
    except json.JSONDecodeError as exc:
        raise InputValueError(
            f"invalid model file {where!r}: not JSON ({exc.msg} at line {exc.lineno})."
        ) from None
    except ValueError as exc:  # an integer of more than 4300 digits
        raise InputValueError(f"invalid model file {where!r}: {exc}") from None
    except RecursionError:  # the parser recurses once per level of nesting
        raise InputValueError(
            f"invalid model file {where!r}: JSON nested too deeply (a model file "
            "nests 4 levels)."
        ) from None
    if not isinstance(doc, dict):
        raise _fail("(top level)", "a JSON object", type(doc).__name__)
    if doc.get("format") != FORMAT:
        raise _fail("format", repr(FORMAT), doc.get("format"))
    version = doc.get("format_version")
    if not _is_int(version) or version < 1:
        raise _fail("format_version", "a positive integer", version)
    if version > FORMAT_VERSION:
        raise InputValueError(
            f"model file {where!r} has format_version {version}, written by a newer "
            f"softlogit; this one reads version {FORMAT_VERSION}: upgrade softlogit."
        )
    optional = {"scaling"} if version >= 2 else set()
    unknown = sorted(set(doc) - set(_FIELDS) - optional)
    missing = [f for f in _FIELDS if f not in doc]
    if unknown:
        raise InputValueError(f"invalid model file: unknown field(s) {unknown}.")
    if missing:
        raise InputValueError(f"invalid model file: missing field(s) {missing}.")
    if not isinstance(doc["softlogit_version"], str):
        raise _fail("softlogit_version", "a string", doc["softlogit_version"])
    return doc


def _decode_params(cls: type, params: object) -> dict[str, Any]:
    """The estimator's parameters, checked as ``fit`` checks them."""
    if not isinstance(params, dict):
        raise _fail("params", "an object", params)
    allowed = set(cls().get_params(deep=False))
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise InputValueError(
            f"invalid model file: unknown parameter(s) {unknown} for {cls.__name__}."
        )
    decoded = {k: _decode_value(k, v) for k, v in params.items()}
    try:
        check_params(decoded, ESTIMATOR_PARAMS)
    except (InputValueError, InputTypeError) as exc:
        raise InputValueError(f"invalid model file: field `params`: {exc}") from None
    return decoded


def _decode_extras(doc: dict[str, Any], n_features: int) -> dict[str, Any]:
    """``feature_names_in``, ``n_iter`` and ``solver``, checked."""
    names = doc["feature_names_in"]
    if names is not None and (
        not isinstance(names, list)
        or len(names) != n_features
        or not all(isinstance(n, str) for n in names)
    ):
        raise _fail(
            "feature_names_in", f"null or a list of {n_features} strings", names
        )
    n_iter = doc["n_iter"]

    def count(v: object) -> bool:
        return _is_int(v) and 0 <= v <= _INT32_MAX

    if not (
        n_iter is None
        or count(n_iter)
        or (isinstance(n_iter, list) and all(count(v) for v in n_iter))
    ):
        raise _fail(
            "n_iter", f"null, a count or a list of counts in [0, {_INT32_MAX}]", n_iter
        )
    solver = doc["solver"]
    if solver is not None and not (
        isinstance(solver, str) and _SOLVER_RUN.match(solver)
    ):
        raise _fail("solver", "null or the name of the solver(s) that ran", solver)
    out: dict[str, Any] = {}
    if names is not None:
        out["feature_names_in_"] = np.array(names, dtype=object)
    if n_iter is not None:
        out["n_iter_"] = (
            np.array(n_iter, dtype=np.int32) if isinstance(n_iter, list) else n_iter
        )
    if solver is not None:
        out["solver_"] = solver
    return out


def _build(cls: type[T], doc: dict[str, Any]) -> T:
    decoded = _decode_params(cls, doc["params"])
    est = cls(**decoded)
    classes = _decode_classes(doc["classes"])
    k = classes.shape[0]
    n_features = doc["n_features_in"]
    if not _is_int(n_features) or n_features < 1:
        raise _fail("n_features_in", "a positive integer", n_features)
    coef = _float_array("coef", doc["coef"], 2)
    rows = 1 if cls.__name__ == "LogisticRegression" else k
    if cls.__name__ == "LogisticRegression" and k != 2:
        raise _fail("classes.values", "2 labels for a LogisticRegression", k)
    if coef.shape != (rows, n_features):
        raise _fail("coef", f"of shape ({rows}, {n_features})", coef.shape)
    intercept = _float_array("intercept", doc["intercept"], 1)
    if intercept.shape != (rows,):
        raise _fail("intercept", f"of shape ({rows},)", intercept.shape)
    extras = _decode_extras(doc, n_features)
    fit_intercept = bool(decoded.get("fit_intercept", True))
    est.classes_ = classes  # type: ignore[attr-defined]
    try:  # parameters that depend on the classes (reference_class)
        est._check_classes()  # type: ignore[attr-defined]
        reference = est._reference_index()  # type: ignore[attr-defined]
    except InputValueError as exc:
        raise InputValueError(f"invalid model file: field `params`: {exc}") from None
    inference = _decode_inference(
        doc["inference"],
        k,
        n_features + fit_intercept,
        fit_intercept,
        penalized=not math.isinf(float(decoded.get("C", 1.0))),
        reference=reference if rows > 1 else 0,
    )
    est.coef_ = coef  # type: ignore[attr-defined]
    est.intercept_ = intercept  # type: ignore[attr-defined]
    est.n_features_in_ = n_features  # type: ignore[attr-defined]
    for name, value in extras.items():
        setattr(est, name, value)
    skipped = not decoded.get("store_covariance", True)
    est._inference_ = (
        None
        if inference is None
        else InferenceState(
            **inference, covariance_skipped=inference["cov"] is None and skipped
        )
    )
    return est


class PersistenceMixin:
    """Adds :meth:`save` and :meth:`load` (the JSON format of this module)."""

    _inference_: Any

    def save(self, path: StrPath, *, force: bool = False) -> Path:
        """Write the fitted model to ``path`` as JSON (atomically).

        Parameters
        ----------
        path : str or os.PathLike
            The file to write.
        force : bool, default=False
            Overwrite ``path`` if it exists.

        Returns
        -------
        pathlib.Path
            The path written.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the estimator is not fitted.
        FileExistsError
            If ``path`` exists and ``force`` is false.

        Examples
        --------
        >>> import numpy as np, tempfile, os
        >>> from softlogit import SoftmaxRegression, load_model
        >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = [0, 1, 0, 1]
        >>> model = SoftmaxRegression().fit(X, y)
        >>> path = os.path.join(tempfile.mkdtemp(), "model.json")
        >>> model.save(path).name
        'model.json'
        >>> bool(np.array_equal(load_model(path).predict_proba(X),
        ...                     model.predict_proba(X)))
        True
        """
        return save_model(self, path, force=force)

    @classmethod
    def load(cls: type[T], path: StrPath) -> T:
        """Read a model written by :meth:`save`; it must be of this class.

        Raises
        ------
        FileNotFoundError
            If ``path`` does not exist.
        ValueError
            If the file is not a valid model file of this class (the message names
            the offending field).
        """
        doc = _read_document(path)
        if doc.get("scaling") is not None:
            raise InputValueError(
                f"model file {str(path)!r} holds a model fitted on standardized "
                "features (field `scaling`); its coefficients alone would predict "
                "wrongly on raw features: load it with softlogit.load_model()."
            )
        if doc["estimator"] != cls.__name__:
            raise InputValueError(
                f"model file {str(path)!r} holds a {doc['estimator']!r}, not a "
                f"{cls.__name__}; use softlogit.load_model() to load any model."
            )
        return _build(cls, doc)


def save_model(
    est: Any, path: StrPath, *, force: bool = False, name: str = "path"
) -> Path:
    """Write the fitted ``est`` to ``path`` (see :meth:`PersistenceMixin.save`).

    ``name`` is how errors call the output (``--out`` on the command line).
    """
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(est, ["coef_", "intercept_", "classes_"])
    return atomic_write_text(path, _dumps(_model_document(est)), force=force, name=name)


def load_model(path: StrPath) -> Any:
    """Load a model saved with ``save()``, whatever its estimator class.

    Parameters
    ----------
    path : str or os.PathLike
        A file written by :meth:`PersistenceMixin.save`.

    Returns
    -------
    LogisticRegression, SoftmaxRegression or StandardizedModel
        The fitted estimator; its ``predict_proba`` equals the saved model's exactly.
        A model fitted on standardized features (a file with a ``scaling``: written
        by ``softlogit fit --standardize`` or :class:`~softlogit.StandardizedModel`)
        loads as a :class:`~softlogit.StandardizedModel`, which standardizes the raw
        features before its estimator sees them: the coefficients alone would
        predict wrongly.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not a valid model file (the message names the field).
    """
    doc = _read_document(path)
    name = doc["estimator"]
    if not isinstance(name, str) or name not in _ESTIMATORS:
        raise _fail("estimator", f"one of {sorted(_ESTIMATORS)}", name)
    cls = getattr(importlib.import_module(_ESTIMATORS[name]), name)
    est = _build(cls, doc)
    if doc.get("scaling") is None:
        return est
    names = getattr(est, "feature_names_in_", None)
    scaling = Scaling.from_json(
        doc["scaling"], est.n_features_in_, None if names is None else list(names)
    )
    # Above this module (it saves through it): imported by name, as the estimators.
    wrapper = importlib.import_module("softlogit._standardized").StandardizedModel
    return wrapper.from_fitted(est, scaling)
