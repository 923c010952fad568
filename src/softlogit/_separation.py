r"""Does the unpenalized maximum-likelihood estimate exist? (separation check).

An unpenalized logistic or softmax (multinomial) regression has a finite
maximum-likelihood estimate (MLE) exactly when its data are *overlapping*: neither
completely nor quasi-completely separated (Albert & Anderson, 1984; Santner & Duffy,
1986). On separated data the log-likelihood keeps increasing along some direction and
every solver's iterates diverge; the only finite answer is a penalized fit (finite ``C``).

Theory
------
Write :math:`\tilde x_i` for row :math:`i` of the design matrix (with a trailing ``1``
when there is an intercept), :math:`y_i \in \{0, \dots, K-1\}` for its class and
:math:`d_0, \dots, d_{K-1}` for a direction in coefficient space (one row per class).
The negative log-likelihood is convex and bounded below by 0, and along :math:`D` each
sample's term :math:`\log \sum_j \exp\big((d_j - d_{y_i}) \cdot \tilde x_i\, t\big)`
is non-increasing in :math:`t` exactly when

.. math:: (d_{y_i} - d_j) \cdot \tilde x_i \ge 0 \quad \text{for all } i
    \text{ and all } j \ne y_i,

and constant exactly when all these are equalities. So the MLE fails to exist if and
only if some :math:`D` satisfies all inequalities with at least one of them strict
(complete separation when all are strict, quasi-complete separation otherwise). Adding
the same vector to every row does not change the model, so one row (the reference class
:math:`r`) is fixed at :math:`d_r = 0`. For :math:`K = 2` this is the classical
condition for logistic regression: some :math:`\beta` has
:math:`(2 y_i - 1)\, \tilde x_i \cdot \beta \ge 0` for every sample, strictly for one.

The check solves the linear program (Konis, 2007, extended to :math:`K` classes)

.. math:: \max_D \sum_{i, j \ne y_i} (d_{y_i} - d_j) \cdot \tilde x_i
    \quad\text{subject to}\quad
    0 \le (d_{y_i} - d_j) \cdot \tilde x_i \le 1,\; d_r = 0,

whose optimum is 0 on overlapping data and at least 1 on separated data (scale a
separating direction until its largest margin is 1). It is *exact*: necessary and
sufficient, for any :math:`K`. Simpler checks are one-sided: if every *pair* of classes
overlaps, the multinomial MLE exists (a direction :math:`D` as above would make
:math:`d_k - d_l` separate the pair :math:`k, l`), but a separable pair does not imply
that it fails; if some class is separable from the *rest* by :math:`u`, the MLE fails
(take :math:`d_k = u` and the other rows 0), but every class overlapping the rest does
not imply that it exists. The tests show a counterexample to each converse.

Cost
----
Linear programs with :math:`n (K-1)` constraints are slow for large data (HiGHS takes
seconds at :math:`n (K-1) (p+1) \approx 10^6`, and much longer when the data are
separated), too slow for every fit. :func:`check_separation` therefore has three routes:

* **Certificate from a fit** (cheap, any size). The program's dual (Stiemke's lemma)
  says the data overlap if and only if positive multipliers
  :math:`\lambda_{ij} > 0` satisfy
  :math:`\sum_{i, j \ne y_i} \lambda_{ij} (e_{y_i} - e_j) \otimes \tilde x_i = 0`.
  The log-likelihood gradient is exactly this sum with
  :math:`\lambda_{ij} = s_i p_{ij}`, so the probabilities of an unpenalized fit at
  its MLE are such a certificate. Near the MLE a small correction on a subsample of
  rows makes the sum vanish (a linear solve of the size of a Hessian); if the
  corrected multipliers stay positive, the MLE exists. The multipliers are floored at
  ``1e-6`` (times the weight) first, so that probabilities that underflowed along a
  separating direction (where a solver stops on separated data) cannot pass for a
  certificate: on separated data none exists, whatever the starting point.
* **Separation shown by a fit** (cheap, any size, complete separation only). If the
  fitted probabilities classify every sample strictly correctly, the fitted
  coefficients themselves are a separating direction.
* **The exact program**, when its constraint matrix has at most ``max_lp_size``
  nonzeros (about a second at the default); beyond that, after a fit whose
  probabilities gave no certificate, the program on *working sets* of samples
  (constraint generation): the samples the fit finds most ambiguous first, then those
  that the program's direction gets wrong. A working set that overlaps and spans the
  design's row space proves overlap; a direction that separates it and keeps every
  sample's margins non-negative proves separation. Each program stays within the
  size cap, so this concludes only when few samples decide the question (always
  the case for complete separation found by a fit, and for low-dimensional data).

The estimators try one more route first, after Newton's method (which computes
Hessians anyway), with :func:`curvature_certificate`:

* **Certificate from curvature** (nearly free after Newton). Let :math:`f` be the
  mean negative log-likelihood in the reference-gauge parameters :math:`\theta` (the
  logit differences :math:`\theta_k \cdot \tilde x_i`), :math:`g` its gradient at
  the final iterate :math:`\theta_0`, :math:`H` its Hessian at a point at distance
  :math:`d` from :math:`\theta_0`, :math:`\mu = \lambda_{\min}(H)` and
  :math:`R = \max_i \|\tilde x_i\|`. Moving :math:`\theta` by :math:`\Delta`
  changes every logit difference by at most :math:`\delta = R \|\Delta\|`, every
  probability by a factor in :math:`[e^{-2\delta}, e^{2\delta}]`, and so every
  sample's curvature :math:`u^T (\operatorname{diag} p - p p^T) u = \tfrac12
  \sum_{j, k} p_j p_k (u_j - u_k)^2` by at least :math:`e^{-4\delta}`. On the
  sphere :math:`\|\theta - \theta_0\| = r` therefore
  :math:`f(\theta) \ge f(\theta_0) - \|g\| r + \tfrac12 \mu e^{-4R(r + d)} r^2`,
  which exceeds :math:`f(\theta_0)` for :math:`r = 1 / (4R)` if
  :math:`\|g\| < \mu e^{-1 - 4 R d} / (8 R)`. Then the minimum of :math:`f` over
  the ball lies inside it, a local minimum of a convex function: the MLE exists.
  Rounding errors of :math:`g` and :math:`\mu` are bounded and subtracted first.
  The check needs one eigenvalue of a Hessian the solver already has and one pass
  over ``X`` for :math:`R`; it concludes whenever Newton converged on data whose
  information is not nearly singular.

Without a conclusion and beyond the size cap the check returns ``False`` (not proven)
without error: it is then sufficient but not necessary. The estimators record this in
``summary().mle_verified``, and :meth:`~softlogit._inference.InferenceMixin.summary`
warns that quasi-complete separation was not ruled out.

Samples with zero weight do not enter the likelihood and are ignored; positive weights
do not change separability.

References
----------
.. [1] A. Albert and J. A. Anderson (1984). On the existence of maximum likelihood
   estimates in logistic regression models. Biometrika 71(1), 1-10.
.. [2] T. J. Santner and D. E. Duffy (1986). A note on A. Albert and J. A. Anderson's
   conditions for the existence of maximum likelihood estimates in logistic regression
   models. Biometrika 73(3), 755-758.
.. [3] K. Konis (2007). Linear programming algorithms for detecting separated data in
   binary logistic regression models. DPhil thesis, University of Oxford.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from softlogit._rows import float64_blocks, rows_tmatmul
from softlogit._typing import ArrayLike, FloatArray, IntArray
from softlogit.errors import InputValueError, SeparationError

__all__ = [
    "SeparationError",
    "check_separation",
    "curvature_bound",
    "curvature_certificate",
    # The pieces of the certificate that softlogit._dask computes block by block.
    "largest_multiplier_change",
    "multiplier_correction",
    "multiplier_sum",
    "pair_matrix",
    "with_intercept",
]

# The LP optimum is 0 on overlapping data and >= 1 on separated data.
_LP_THRESHOLD = 0.5
# Smallest multiplier of the certificate, relative to the sample weight.
_FLOOR = 1e-6


def _max_row_norm_sq(X: FloatArray) -> float:
    """The largest ``||x_i||^2``, in float64."""
    return max(
        (
            float(np.max(np.einsum("ij,ij->i", B, B), initial=0.0))
            for B in float64_blocks(X)
        ),
        default=0.0,
    )


def _frobenius_sq(X: FloatArray) -> float:
    """``||X||_F^2`` in float64 (for float64 ``X``, one block: ``norm(X) ** 2``)."""
    return math.fsum(float(np.linalg.norm(B) ** 2) for B in float64_blocks(X))


def with_intercept(X: FloatArray, fit_intercept: bool) -> FloatArray:
    """Return ``[X, 1]`` (or ``X``): the intercept last, the package's layout."""
    if not fit_intercept:
        return X
    return np.hstack([X, np.ones((X.shape[0], 1))])


def _design(X: FloatArray, fit_intercept: bool) -> FloatArray:
    """Return ``[X, 1]`` (or ``X``) with columns scaled to unit max-abs (LP numerics)."""
    X = np.asarray(with_intercept(X, fit_intercept), dtype=np.float64)
    scale = np.max(np.abs(X), axis=0) if X.shape[0] else np.ones(X.shape[1])
    scale[scale == 0] = 1.0
    return X / scale


def _constraints(
    Z: FloatArray, y: NDArray[np.int64], n_classes: int
) -> tuple[Any, NDArray[np.int64], NDArray[np.int64]]:
    """Rows ``(e_{y_i} - e_j) (x) x_i`` for every ``j != y_i``, reference class 0.

    Returns the sparse matrix and, per row, the sample ``i`` and the class ``j``.
    """
    from scipy.sparse import coo_array

    q = Z.shape[1]
    rows: list[NDArray[np.int64]] = []
    cols: list[NDArray[np.int64]] = []
    vals: list[FloatArray] = []
    pairs_i: list[NDArray[np.int64]] = []
    pairs_j: list[NDArray[np.int64]] = []
    row0 = 0
    feature = np.arange(q)
    for j in range(n_classes):
        idx = np.flatnonzero(y != j)  # constraint (i, j) for every i with y_i != j
        m = idx.size
        if m == 0:
            continue
        r = row0 + np.arange(m)
        yi = y[idx]
        # + x_i in block y_i (if y_i is not the reference)
        keep = yi != 0
        rows.append(np.repeat(r[keep], q))
        cols.append(((yi[keep] - 1)[:, None] * q + feature).ravel())
        vals.append(Z[idx[keep]].ravel())
        # - x_i in block j (if j is not the reference)
        if j != 0:
            rows.append(np.repeat(r, q))
            cols.append(np.tile((j - 1) * q + feature, m))
            vals.append(-Z[idx].ravel())
        pairs_i.append(idx)
        pairs_j.append(np.full(m, j))
        row0 += m
    A = coo_array(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(row0, (n_classes - 1) * q),
    ).tocsr()
    return A, np.concatenate(pairs_i), np.concatenate(pairs_j)


def _solve_lp(
    X: FloatArray, y: NDArray[np.int64], n_classes: int
) -> tuple[float, FloatArray, FloatArray]:
    """Solve the separation program on ``(X, y)``.

    Returns the optimum, the margins ``(d_{y_i} - d_j) . x_i`` at the optimum (0 for
    ``j == y_i``) and the direction ``D`` of shape ``(n_classes, n_terms)`` (row 0,
    the reference class, is zero).
    """
    from scipy.optimize import linprog
    from scipy.sparse import vstack

    A, pairs_i, pairs_j = _constraints(X, y, n_classes)
    row0 = A.shape[0]
    c = -np.asarray(A.sum(axis=0)).ravel()
    # 0 <= A d <= 1 as A d <= 1 and -A d <= 0.
    res = linprog(
        c,
        A_ub=vstack([A, -A], format="csr"),
        b_ub=np.concatenate([np.ones(row0), np.zeros(row0)]),
        bounds=(None, None),
        method="highs",
    )
    if res.status != 0 or res.x is None:  # pragma: no cover - HiGHS is robust here
        raise RuntimeError(f"separation LP failed: {res.message}")
    margins = np.zeros((X.shape[0], n_classes))
    margins[pairs_i, pairs_j] = A @ res.x
    direction = np.vstack([np.zeros(X.shape[1]), res.x.reshape(n_classes - 1, -1)])
    return float(-res.fun), margins, direction


def _margins(Z: FloatArray, y: NDArray[np.int64], direction: FloatArray) -> FloatArray:
    """``(d_{y_i} - d_j) . z_i`` for every sample and class (0 for ``j == y_i``)."""
    scores = Z @ direction.T
    return scores[np.arange(y.size), y][:, None] - scores


def _rank(Z: FloatArray) -> int:
    """Numerical rank of ``Z`` (its columns are scaled to unit max-abs)."""
    if Z.shape[0] == 0:
        return 0
    sv = np.linalg.svd(Z.T @ Z, compute_uv=False)
    return int(np.sum(sv > sv[0] * 1e-12)) if sv[0] > 0 else 0


def _constraint_generation(
    Z: FloatArray,
    y: NDArray[np.int64],
    n_classes: int,
    order: NDArray[np.int64],
    max_lp_size: int,
) -> bool:
    """Decide separation with programs on growing working sets of samples.

    Starts from the first samples of ``order`` (the most ambiguous ones when fitted
    probabilities are known) and adds the samples that the program's direction gets
    wrong. Exact when it concludes: a working set that overlaps and spans the row
    space of ``Z`` proves overlap (every separating direction of all the data would
    separate the working set); a direction that separates the working set and keeps
    every sample's margins non-negative separates all the data. Returns ``False``
    when the working set outgrows ``max_lp_size`` (inconclusive).
    """
    n, q = Z.shape
    per_row = 2 * (n_classes - 1) * q
    step = max(1, max_lp_size // (4 * per_row))
    if step < q:
        return False  # a working set cannot even span the features
    full_rank = _rank(Z)
    chosen = np.zeros(n, dtype=bool)
    chosen[order[:step]] = True
    cursor = step
    while chosen.sum() * per_row <= max_lp_size:
        work = np.flatnonzero(chosen)
        value, _, direction = _solve_lp(Z[work], y[work], n_classes)
        if value < _LP_THRESHOLD:
            if np.unique(y[work]).size == n_classes and _rank(Z[work]) == full_rank:
                return True
            extra = order[cursor : cursor + step]  # widen the span
            cursor += step
        else:
            margins = _margins(Z, y, direction)
            worst = margins.min(axis=1)
            violated = np.flatnonzero(worst < -1e-7)
            if violated.size == 0:
                _raise_separated_by(margins, y)
            extra = violated[np.argsort(worst[violated])][:step]
        if extra.size == 0:
            return False  # pragma: no cover - nothing left to add
        chosen[extra] = True
    return False


def _psd_solve(m: FloatArray, g: FloatArray) -> FloatArray:
    """Solve ``m x = g`` for a positive semi-definite ``m`` (minimum-norm if singular)."""
    from scipy.linalg import LinAlgError, cho_factor, cho_solve

    d = np.sqrt(np.maximum(np.diag(m), 1e-300))
    try:  # Cholesky of the unit-diagonal matrix: fast when m is definite
        factor = cho_factor(m / np.outer(d, d), check_finite=False)
        x: FloatArray = cho_solve(factor, g / d, check_finite=False) / d
        if np.all(np.isfinite(x)):
            return x
    except LinAlgError:
        pass
    evals, evecs = np.linalg.eigh(m)
    keep = evals > evals[-1] * 1e-12
    out: FloatArray = evecs[:, keep] @ ((evecs[:, keep].T @ g) / evals[keep])
    return out


def pair_matrix(Z: FloatArray, y: NDArray[np.int64], w: FloatArray) -> FloatArray:
    """``sum_i sum_{j != y_i} w_ij (e_{y_i} - e_j)(e_{y_i} - e_j)^T (x) z_i z_i^T``.

    Per sample the class matrix is ``W_i e_y e_y^T + diag(w_i) - e_y w_i^T -
    w_i e_y^T`` (``W_i = sum_j w_ij``, ``w_{i, y_i} = 0``), so every block is a
    weighted Gram matrix of the rows of one class: ``K`` products of shape
    ``(q, n_a) x (n_a, K q)`` in all, instead of one per pair of classes.
    """
    q = Z.shape[1]
    k = w.shape[1]
    m = np.zeros((k * q, k * q))
    for a in range(k):
        rows = y == a
        Za, wa = Z[rows], w[rows]
        if Za.shape[0] == 0:
            continue
        # H[:, b] = Za^T diag(w_ab) Za for every class b (zero for b = a)
        H = (
            Za.T @ (Za[:, None, :] * wa[:, :, None]).reshape(Za.shape[0], k * q)
        ).reshape(q, k, q)
        sa = slice(a * q, (a + 1) * q)
        m[sa, sa] += Za.T @ (Za * wa.sum(axis=1)[:, None])
        for b in range(k):
            if b == a:
                continue
            sb = slice(b * q, (b + 1) * q)
            m[sa, sb] -= H[:, b]
            m[sb, sa] -= H[:, b]
            m[sb, sb] += H[:, b]
    return m


def _certificate(
    X: FloatArray,
    fit_intercept: bool,
    y: NDArray[np.int64],
    s: FloatArray,
    proba: FloatArray,
    *,
    rows_per_class: int,
    rng: np.random.Generator,
) -> bool:
    """Try to build a Stiemke certificate of overlap from fitted probabilities.

    The multipliers start at ``lam[i, j] = s_i max(p_ij, FLOOR)`` (``j != y_i``); at
    the MLE and without the floor, ``A^T lam`` is the log-likelihood gradient, zero.
    A correction on a class-stratified subset ``T`` of samples,
    ``lam_T <- lam_T (1 - A_T delta)`` with ``A_T^T diag(lam_T) A_T delta = A^T lam``,
    makes ``A^T lam = 0``; the certificate holds if every corrected multiplier keeps
    at least half its value (``A_T delta < 1/2``). The floor keeps every multiplier
    far above rounding level, so that a certificate cannot arise from probabilities
    that underflowed along a separating direction: on separated data no positive
    multipliers satisfy the equation, whatever the start.

    The design ``Z = [X, 1]`` is never formed for all samples: ``A^T lam`` takes one
    product with ``X`` (plus column sums for the intercept), and the rounding scale
    of that sum, ``|| |coefs|^T |Z| ||_F``, is bounded by ``||coefs||_F ||Z||_F``.
    """
    k = proba.shape[1]
    lam, g, coefs_sq, z_sq = multiplier_sum(X, fit_intercept, y, s, proba)
    idx = np.concatenate(
        [rng.permutation(np.flatnonzero(y == c))[:rows_per_class] for c in range(k)]
    )
    # Unscaled columns: _psd_solve scales the matrix to unit diagonal, which is the
    # same as scaling the columns of the design.
    Zt, yt, w = with_intercept(X[idx], fit_intercept), y[idx], lam[idx]
    q = Zt.shape[1]
    m = pair_matrix(Zt, yt, w)[q:, q:]  # reference class 0 dropped
    delta = multiplier_correction(m, g.ravel(), float(np.sqrt(coefs_sq * z_sq)))
    return delta is not None and largest_multiplier_change(Zt, yt, delta) < 0.5


def multiplier_sum(
    X: FloatArray,
    fit_intercept: bool,
    y: NDArray[np.int64],
    s: FloatArray,
    proba: FloatArray,
) -> tuple[FloatArray, FloatArray, float, float]:
    """The floored multipliers of :func:`_certificate` and their sum ``A^T lam``.

    Returns ``lam`` ``(n, k)`` (0 at each sample's own class), ``A^T lam`` ``(k - 1,
    q)`` (reference class 0 dropped), and the squared Frobenius norms of the
    coefficients of ``A^T lam`` per sample and of the design ``Z = [X, 1]``, whose
    product bounds the rounding scale of the sum. All but ``lam`` are sums over
    samples, so blocks of rows can be added.
    """
    n = X.shape[0]
    rows = np.arange(n)
    lam = np.maximum(proba, _FLOOR) * s[:, None]
    lam[rows, y] = 0.0
    # A^T lam: sample i contributes (sum_j lam_ij) e_{y_i} - lam_i, times z_i;
    # the reference class 0 is dropped.
    coefs = -lam
    coefs[rows, y] = lam.sum(axis=1)
    gw = rows_tmatmul(coefs, X)
    g = (np.column_stack([gw, coefs.sum(axis=0)]) if fit_intercept else gw)[1:]
    z_sq = _frobenius_sq(X) + (n if fit_intercept else 0)
    return lam, g, float(np.linalg.norm(coefs) ** 2), z_sq


def multiplier_correction(
    m: FloatArray, g: FloatArray, scale: float
) -> FloatArray | None:
    """``delta`` with ``m delta = g`` (``A_T^T diag(lam_T) A_T delta = A^T lam``), or
    None when ``g`` is not in the range of ``m`` (``scale``: rounding scale of g)."""
    delta = _psd_solve(m, g)
    residual = float(np.linalg.norm(m @ delta - g))
    if residual > 1e-8 * max(float(np.linalg.norm(g)), 1e-8 * scale):
        return None  # A^T lam is not in the range of the subset's matrix
    return delta


def largest_multiplier_change(
    Zt: FloatArray, yt: NDArray[np.int64], delta: FloatArray
) -> float:
    """The largest relative change ``(A_T delta)_ij`` of a corrected multiplier."""
    q = Zt.shape[1]
    if yt.size == 0:
        return -np.inf
    d = np.vstack([np.zeros(q), delta.reshape(-1, q)])
    margins = Zt @ d.T  # (|T|, k)
    a_delta = margins[np.arange(yt.size), yt][:, None] - margins
    a_delta[np.arange(yt.size), yt] = -np.inf
    return float(np.max(a_delta))


def curvature_certificate(
    gradient: FloatArray,
    hessian: FloatArray,
    distance: float,
    X: FloatArray,
    fit_intercept: bool,
) -> bool:
    """Prove that an unpenalized MLE exists from a gradient and a nearby Hessian.

    Parameters
    ----------
    gradient : ndarray of shape (m,)
        Gradient of the *mean* (weighted) negative log-likelihood, in the
        reference-gauge parameters (logit differences to one class; the coefficients
        of a logistic regression), at the final iterate.
    hessian : ndarray of shape (m, m)
        Its Hessian, at a point ``distance`` away from the final iterate (Euclidean
        norm in the same parameters), without any penalty.
    distance : float
        The distance between the two points (0 if the same).
    X : ndarray of shape (n_samples, n_features)
        The training features (rows of zero weight included: that only makes the
        bound more cautious).
    fit_intercept : bool
        Whether the design has a constant column.

    Returns
    -------
    bool
        ``True`` if the MLE is proven to exist (see the module documentation);
        ``False`` if this check cannot tell.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.special import expit
    >>> X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    >>> y = np.array([0, 1, 0, 1])  # overlapping; the MLE is w = 0.41962, b = 0
    >>> def grad_hess(w):
    ...     z = np.column_stack([X[:, 0], np.ones(4)])
    ...     p = expit(z @ w)
    ...     return z.T @ (p - y) / 4, (z.T * (p * (1 - p))) @ z / 4
    >>> g, _ = grad_hess(np.array([0.41962, 0.0]))  # near the MLE
    >>> _, H = grad_hess(np.array([0.3, 0.0]))  # a Hessian 0.11962 away
    >>> curvature_certificate(g, H, 0.11962, X, True)
    True
    >>> g, H = grad_hess(np.zeros(2))  # far from it: cannot tell
    >>> curvature_certificate(g, H, 0.0, X, True)
    False
    """
    R = float(np.sqrt(_max_row_norm_sq(X) + (1.0 if fit_intercept else 0.0)))
    return curvature_bound(gradient, hessian, distance, R, X.shape[0])


def curvature_bound(
    gradient: FloatArray, hessian: FloatArray, distance: float, R: float, n: int
) -> bool:
    """:func:`curvature_certificate` from ``R``, the largest norm of a design row
    (``(x_i, 1)`` with an intercept), and the number of rows ``n``."""
    m = gradient.size
    if m == 0 or hessian.shape != (m, m):
        return False
    if not (R > 0 and np.isfinite(R)):
        return False
    eps = float(np.finfo(np.float64).eps)
    # Rounding: each entry of g is a mean of n terms of size <= R, each entry of H of
    # n terms of size <= R^2 / 4; the eigenvalue solver adds about m eps ||H||.
    g_error = (n + 10) * eps * R * np.sqrt(m)
    mu_error = (n + 10 * m) * eps * m * R**2
    if not np.all(np.isfinite(hessian)):
        return False
    try:
        mu = float(np.linalg.eigvalsh(hessian)[0])  # m is small after Newton
    except np.linalg.LinAlgError:
        return False
    mu -= mu_error
    g_norm = float(np.linalg.norm(gradient)) + g_error
    if not (mu > 0 and np.isfinite(g_norm)):
        return False
    bound = mu * np.exp(-1.0 - 4.0 * R * distance) / (8.0 * R)
    return bool(g_norm < bound)


def check_separation(
    X: ArrayLike,
    y_encoded: ArrayLike,
    sample_weight: ArrayLike | None = None,
    *,
    fit_intercept: bool = True,
    proba: ArrayLike | None = None,
    max_lp_size: int = 250_000,
    random_state: int = 0,
) -> bool:
    """Raise :class:`SeparationError` if the unpenalized MLE does not exist.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Finite numeric features, checked as the estimators' ``fit`` checks them.
    y_encoded : array-like of shape (n_samples,)
        Class labels, checked and encoded as ``fit`` does (the sorted distinct
        values are the classes ``0..n_classes-1``; integer labels ``0..K-1``
        keep their meaning). Continuous values are refused.
    sample_weight : array-like of shape (n_samples,), default=None
        Finite non-negative weights with a positive sum; samples of weight 0 are
        ignored.
    fit_intercept : bool, default=True
        Whether the model has an intercept (a constant column in the design).
    proba : array-like of shape (n_samples, n_classes), default=None
        Class probabilities of an unpenalized fit's final iterate, from a linear
        softmax (or logistic) model with the same intercept setting. Near the MLE they
        give a certificate of overlap at the cost of one Hessian-sized matrix on a
        subsample (see Notes); large data sets are checked exactly only this way.
    max_lp_size : int, default=250_000
        Size cap of the linear programs: nonzero coefficients of their constraint
        matrix, about ``2 n (n_classes - 1) (n_features + 1)``. At the default, a
        check takes at most about a second on overlapping data (HiGHS); programs on
        separated data with many parameters are slower.
    random_state : int, default=0
        Seed of the subsamples.

    Returns
    -------
    bool
        ``True`` if the data were proven to overlap (the MLE exists), ``False`` if
        the check was inconclusive (too large for the linear program and no
        certificate from ``proba``).

    Raises
    ------
    InputValueError, InputTypeError
        For arguments ``fit`` would refuse (the message names the argument):
        ``X`` not 2-D, not finite or not numeric, ``X`` and ``y_encoded`` of
        different lengths, labels that are not classes, invalid weights or
        ``proba`` of the wrong shape.
    SeparationError
        If the data are completely or quasi-completely separated. The message names
        the kind of separation and suggests a finite ``C``.

    Notes
    -----
    The checks, in order, each ending the call when conclusive:

    1. With ``proba``: if the fitted model classifies every sample strictly
       correctly, its coefficients separate the data completely
       (:class:`SeparationError`). Otherwise a Stiemke certificate (see the module
       documentation) built from the probabilities, each floored at ``1e-6`` so that it is far from
       rounding level; it exists only on overlapping data, and it is found when the
       fit is close enough to the MLE.
    2. If the linear program on all samples fits in ``max_lp_size``: the exact
       answer (overlap, or :class:`SeparationError`).
    3. With ``proba`` and larger data: programs on working sets of samples (the
       most ambiguous under the fit first, then those a candidate direction gets
       wrong), each within ``max_lp_size``; exact when they conclude.

    Otherwise the call returns ``False`` without error: for data larger than the cap
    the check is sufficient, not necessary.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    >>> check_separation(X, np.array([0, 0, 1, 1]))
    Traceback (most recent call last):
    ...
    softlogit.SeparationError: the data are completely separated: ...
    >>> check_separation(X, np.array([0, 1, 0, 1]))  # overlapping: proven
    True
    """
    from softlogit._validation import (
        Boolean,
        Integer,
        check_finite,
        check_numeric_columns,
        check_param,
        check_same_length,
        encode_labels,
        real_array,
        sklearn_input_errors,
    )
    from softlogit._weights import check_sample_weight

    fit_intercept = check_param("fit_intercept", fit_intercept, Boolean())
    max_lp_size = check_param("max_lp_size", max_lp_size, Integer(low=0))
    random_state = check_param("random_state", random_state, Integer(low=0))
    from sklearn.utils import check_array

    check_numeric_columns(X)
    check_same_length(X, y_encoded, "y_encoded")
    with sklearn_input_errors():  # as fit converts X (then the same checks)
        Xa = check_array(X, dtype=np.float64, ensure_all_finite=False)
    check_finite(Xa)
    ya = np.asarray(y_encoded)
    if ya.ndim != 1:
        raise InputValueError(
            f"`y_encoded` must be 1-D of shape (n_samples,); got shape {ya.shape}."
        )
    if ya.size == 0:
        raise InputValueError("`X` and `y_encoded` must have at least one sample.")
    # (a single class is not refused here: it is separated, which the check says)
    _, labels = encode_labels(ya, "y_encoded", min_classes=1)
    sw = check_sample_weight(sample_weight, Xa.shape[0])
    pa = None
    if proba is not None:
        pa = real_array("proba", proba).astype(np.float64)
        if pa.ndim != 2 or pa.shape[0] != Xa.shape[0] or not np.all(np.isfinite(pa)):
            raise InputValueError(
                "`proba` must be finite, of shape (n_samples, n_classes) = "
                f"({Xa.shape[0]}, {int(labels.max()) + 1}); got shape {pa.shape}."
            )
    return _check_separation(
        Xa,
        labels,
        sw,
        fit_intercept=fit_intercept,
        proba=pa,
        max_lp_size=max_lp_size,
        random_state=random_state,
    )


def _check_separation(
    X: FloatArray,
    y_encoded: IntArray,
    sample_weight: FloatArray | None = None,
    *,
    fit_intercept: bool = True,
    proba: FloatArray | None = None,
    max_lp_size: int = 250_000,
    random_state: int = 0,
) -> bool:
    """:func:`check_separation` on validated arguments (labels ``0..K-1``)."""
    # float32 features stay float32: the products with them are formed in float64.
    Xa = X if X.dtype == np.float32 else np.asarray(X, dtype=np.float64)
    ya = np.asarray(y_encoded).astype(np.int64, copy=False)
    sw = (
        np.ones(ya.shape[0])
        if sample_weight is None
        else np.asarray(sample_weight, dtype=np.float64)
    )
    pa = None if proba is None else np.asarray(proba, dtype=np.float64)
    keep = sw > 0
    if not np.all(keep):
        Xa, ya, sw = Xa[keep], ya[keep], sw[keep]
        pa = None if pa is None else pa[keep]
    present = np.unique(ya)
    n_classes = int(present[-1]) + 1 if present.size else 0
    check_two_classes(present)
    if pa is not None and pa.shape[1] != n_classes:
        pa = None  # classes absent after dropping zero weights: no certificate
    n, q = Xa.shape[0], Xa.shape[1] + int(fit_intercept)
    lp_size = 2 * n * (n_classes - 1) * q
    if pa is not None:
        _check_fitted_separation(pa, ya)
    if pa is None and lp_size > max_lp_size:
        return False  # nothing affordable to try: inconclusive (documented)
    if pa is not None and _certificate(
        Xa,
        fit_intercept,
        ya,
        sw,
        pa,
        rows_per_class=max(2 * q + 20, 2000 // n_classes),
        rng=np.random.default_rng(random_state),
    ):
        return True
    Z = _design(Xa, fit_intercept)
    if lp_size <= max_lp_size:
        value, margins, _ = _solve_lp(Z, ya, n_classes)
        if value >= _LP_THRESHOLD:
            _raise_separated(Z, ya, n_classes, margins)
        return True
    # Too large for one program, and the fit gave no certificate (so it may be
    # separated): working sets, the samples the fit finds most ambiguous first.
    assert pa is not None
    rows = np.arange(n)
    others = pa.copy()
    others[rows, ya] = -np.inf
    order = np.argsort(pa[rows, ya] - others.max(axis=1), kind="stable")
    return _constraint_generation(Z, ya, n_classes, order, max_lp_size)


def check_two_classes(present: NDArray[np.int64]) -> None:
    """Raise unless at least two classes (``present``, encoded) have weight."""
    if present.size < 2:
        raise SeparationError(
            "the data are separated: only one class has positive weight, so its "
            "probability is driven to 1; the fit needs at least two classes.",
            kind="complete",
            classes=tuple(int(c) for c in present),
        )


def _check_fitted_separation(proba: FloatArray, y: NDArray[np.int64]) -> None:
    """Raise if the fitted model itself classifies every sample strictly correctly.

    The probabilities come from linear logits ``z_ij = theta_j . x_i``, and
    ``p_{i y_i} > p_ij`` means ``(theta_{y_i} - theta_j) . x_i > 0``: if that holds
    for every sample and class, ``theta`` is a direction of complete separation.
    """
    if n_misclassified(proba, y) == 0:
        raise fitted_separation_error(np.unique(y))


def n_misclassified(proba: FloatArray, y: NDArray[np.int64]) -> int:
    """Samples whose own class does not have a strictly larger probability than
    every other class (0: the fit separates them completely)."""
    rows = np.arange(y.size)
    others = proba.copy()
    others[rows, y] = -np.inf
    return int(np.count_nonzero(~(proba[rows, y] > others.max(axis=1))))


def fitted_separation_error(classes: NDArray[np.int64]) -> SeparationError:
    """The error for data that a fit classifies completely correctly."""
    return SeparationError(
        "the data are completely separated: the fitted model classifies every "
        "training sample correctly, so its coefficients are a separating "
        "direction and the unpenalized maximum-likelihood estimate does not exist "
        "(the coefficients diverge). Use a finite C (a penalized fit, e.g. "
        "C=1.0), or remove the separating features.",
        kind="complete",
        classes=tuple(int(c) for c in classes),
    )


def _raise_separated_by(margins: FloatArray, y: NDArray[np.int64]) -> None:
    """Raise for a direction whose margins are all non-negative (not all zero)."""
    own = _own_class(margins, y)
    complete = bool(np.all(np.where(own, np.inf, margins) > 1e-7))
    _raise_separation(margins, y, own, complete)


def _own_class(margins: FloatArray, y: NDArray[np.int64]) -> NDArray[np.bool_]:
    """The mask of each sample's own class among its margins."""
    own = np.zeros(margins.shape, dtype=bool)
    own[np.arange(y.size), y] = True
    return own


def _raise_separation(
    margins: FloatArray,
    y: NDArray[np.int64],
    own: NDArray[np.bool_],
    complete: bool,
) -> None:
    """Raise the :class:`SeparationError` of a separating direction's margins.

    The classes involved are the samples' classes with a strictly positive margin
    and the classes against which some margin is strictly positive.
    """
    kind = "complete" if complete else "quasi-complete"
    strict = (margins > 1e-7) & ~own
    involved = sorted(
        {int(c) for c in np.unique(y[strict.any(axis=1)])}
        | {int(j) for j in np.flatnonzero(strict.any(axis=0))}
    )
    what = "the classes" if complete else f"some classes (encoded {involved})"
    raise SeparationError(
        f"the data are {kind}ly separated: a linear function of the features "
        f"separates {what}, so the unpenalized maximum-likelihood estimate does not "
        "exist (the coefficients diverge). Use a finite C (a penalized fit, e.g. "
        "C=1.0), or remove the separating features.",
        kind=kind,
        classes=tuple(involved),
    )


def _is_complete(Z: FloatArray, y: NDArray[np.int64], n_classes: int) -> bool:
    """Whether some direction separates every sample strictly (max-min margin LP)."""
    from scipy.optimize import linprog
    from scipy.sparse import csr_array, hstack, vstack

    A = _constraints(Z, y, n_classes)[0]
    rows = A.shape[0]
    ones = csr_array(np.ones((rows, 1)))
    zeros = csr_array((rows, 1))
    # maximize t subject to t <= A d (each margin) and A d <= 1
    c = np.zeros(A.shape[1] + 1)
    c[-1] = -1.0
    res = linprog(
        c,
        A_ub=vstack([hstack([-A, ones]), hstack([A, zeros])], format="csr"),
        b_ub=np.concatenate([np.zeros(rows), np.ones(rows)]),
        bounds=[(None, None)] * A.shape[1] + [(None, 1.0)],
        method="highs",
    )
    return bool(res.status == 0 and -res.fun > 1e-7)


def _raise_separated(
    Z: FloatArray, y: NDArray[np.int64], n_classes: int, margins: FloatArray
) -> None:
    own = _own_class(margins, y)
    _raise_separation(margins, y, own, _is_complete(Z, y, n_classes))
