"""Heads, gauges, conversions and penalty maps (T1, T6, T7, T8).

References are independent of the code under test: probabilities from mpmath at 40
digits on the exact float parameters, penalized optima from explicit objectives written
here and minimized with SciPy, and scikit-learn's ``LogisticRegression``.
"""

from __future__ import annotations

import dataclasses
import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.optimize import minimize
from scipy.special import expit, log_expit, log_softmax
from scipy.special import softmax as sp_softmax

from softlogit import (
    ReferenceHead,
    SigmoidHead,
    SoftmaxHead,
    center,
    from_reference,
    sigmoid_C_to_softmax,
    sigmoid_elastic_net_to_softmax,
    sigmoid_penalty_to_softmax,
    sigmoid_to_softmax,
    softmax_C_to_sigmoid,
    softmax_elastic_net_to_sigmoid,
    softmax_penalty_to_sigmoid,
    softmax_to_sigmoid,
    to_gauge,
    to_reference,
)

# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------


def rel_err(got: np.ndarray, want: np.ndarray) -> float:
    """Norm-wise relative error max|got - want| / max|want|."""
    scale = np.max(np.abs(want))
    diff = np.max(np.abs(np.asarray(got) - np.asarray(want)), initial=0.0)
    return float(diff / scale) if scale else float(diff)


def mp_proba(weight: np.ndarray, bias: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Softmax probabilities of the exact float parameters, in 40-digit arithmetic.

    ``weight`` is (K, p) and ``bias`` (K,); the reference is independent of NumPy's
    matmul and of softlogit's softmax.
    """
    with mpmath.workdps(40):
        W = [[mpmath.mpf(float(v)) for v in row] for row in weight]
        b = [mpmath.mpf(float(v)) for v in bias]
        out = np.empty((X.shape[0], len(W)))
        for i, x in enumerate(X):
            xs = [mpmath.mpf(float(v)) for v in x]
            z = [
                mpmath.fsum(w * v for w, v in zip(Wk, xs, strict=True)) + bk
                for Wk, bk in zip(W, b, strict=True)
            ]
            m = max(z)
            e = [mpmath.exp(zk - m) for zk in z]
            s = mpmath.fsum(e)
            out[i] = [float(ek / s) for ek in e]
    return out


def random_softmax_head(
    rng: np.random.Generator, n_classes: int, n_features: int
) -> SoftmaxHead:
    return SoftmaxHead(
        weight=rng.normal(size=(n_classes, n_features)),
        bias=rng.normal(size=n_classes),
    )


def wide_logit_inputs(
    rng: np.random.Generator, weight: np.ndarray, bias: np.ndarray, n_samples: int
) -> np.ndarray:
    """Random X whose rows have largest absolute logit spread over [0, 700]."""
    X = rng.normal(size=(n_samples, weight.shape[1]))
    scale = np.max(np.abs(X @ weight.T), axis=1)
    target = rng.uniform(0.0, 700.0, size=n_samples)
    target[:5] = 700.0
    return X * (target / scale)[:, None]


# --------------------------------------------------------------------------------------
# construction and validation
# --------------------------------------------------------------------------------------


def test_heads_store_readonly_float64_copies() -> None:
    w = np.array([1, 2, 3])
    head = SigmoidHead(weight=w, bias=np.int64(4))
    assert head.weight.dtype == np.float64
    assert isinstance(head.bias, float)
    assert head.bias == 4.0
    w[0] = 100
    assert head.weight[0] == 1.0
    with pytest.raises(ValueError, match="read-only"):
        head.weight[0] = 5.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        head.bias = 1.0  # type: ignore[misc]

    W = np.ones((3, 2), dtype=np.float32)
    smh = SoftmaxHead(weight=W, bias=[0, 1, 2])
    assert smh.weight.dtype == np.float64
    assert smh.bias.dtype == np.float64
    W[:] = 7
    assert np.all(smh.weight == 1.0)
    assert not smh.weight.flags.writeable
    assert not smh.bias.flags.writeable

    ref = ReferenceHead(weight=[[1.0, 2.0]], bias=[3.0], reference=np.int64(1))
    assert ref.reference == 1
    assert type(ref.reference) is int
    assert not ref.weight.flags.writeable


def test_shapes_and_properties() -> None:
    sig = SigmoidHead([1.0, 2.0, 3.0], 0.0)
    assert (sig.n_features, sig.n_classes) == (3, 2)
    soft = SoftmaxHead(np.zeros((4, 3)), np.zeros(4))
    assert (soft.n_features, soft.n_classes) == (3, 4)
    ref = ReferenceHead(np.zeros((3, 5)), np.zeros(3), reference=3)
    assert (ref.n_features, ref.n_classes) == (5, 4)
    assert ref.full_weight().shape == (4, 5)
    assert ref.full_bias().shape == (4,)
    # zero features is a valid (intercept-only) head
    assert SoftmaxHead(np.zeros((2, 0)), [0.0, 1.0]).n_features == 0


def test_dataclass_helpers_keep_validation() -> None:
    head = SoftmaxHead([[1.0], [2.0]], [0.0, 0.0])
    assert [f.name for f in dataclasses.fields(head)] == ["weight", "bias"]
    replaced = dataclasses.replace(head, bias=[1.0, 2.0])
    assert replaced.bias.tolist() == [1.0, 2.0]
    with pytest.raises(ValueError, match=r"`bias` must have shape"):
        dataclasses.replace(head, bias=[1.0])
    assert "SoftmaxHead(weight=" in repr(head)


@pytest.mark.parametrize(
    ("factory", "match"),
    [
        (
            lambda: SigmoidHead([[1.0]], 0.0),
            r"`weight` must be 1-D .*got shape \(1, 1\)",
        ),
        (
            lambda: SigmoidHead([1.0], [0.0]),
            r"`bias` must be a scalar; got shape \(1,\)",
        ),
        (lambda: SigmoidHead([np.nan], 0.0), r"`weight` must be finite; got 1 NaN"),
        (lambda: SigmoidHead([1.0], np.inf), r"`bias` must be finite; got 1 infinite"),
        (
            lambda: SoftmaxHead([1.0, 2.0], [0.0, 0.0]),
            r"`weight` must be 2-D .*n_classes >= 2; got shape \(2,\)",
        ),
        (
            lambda: SoftmaxHead([[1.0, 2.0]], [0.0]),
            r"n_classes >= 2; got shape \(1, 2\)",
        ),
        (
            lambda: SoftmaxHead([[1.0], [2.0]], [0.0, 0.0, 0.0]),
            r"`bias` must have shape \(n_classes,\) = \(2,\); got shape \(3,\)",
        ),
        (
            lambda: SoftmaxHead([[1.0], [np.inf]], [0.0, 0.0]),
            r"`weight` must be finite; got 1 infinite",
        ),
        (
            lambda: SoftmaxHead([[1.0], [2.0]], [np.nan, np.inf]),
            r"`bias` must be finite; got 1 NaN and 1 infinite",
        ),
        (
            lambda: ReferenceHead(np.zeros((0, 2)), np.zeros(0)),
            r"`weight` must be 2-D of shape \(n_classes - 1, n_features\).*\(0, 2\)",
        ),
        (
            lambda: ReferenceHead([[1.0]], [0.0, 1.0]),
            r"`bias` must have shape \(n_classes - 1,\) = \(1,\); got shape \(2,\)",
        ),
        (
            lambda: ReferenceHead([[1.0]], [0.0], reference=2),
            r"`reference` must be a class index in \[0, 1\]; got 2",
        ),
        (
            lambda: ReferenceHead([[1.0]], [0.0], reference=-1),
            r"`reference` must be a class index in \[0, 1\]; got -1",
        ),
        (
            lambda: ReferenceHead([[np.nan]], [0.0]),
            r"`weight` must be finite",
        ),
    ],
)
def test_bad_head_values(factory: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        factory()  # type: ignore[operator]


@pytest.mark.parametrize(
    ("factory", "match"),
    [
        (lambda: SigmoidHead(["a"], 0.0), r"`weight` must be a real numeric array"),
        (lambda: SigmoidHead([1.0], 1j), r"`bias` must be a real numeric array"),
        (
            lambda: SoftmaxHead(np.zeros((2, 1), dtype=object), [0.0, 0.0]),
            r"`weight` .* got dtype object",
        ),
        (
            lambda: ReferenceHead([[1.0]], [0.0], reference=1.0),
            r"`reference` must be an integer; got float",
        ),
        (
            lambda: ReferenceHead([[1.0]], [0.0], reference=True),
            r"`reference` must be an integer; got bool",
        ),
    ],
)
def test_bad_head_types(factory: object, match: str) -> None:
    with pytest.raises(TypeError, match=match):
        factory()  # type: ignore[operator]


@pytest.mark.parametrize(
    "head",
    [
        SigmoidHead([1.0, 2.0], 0.0),
        SoftmaxHead(np.zeros((3, 2)), np.zeros(3)),
        ReferenceHead(np.zeros((2, 2)), np.zeros(2)),
    ],
    ids=["sigmoid", "softmax", "reference"],
)
def test_bad_X(head: SigmoidHead | SoftmaxHead | ReferenceHead) -> None:
    with pytest.raises(ValueError, match=r"`X` must be 2-D of shape \(n_samples, 2\)"):
        head.logits([1.0, 2.0])
    with pytest.raises(ValueError, match=r"`X` must have 2 features .*\(4, 3\)"):
        head.predict_proba(np.zeros((4, 3)))
    with pytest.raises(TypeError, match=r"`X` must be a real numeric array"):
        head.predict_proba([["a", "b"]])


def test_allclose() -> None:
    a = SoftmaxHead([[1.0, 2.0], [3.0, 4.0]], [0.0, 1.0])
    b = SoftmaxHead(a.weight * (1 + 1e-14), a.bias)
    assert a == a  # identity
    assert a != b  # identity semantics, not element-wise
    assert a.allclose(b)
    assert not a.allclose(b, rtol=1e-16)
    assert not a.allclose(SoftmaxHead(a.weight + 1, a.bias))
    assert not a.allclose(SoftmaxHead(np.zeros((3, 2)), np.zeros(3)))
    assert not a.allclose(softmax_to_sigmoid(a))
    assert not a.allclose("not a head")
    s = SigmoidHead([1.0], 2.0)
    assert s.allclose(SigmoidHead([1.0], 2.0 + 1e-13))
    assert not s.allclose(SigmoidHead([1.0], 2.5))
    assert not s.allclose(SigmoidHead([1.0, 0.0], 2.0))
    r = ReferenceHead([[1.0]], [2.0], reference=0)
    assert r.allclose(ReferenceHead([[1.0]], [2.0], reference=0))
    assert not r.allclose(ReferenceHead([[1.0]], [2.0], reference=1))
    assert not r.allclose(a)


# --------------------------------------------------------------------------------------
# logits and probabilities against independent references
# --------------------------------------------------------------------------------------


def test_predictions_match_scipy(rng: np.random.Generator) -> None:
    X = rng.normal(size=(50, 3)) * 5
    sig = SigmoidHead(rng.normal(size=3), 0.3)
    z = X @ sig.weight + 0.3
    np.testing.assert_allclose(sig.logits(X), z, rtol=1e-15)
    np.testing.assert_allclose(
        sig.predict_proba(X), np.stack([expit(-z), expit(z)], axis=1), rtol=1e-15
    )

    soft = random_softmax_head(rng, 4, 3)
    Z = X @ soft.weight.T + soft.bias
    np.testing.assert_allclose(soft.logits(X), Z, rtol=1e-15)
    np.testing.assert_allclose(soft.predict_proba(X), sp_softmax(Z, axis=1), rtol=1e-14)
    np.testing.assert_allclose(
        soft.predict_log_proba(X), log_softmax(Z, axis=1), rtol=1e-14, atol=1e-15
    )

    ref = ReferenceHead(rng.normal(size=(2, 3)), rng.normal(size=2), reference=1)
    Zr = X @ ref.weight.T + ref.bias
    full = np.column_stack([Zr[:, 0], np.zeros(len(X)), Zr[:, 1]])
    np.testing.assert_allclose(ref.logits(X), full, rtol=1e-15)
    np.testing.assert_allclose(
        ref.predict_proba(X), sp_softmax(full, axis=1), rtol=1e-14
    )
    np.testing.assert_allclose(
        ref.predict_log_proba(X), log_softmax(full, axis=1), rtol=1e-14, atol=1e-15
    )


def test_sigmoid_proba_has_no_cancellation() -> None:
    """Column 0 is sigmoid(-z), accurate where 1 - sigmoid(z) would round to 0."""
    head = SigmoidHead([1.0], 0.0)
    proba = head.predict_proba([[50.0], [-50.0], [800.0]])
    np.testing.assert_allclose(
        proba[:2, 0], np.exp(log_expit([-50.0, 50.0])), rtol=1e-15
    )
    assert proba[2].tolist() == [0.0, 1.0]


# --------------------------------------------------------------------------------------
# conversions: new objects, exact/near-exact round trips, same probabilities
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("gauge", ["centered", "reference"])
def test_sigmoid_softmax_round_trip(rng: np.random.Generator, gauge: str) -> None:
    sig = SigmoidHead(rng.normal(size=5) * 10, float(rng.normal()))
    soft = sigmoid_to_softmax(sig, gauge=gauge)  # type: ignore[arg-type]
    assert soft.n_classes == 2
    if gauge == "centered":
        np.testing.assert_array_equal(soft.weight, [-sig.weight / 2, sig.weight / 2])
        np.testing.assert_array_equal(soft.bias, [-sig.bias / 2, sig.bias / 2])
    else:
        np.testing.assert_array_equal(soft.weight, [np.zeros(5), sig.weight])
        np.testing.assert_array_equal(soft.bias, [0.0, sig.bias])
    back = softmax_to_sigmoid(soft)
    assert back is not sig
    assert rel_err(back.weight, sig.weight) <= 1e-15
    assert abs(back.bias - sig.bias) <= 1e-15 * abs(sig.bias)
    neg = softmax_to_sigmoid(soft, positive=0)
    np.testing.assert_array_equal(neg.weight, -back.weight)
    assert neg.bias == -back.bias


def test_softmax_to_sigmoid_values() -> None:
    soft = SoftmaxHead([[1.0, 2.0], [4.0, -1.0]], [0.25, 1.0])
    sig = softmax_to_sigmoid(soft)
    assert sig.weight.tolist() == [3.0, -3.0]
    assert sig.bias == 0.75
    sig0 = softmax_to_sigmoid(soft, positive=np.int32(0))  # type: ignore[arg-type]
    assert sig0.weight.tolist() == [-3.0, 3.0]


@pytest.mark.parametrize("n_classes", [2, 3, 5])
def test_reference_round_trips(rng: np.random.Generator, n_classes: int) -> None:
    soft = random_softmax_head(rng, n_classes, 4)
    weight_before, bias_before = soft.weight.copy(), soft.bias.copy()
    for r in range(n_classes):
        ref = to_reference(soft, reference=r)
        assert ref.reference == r
        assert ref.weight.shape == (n_classes - 1, 4)
        keep = [k for k in range(n_classes) if k != r]
        np.testing.assert_array_equal(ref.weight, soft.weight[keep] - soft.weight[r])
        np.testing.assert_array_equal(ref.bias, soft.bias[keep] - soft.bias[r])

        # reference gauge: the zero row is re-inserted, then removed again exactly
        expanded = from_reference(ref, gauge="reference")
        np.testing.assert_array_equal(expanded.weight[r], 0.0)
        assert expanded.bias[r] == 0.0
        again = to_reference(expanded, reference=r)
        assert again.allclose(ref, rtol=0.0)

        # centered gauge: sums are zero and the round trip is within 1e-15
        centered = from_reference(ref, gauge="centered")
        assert (
            np.max(np.abs(centered.weight.sum(axis=0)))
            <= 1e-15 * np.max(np.abs(centered.weight)) * n_classes
        )
        back = to_reference(centered, reference=r)
        assert rel_err(back.weight, ref.weight) <= 1e-15
        assert rel_err(back.bias, ref.bias) <= 1e-15
        # centering is idempotent up to rounding and matches the direct centering
        assert rel_err(centered.weight, center(soft).weight) <= 1e-15
        assert rel_err(center(centered).weight, centered.weight) <= 1e-15
    # inputs unmodified
    np.testing.assert_array_equal(soft.weight, weight_before)
    np.testing.assert_array_equal(soft.bias, bias_before)


def test_center_values() -> None:
    soft = SoftmaxHead([[1.0, 0.0], [2.0, 4.0], [6.0, 2.0]], [3.0, 0.0, 0.0])
    c = center(soft)
    assert c is not soft
    np.testing.assert_array_equal(c.weight, [[-2.0, -2.0], [-1.0, 2.0], [3.0, 0.0]])
    np.testing.assert_array_equal(c.bias, [2.0, -1.0, -1.0])


def test_to_gauge(rng: np.random.Generator) -> None:
    soft = random_softmax_head(rng, 4, 3)
    c = to_gauge(soft, "centered")
    assert c.allclose(center(soft), rtol=0.0)
    r = to_gauge(soft, "reference", reference=2)
    np.testing.assert_array_equal(r.weight[2], 0.0)
    np.testing.assert_array_equal(r.weight, soft.weight - soft.weight[2])
    np.testing.assert_array_equal(r.bias, soft.bias - soft.bias[2])
    same = to_gauge(soft, "none")
    assert same is not soft
    assert same.allclose(soft, rtol=0.0)
    # default gauge is centered
    assert to_gauge(soft).allclose(c, rtol=0.0)


@pytest.mark.parametrize("n_classes", [2, 3, 4])
def test_converted_heads_give_the_same_probabilities(
    rng: np.random.Generator, n_classes: int
) -> None:
    """Every conversion keeps P(y | x) to 1e-14 absolute at logits up to +-700.

    The reference is the 40-digit softmax of the original head's exact parameters.
    Conversions that subtract rows round each new parameter once, which moves every
    logit by up to ``u * sum_j |W_kj x_j|`` (u = 2**-53, about 1.5e-13 at 700) and the
    probability by at most ``2 p (1 - p)`` times that. No float64 head can avoid it,
    so near ties between large logits the bound is that first-order perturbation
    (with a factor 8 for the evaluation's own roundings); everywhere else it is 1e-14.
    """
    soft = random_softmax_head(rng, n_classes, 3)
    X = wide_logit_inputs(rng, soft.weight, soft.bias, 150)
    assert np.max(np.abs(soft.logits(X))) >= 690
    want = mp_proba(soft.weight, soft.bias, X)
    u = 2.0**-53
    size = np.max(np.abs(X) @ np.abs(soft.weight.T) + np.abs(soft.bias), axis=1)
    bound = np.maximum(1e-14, 8 * 2 * want * (1 - want) * u * size[:, None])
    # the conditioning term matters only at rare near ties
    assert np.mean(np.all(bound == 1e-14, axis=1)) >= 0.9
    heads: list[SoftmaxHead | ReferenceHead | SigmoidHead] = [
        soft,  # the original is held to the same bound: its matmul rounds too
        center(soft),
        to_gauge(soft, "reference", reference=n_classes - 1),
        *(to_reference(soft, reference=r) for r in range(n_classes)),
        *(
            from_reference(to_reference(soft, r), gauge="centered")
            for r in range(n_classes)
        ),
    ]
    if n_classes == 2:
        sig = softmax_to_sigmoid(soft)
        heads += [sig, sigmoid_to_softmax(sig), sigmoid_to_softmax(sig, "reference")]
    for head in heads:
        err = np.abs(head.predict_proba(X) - want)
        assert np.all(err <= bound), (head, np.max(err / bound))


def test_sigmoid_heads_give_the_same_probabilities(rng: np.random.Generator) -> None:
    sig = SigmoidHead(rng.normal(size=3), float(rng.normal()))
    X = wide_logit_inputs(rng, sig.weight[None, :], np.array([sig.bias]), 150)
    # the sigmoid head is the softmax head [0, w] in 40-digit arithmetic
    want = mp_proba(np.stack([np.zeros(3), sig.weight]), np.array([0.0, sig.bias]), X)
    for head in [
        sig,
        sigmoid_to_softmax(sig, "centered"),
        sigmoid_to_softmax(sig, "reference"),
        to_reference(sigmoid_to_softmax(sig), reference=0),
        to_reference(sigmoid_to_softmax(sig), reference=1),
    ]:
        assert np.max(np.abs(head.predict_proba(X) - want)) <= 1e-14


def test_conversions_return_new_objects() -> None:
    soft = SoftmaxHead([[1.0], [2.0]], [0.0, 1.0])
    sig = SigmoidHead([1.0], 2.0)
    ref = ReferenceHead([[1.0]], [2.0])
    results = [
        softmax_to_sigmoid(soft),
        sigmoid_to_softmax(sig),
        to_reference(soft),
        from_reference(ref, gauge="reference"),
        from_reference(ref),
        center(soft),
        to_gauge(soft, "none"),
        to_gauge(soft, "reference"),
    ]
    for out in results:
        assert out is not soft
        assert out is not sig
        assert out is not ref
        assert not np.shares_memory(out.weight, soft.weight)
        assert not np.shares_memory(out.weight, sig.weight)
        assert not np.shares_memory(out.weight, ref.weight)


@settings(max_examples=40, deadline=None)
@given(
    n_classes=st.integers(2, 5),
    n_features=st.integers(0, 4),
    data=st.data(),
)
def test_round_trip_property(
    n_classes: int, n_features: int, data: st.DataObject
) -> None:
    elements = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
    W = data.draw(hnp.arrays(np.float64, (n_classes, n_features), elements=elements))
    b = data.draw(hnp.arrays(np.float64, (n_classes,), elements=elements))
    r = data.draw(st.integers(0, n_classes - 1))
    soft = SoftmaxHead(W, b)
    ref = to_reference(soft, reference=r)
    assert to_reference(from_reference(ref, "reference"), r).allclose(ref, rtol=0)
    back = to_reference(from_reference(ref, "centered"), r)
    # norm-wise relative to the largest parameter that enters the centering
    scale = max(np.max(np.abs(ref.weight), initial=0.0), np.max(np.abs(ref.bias)))
    if scale:
        assert np.max(np.abs(back.weight - ref.weight), initial=0.0) <= 1e-15 * scale
        assert np.max(np.abs(back.bias - ref.bias)) <= 1e-15 * scale
    if n_classes == 2:
        sig = softmax_to_sigmoid(soft)
        for gauge in ("centered", "reference"):
            again = softmax_to_sigmoid(sigmoid_to_softmax(sig, gauge))  # type: ignore[arg-type]
            assert again.allclose(sig, rtol=0)


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (
            lambda: softmax_to_sigmoid(SoftmaxHead(np.zeros((3, 1)), np.zeros(3))),
            ValueError,
            r"`head` must have n_classes == 2 .*got n_classes=3",
        ),
        (
            lambda: softmax_to_sigmoid(SoftmaxHead(np.zeros((2, 1)), np.zeros(2)), 2),
            ValueError,
            r"`positive` must be a class index in \[0, 1\]; got 2",
        ),
        (
            lambda: softmax_to_sigmoid(SigmoidHead([1.0], 0.0)),  # type: ignore[arg-type]
            TypeError,
            r"`head` must be a SoftmaxHead; got SigmoidHead",
        ),
        (
            lambda: sigmoid_to_softmax(SigmoidHead([1.0], 0.0), "symmetric"),  # type: ignore[arg-type]
            ValueError,
            r"`gauge` must be one of 'centered', 'reference'; got 'symmetric'",
        ),
        (
            lambda: sigmoid_to_softmax(SoftmaxHead(np.zeros((2, 1)), np.zeros(2))),  # type: ignore[arg-type]
            TypeError,
            r"`head` must be a SigmoidHead; got SoftmaxHead",
        ),
        (
            lambda: to_reference(SoftmaxHead(np.zeros((3, 1)), np.zeros(3)), 3),
            ValueError,
            r"`reference` must be a class index in \[0, 2\]; got 3",
        ),
        (
            lambda: to_reference(ReferenceHead([[1.0]], [0.0])),  # type: ignore[arg-type]
            TypeError,
            r"`head` must be a SoftmaxHead; got ReferenceHead",
        ),
        (
            lambda: from_reference(ReferenceHead([[1.0]], [0.0]), gauge="none"),  # type: ignore[arg-type]
            ValueError,
            r"`gauge` must be one of 'centered', 'reference'; got 'none'",
        ),
        (
            lambda: from_reference(SoftmaxHead(np.zeros((2, 1)), np.zeros(2))),  # type: ignore[arg-type]
            TypeError,
            r"`head` must be a ReferenceHead; got SoftmaxHead",
        ),
        (
            lambda: center(ReferenceHead([[1.0]], [0.0])),  # type: ignore[arg-type]
            TypeError,
            r"`head` must be a SoftmaxHead",
        ),
        (
            lambda: to_gauge(SoftmaxHead(np.zeros((2, 1)), np.zeros(2)), "sum"),  # type: ignore[arg-type]
            ValueError,
            r"`gauge` must be one of 'centered', 'reference', 'none'; got 'sum'",
        ),
        (
            lambda: to_gauge(
                SoftmaxHead(np.zeros((2, 1)), np.zeros(2)), "reference", 5
            ),
            ValueError,
            r"`reference` must be a class index in \[0, 1\]; got 5",
        ),
    ],
)
def test_conversion_errors(call: object, exc: type[Exception], match: str) -> None:
    with pytest.raises(exc, match=match):
        call()  # type: ignore[operator]


# --------------------------------------------------------------------------------------
# penalty maps (T7), checked by solving the penalized problems
# --------------------------------------------------------------------------------------


def make_data(
    rng: np.random.Generator, n_samples: int = 80, n_features: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    X = rng.normal(size=(n_samples, n_features))
    beta = rng.normal(size=n_features)
    y = (rng.uniform(size=n_samples) < expit(X @ beta + 0.3)).astype(np.int64)
    return X, y


def fit_softmax_2(
    X: np.ndarray,
    y: np.ndarray,
    *,
    l2: float,
    l1: float = 0.0,
    sample_weight: np.ndarray | None = None,
    init: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Minimize (1/S) sum_i s_i CE_i + l2/2 ||W||_F^2 + l1 ||W||_1 over a 2-row head.

    The L1 term is made smooth by the exact split W = P - N with P, N >= 0 (L-BFGS-B
    with bounds). Written out here, independent of softlogit.
    """
    n, p = X.shape
    s = np.ones(n) if sample_weight is None else sample_weight
    S = s.sum()
    Y = np.eye(2)[y]

    def unpack(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        P = theta[: 2 * p].reshape(2, p)
        N = theta[2 * p : 4 * p].reshape(2, p)
        return P - N, theta[4 * p :]

    def fun(theta: np.ndarray) -> tuple[float, np.ndarray]:
        W, b = unpack(theta)
        Z = X @ W.T + b
        logp = log_softmax(Z, axis=1)
        loss = -np.sum(s * np.sum(Y * logp, axis=1)) / S
        G = (np.exp(logp) - Y) * (s / S)[:, None]
        gW = G.T @ X + l2 * W
        gb = G.sum(axis=0)
        P, N = theta[: 2 * p], theta[2 * p : 4 * p]
        value = loss + l2 / 2 * np.sum(W**2) + l1 * np.sum(P + N)
        grad = np.concatenate([gW.ravel() + l1, -gW.ravel() + l1, gb])
        return value, grad

    theta0 = np.zeros(4 * p + 2)
    if init is not None:
        theta0[: 2 * p] = np.maximum(init, 0).ravel()
        theta0[2 * p : 4 * p] = np.maximum(-init, 0).ravel()
    bounds = [(0, None)] * (4 * p) + [(None, None)] * 2
    res = minimize(
        fun,
        theta0,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": 10_000, "ftol": 1e-15, "gtol": 1e-12},
    )
    return unpack(res.x)


def fit_logistic(
    X: np.ndarray, y: np.ndarray, *, l2: float, l1: float = 0.0
) -> tuple[np.ndarray, float]:
    """Minimize mean BCE + l2/2 ||w||^2 + l1 ||w||_1 (same split trick)."""
    n, p = X.shape
    t = y.astype(float)

    def fun(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w = theta[:p] - theta[p : 2 * p]
        z = X @ w + theta[-1]
        # softplus(z) - t z, from logits
        loss = np.mean(np.logaddexp(0.0, z) - t * z)
        g = (expit(z) - t) / n
        gw = X.T @ g + l2 * w
        value = loss + l2 / 2 * w @ w + l1 * np.sum(theta[: 2 * p])
        return value, np.concatenate([gw + l1, -gw + l1, [g.sum()]])

    bounds = [(0, None)] * (2 * p) + [(None, None)]
    res = minimize(
        fun,
        np.zeros(2 * p + 1),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": 10_000, "ftol": 1e-15, "gtol": 1e-12},
    )
    return res.x[:p] - res.x[p : 2 * p], float(res.x[-1])


@pytest.mark.parametrize(("l2", "l1"), [(0.5, 0.0), (0.1, 0.0), (0.2, 0.03)])
def test_softmax_penalty_map_by_solving(
    rng: np.random.Generator, l2: float, l1: float
) -> None:
    X, y = make_data(rng)
    # start away from the centered gauge: the penalty must bring the rows back
    init = rng.normal(size=(2, X.shape[1]))
    W, b = fit_softmax_2(X, y, l2=l2, l1=l1, init=init)
    l2s, l1s = softmax_penalty_to_sigmoid(l2=l2, l1=l1)
    assert (l2s, l1s) == (l2 / 2, l1)
    w, c = fit_logistic(X, y, l2=l2s, l1=l1s)
    np.testing.assert_allclose(W[1] - W[0], w, atol=1e-6)
    assert abs((b[1] - b[0]) - c) <= 1e-6
    # the penalized softmax optimum is centered: w1 = -w2
    np.testing.assert_allclose(W[0] + W[1], 0.0, atol=1e-6)
    # and it is the centered image of the logistic solution
    expected = sigmoid_to_softmax(SigmoidHead(w, c), gauge="centered")
    np.testing.assert_allclose(W, expected.weight, atol=1e-6)
    # the inverse map recovers the softmax strengths
    assert sigmoid_penalty_to_softmax(l2=l2s, l1=l1s) == (l2, l1)


def test_wrong_penalty_map_is_detected(rng: np.random.Generator) -> None:
    """Sanity of the check above: the naive map l2' = l2 gives a different answer."""
    X, y = make_data(rng)
    W, _ = fit_softmax_2(X, y, l2=0.5)
    w, _ = fit_logistic(X, y, l2=0.5)
    assert np.max(np.abs((W[1] - W[0]) - w)) > 1e-3


@pytest.mark.parametrize(("strength", "l1_ratio"), [(0.3, 0.0), (0.3, 0.5), (0.1, 0.9)])
def test_elastic_net_map_by_solving(
    rng: np.random.Generator, strength: float, l1_ratio: float
) -> None:
    X, y = make_data(rng)
    # glmnet/Spark: strength * [(1 - a)/2 ||W||^2 + a ||W||_1]
    W, b = fit_softmax_2(X, y, l2=strength * (1 - l1_ratio), l1=strength * l1_ratio)
    lam, alpha = softmax_elastic_net_to_sigmoid(strength, l1_ratio)
    assert lam == pytest.approx(strength * (1 + l1_ratio) / 2, rel=1e-15)
    assert alpha == pytest.approx(2 * l1_ratio / (1 + l1_ratio), rel=1e-15)
    w, c = fit_logistic(X, y, l2=lam * (1 - alpha), l1=lam * alpha)
    np.testing.assert_allclose(W[1] - W[0], w, atol=1e-6)
    assert abs((b[1] - b[0]) - c) <= 1e-6
    back = sigmoid_elastic_net_to_softmax(lam, alpha)
    assert back[0] == pytest.approx(strength, rel=1e-15)
    assert back[1] == pytest.approx(l1_ratio, rel=1e-15, abs=1e-16)


@settings(max_examples=60, deadline=None)
@given(
    # subnormal strengths carry too few digits for relative comparisons
    strength=st.just(0.0) | st.floats(1e-300, 1e6),
    l1_ratio=st.floats(0.0, 1.0),
)
def test_elastic_net_maps_are_inverse(strength: float, l1_ratio: float) -> None:
    lam, alpha = softmax_elastic_net_to_sigmoid(strength, l1_ratio)
    assert 0.0 <= alpha <= 1.0
    # the (l2, l1) pair is mapped exactly as by softmax_penalty_to_sigmoid
    l2s, l1s = softmax_penalty_to_sigmoid(
        l2=strength * (1 - l1_ratio), l1=strength * l1_ratio
    )
    # 1 - alpha' has an absolute rounding error of about 2**-53
    assert math.isclose(lam * (1 - alpha), l2s, rel_tol=1e-13, abs_tol=4e-16 * lam)
    assert math.isclose(lam * alpha, l1s, rel_tol=1e-13, abs_tol=1e-300)
    s, a = sigmoid_elastic_net_to_softmax(lam, alpha)
    assert math.isclose(s, strength, rel_tol=1e-14, abs_tol=1e-300)
    assert math.isclose(a, l1_ratio, rel_tol=1e-14, abs_tol=1e-300)


@pytest.mark.parametrize("C", [0.05, 1.0, 20.0])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_C_map_against_scikit_learn(
    rng: np.random.Generator, C: float, weighted: bool
) -> None:
    from sklearn.linear_model import LogisticRegression

    X, y = make_data(rng, n_samples=120)
    s = rng.uniform(0.2, 3.0, size=len(y)) if weighted else np.ones(len(y))
    # scikit-learn's multinomial objective: (1/S) sum s_i CE_i + ||W||^2 / (2 S C)
    W, b = fit_softmax_2(X, y, l2=1.0 / (s.sum() * C), sample_weight=s)
    Cs = softmax_C_to_sigmoid(C)
    assert Cs == 2 * C
    clf = LogisticRegression(C=Cs, tol=1e-12, max_iter=10_000)
    clf.fit(X, y, sample_weight=s if weighted else None)
    np.testing.assert_allclose(clf.coef_[0], W[1] - W[0], atol=2e-6)
    np.testing.assert_allclose(clf.intercept_[0], b[1] - b[0], atol=2e-6)
    np.testing.assert_allclose(W[0] + W[1], 0.0, atol=1e-6)
    assert sigmoid_C_to_softmax(Cs) == C


def test_C_map_infinity() -> None:
    assert softmax_C_to_sigmoid(np.inf) == np.inf
    assert sigmoid_C_to_softmax(float("inf")) == np.inf
    assert softmax_C_to_sigmoid(1) == 2.0
    assert isinstance(softmax_C_to_sigmoid(1), float)


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (
            lambda: softmax_penalty_to_sigmoid(l2=-1.0),
            ValueError,
            r"`l2` must be a non-negative number \(finite\); got -1.0",
        ),
        (
            lambda: softmax_penalty_to_sigmoid(l1=np.nan),
            ValueError,
            r"`l1` must be a non-negative",
        ),
        (lambda: softmax_penalty_to_sigmoid(l2=np.inf), ValueError, r"`l2` .*got inf"),
        (lambda: sigmoid_penalty_to_softmax(l1=-0.5), ValueError, r"`l1` .*got -0.5"),
        (
            lambda: softmax_penalty_to_sigmoid(l2="1"),
            TypeError,
            r"`l2` must be a real number; got str",
        ),  # type: ignore[arg-type]
        (
            lambda: softmax_penalty_to_sigmoid(l1=True),
            TypeError,
            r"`l1` must be a real number; got bool",
        ),
        (
            lambda: softmax_elastic_net_to_sigmoid(-1.0, 0.5),
            ValueError,
            r"`strength` must be a non-negative",
        ),
        (
            lambda: softmax_elastic_net_to_sigmoid(1.0, 1.5),
            ValueError,
            r"`l1_ratio` must lie in \[0, 1\]; got 1.5",
        ),
        (
            lambda: sigmoid_elastic_net_to_softmax(1.0, -0.1),
            ValueError,
            r"`l1_ratio` must lie in \[0, 1\]; got -0.1",
        ),
        (
            lambda: sigmoid_elastic_net_to_softmax(1.0, np.nan),
            ValueError,
            r"`l1_ratio` must lie in \[0, 1\]; got nan",
        ),
        (
            lambda: sigmoid_elastic_net_to_softmax(1.0, None),
            TypeError,
            r"`l1_ratio` must be a real number; got NoneType",
        ),  # type: ignore[arg-type]
        (
            lambda: softmax_C_to_sigmoid(0.0),
            ValueError,
            r"`C` must be positive \(np.inf for no penalty\); got 0.0",
        ),
        (
            lambda: sigmoid_C_to_softmax(-2.0),
            ValueError,
            r"`C` must be positive .*got -2.0",
        ),
        (
            lambda: softmax_C_to_sigmoid(np.nan),
            ValueError,
            r"`C` must be positive .*got nan",
        ),
        (
            lambda: sigmoid_C_to_softmax("1"),
            TypeError,
            r"`C` must be a real number; got str",
        ),  # type: ignore[arg-type]
    ],
)
def test_penalty_map_errors(call: object, exc: type[Exception], match: str) -> None:
    with pytest.raises(exc, match=match):
        call()  # type: ignore[operator]
