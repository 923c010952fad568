"""``class_weight`` ('balanced' and dicts) against scikit-learn 1.9."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression as SkLogisticRegression

from softlogit import (
    InputTypeError,
    InputValueError,
    LogisticRegression,
    SoftmaxRegression,
    load_model,
)


def _data(rng, n_classes, n=240, p=4):
    X = rng.normal(size=(n, p))
    # Unbalanced classes: the weights matter.
    logits = X @ rng.normal(size=(p, n_classes)) + np.linspace(0, 2, n_classes)
    y = np.argmax(logits + rng.gumbel(size=(n, n_classes)), axis=1)
    return X, y


def _sklearn(X, y, class_weight, sw, C=0.7):
    sk = SkLogisticRegression(
        C=C, class_weight=class_weight, tol=1e-12, max_iter=10_000
    )
    return sk.fit(X, y, sample_weight=sw)


@pytest.mark.parametrize("class_weight", ["balanced", {0: 3.0, 1: 0.5}])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_logistic_matches_sklearn(rng, class_weight, weighted):
    X, y = _data(rng, 2)
    sw = rng.uniform(0.1, 2.0, len(y)) if weighted else None
    sk = _sklearn(X, y, class_weight, sw)
    ours = LogisticRegression(C=0.7, class_weight=class_weight).fit(X, y, sw)
    np.testing.assert_allclose(ours.coef_, sk.coef_, atol=1e-7)
    np.testing.assert_allclose(ours.intercept_, sk.intercept_, atol=1e-7)


@pytest.mark.parametrize("class_weight", ["balanced", {2: 4.0, 0: 0.25}])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_softmax_matches_sklearn(rng, class_weight, weighted):
    X, y = _data(rng, 3)
    sw = rng.uniform(0.1, 2.0, len(y)) if weighted else None
    sk = _sklearn(X, y, class_weight, sw)
    ours = SoftmaxRegression(C=0.7, class_weight=class_weight).fit(X, y, sw)
    np.testing.assert_allclose(ours.coef_, sk.coef_, atol=1e-7)
    np.testing.assert_allclose(ours.intercept_, sk.intercept_, atol=1e-7)


def test_balanced_weights_in_closed_form(rng):
    """'balanced' is S / (K S_k): the fit equals one with those sample weights."""
    X, y = _data(rng, 3)
    sw = rng.uniform(0.5, 1.5, len(y))
    S_k = np.array([sw[y == k].sum() for k in range(3)])
    explicit = sw * (sw.sum() / (3 * S_k))[y]
    a = SoftmaxRegression(C=0.2, l1_ratio=0.5, class_weight="balanced").fit(X, y, sw)
    b = SoftmaxRegression(C=0.2, l1_ratio=0.5).fit(X, y, explicit)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-12, atol=1e-14)


def test_string_labels_and_missing_classes(rng):
    """Dict keys are labels; a class left out weighs 1."""
    X, y = _data(rng, 3)
    labels = np.array(["a", "b", "c"])[y]
    a = SoftmaxRegression(class_weight={"b": 2.0}).fit(X, labels)
    b = SoftmaxRegression().fit(X, labels, np.where(labels == "b", 2.0, 1.0))
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-12, atol=1e-14)


def test_saved_and_loaded(rng, tmp_path):
    X, y = _data(rng, 2)
    clf = LogisticRegression(class_weight={0: 2.0, 1: 1.0}).fit(X, y)
    back = load_model(clf.save(tmp_path / "m.json"))
    assert back.class_weight == {0: 2.0, 1: 1.0}
    assert back.get_params() == clf.get_params()


def test_unknown_class_raises(rng):
    X, y = _data(rng, 2)
    with pytest.raises(InputValueError, match="key 5, which is not a class of `y`"):
        LogisticRegression(class_weight={5: 1.0}).fit(X, y)


def test_negative_weight_raises(rng):
    X, y = _data(rng, 2)
    with pytest.raises(InputValueError, match=r"`class_weight\[0\]` must be a finite"):
        LogisticRegression(class_weight={0: -1.0}).fit(X, y)


def test_weight_of_wrong_type_raises(rng):
    X, y = _data(rng, 2)
    with pytest.raises(InputTypeError, match=r"`class_weight\[1\]` must be a finite"):
        LogisticRegression(class_weight={1: "two"}).fit(X, y)


@pytest.mark.parametrize(
    ("value", "error"),
    [("balance", InputValueError), (3, InputTypeError)],
)
def test_bad_class_weight_raises(rng, value, error):
    X, y = _data(rng, 2)
    with pytest.raises(error, match="`class_weight` must be one of 'balanced', a dict"):
        SoftmaxRegression(class_weight=value).fit(X, y)


def test_zero_weight_on_a_class_raises(rng):
    X, y = _data(rng, 3)
    with pytest.raises(InputValueError, match="gives no weight to class"):
        SoftmaxRegression(class_weight={1: 0.0}).fit(X, y)
