"""The result of ``summary()``: coefficients, standard errors, tests, and renderers.

:class:`Summary` holds the numbers (computed by ``softlogit._inference``) in display
order (the intercept first, as statsmodels shows it) and renders them: a rich table
(:meth:`Summary.to_table`, :meth:`Summary.to_text`), a pandas DataFrame
(:meth:`Summary.to_frame`) and HTML for notebooks.
"""

from __future__ import annotations

import dataclasses
import io
from typing import TYPE_CHECKING

import numpy as np

from softlogit._typing import FloatArray

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Group
    from rich.table import Table

__all__ = ["Summary", "render_text"]


@dataclasses.dataclass(frozen=True, eq=False)
class Summary:
    """Coefficients, standard errors, tests and fit statistics of an unpenalized fit.

    Rows are equations (one per class whose coefficients are shown: all classes in the
    centered gauge, all but the reference class in the reference gauge, the positive
    class for a logistic regression), columns are terms (the intercept first).

    Attributes
    ----------
    model : str
        The estimator's class name.
    gauge : str or None
        ``"centered"`` or ``"reference"``; ``None`` for a logistic regression.
    reference_class : object or None
        The reference class of the reference gauge (the negative class of a
        logistic regression).
    classes : tuple
        The class label of each equation.
    terms : tuple of str
        ``"intercept"`` (when fitted) and the feature names.
    coef, std_err, z, p_values, conf_low, conf_high : ndarray of shape (n_equations, n_terms)
        Estimates, standard errors, Wald statistics, two-sided p-values and the
        ``1 - alpha`` Wald confidence interval.
    cov : ndarray of shape (n_equations * n_terms, n_equations * n_terms)
        Covariance of ``coef.ravel()`` (equation-major).
    alpha : float
        Level of the confidence intervals.
    log_likelihood, null_log_likelihood : float
        At the MLE, and of the model with only intercepts (class frequencies).
    n_params : int
        Number of identified parameters, ``(n_classes - 1) * n_terms``.
    n_obs : float
        Sum of the sample weights (the number of samples when unweighted).
    n_samples : int
        Number of rows with positive weight.
    mle_verified : bool
        Whether the existence of the MLE was proven at fit time (by the exact
        linear program of :func:`~softlogit.check_separation` or by the certificate
        built from the fitted probabilities). ``False`` means "not proven", not
        "separated": separated data raise :class:`~softlogit.SeparationError`.
    standardized : bool
        Whether the features were standardized before the fit
        (:class:`~softlogit.StandardizedModel`, ``softlogit fit --standardize``):
        the coefficients then refer to ``(x - mean) / sd``, features of mean 0 and
        standard deviation 1 on the training data, and every rendering says so.
    """

    model: str
    gauge: str | None
    reference_class: object
    classes: tuple[object, ...]
    terms: tuple[str, ...]
    coef: FloatArray
    std_err: FloatArray
    z: FloatArray
    p_values: FloatArray
    conf_low: FloatArray
    conf_high: FloatArray
    cov: FloatArray
    alpha: float
    log_likelihood: float
    null_log_likelihood: float
    n_params: int
    n_obs: float
    n_samples: int
    mle_verified: bool = False
    standardized: bool = False

    @property
    def aic(self) -> float:
        """Akaike's criterion, ``-2 log L + 2 n_params``."""
        return -2.0 * self.log_likelihood + 2.0 * self.n_params

    @property
    def bic(self) -> float:
        """Schwarz's criterion, ``-2 log L + n_params log(n_obs)``."""
        return -2.0 * self.log_likelihood + self.n_params * float(np.log(self.n_obs))

    @property
    def pseudo_r2(self) -> float:
        """McFadden's pseudo R-squared, ``1 - log L / log L_null``."""
        if self.null_log_likelihood == 0.0:
            return float("nan")
        return 1.0 - self.log_likelihood / self.null_log_likelihood

    def to_frame(self) -> pd.DataFrame:
        """Return the coefficient table as a DataFrame indexed by (class, term).

        Returns
        -------
        pandas.DataFrame
            Columns ``coef``, ``std_err``, ``z``, ``p_value``, ``ci_low``,
            ``ci_high``; the index levels are ``class`` and ``term``.
        """
        import pandas as pd

        index = pd.MultiIndex.from_tuples(
            [(c, t) for c in self.classes for t in self.terms],
            names=["class", "term"],
        )
        return pd.DataFrame(
            {
                "coef": self.coef.ravel(),
                "std_err": self.std_err.ravel(),
                "z": self.z.ravel(),
                "p_value": self.p_values.ravel(),
                "ci_low": self.conf_low.ravel(),
                "ci_high": self.conf_high.ravel(),
            },
            index=index,
        )

    def _title(self) -> str:
        if self.gauge is None:
            where = f"P(y = {self.classes[0]!r}) vs {self.reference_class!r}"
        elif self.gauge == "reference":
            where = f"gauge: reference, class {self.reference_class!r}"
        else:
            where = "gauge: centered (rows sum to zero)"
        return f"{self.model} — unpenalized MLE — {where}"

    def _note(self) -> str | None:
        """What the coefficients refer to, when it is not the raw features."""
        from softlogit._scaling import NOTE

        return NOTE if self.standardized else None

    def _stats(self) -> list[tuple[str, str]]:
        return [
            ("observations", _fmt_count(self.n_obs)),
            ("parameters", str(self.n_params)),
            ("log-likelihood", f"{self.log_likelihood:.6g}"),
            ("null log-likelihood", f"{self.null_log_likelihood:.6g}"),
            ("pseudo R² (McFadden)", f"{self.pseudo_r2:.4f}"),
            ("AIC", f"{self.aic:.6g}"),
            ("BIC", f"{self.bic:.6g}"),
            ("MLE existence", "proven" if self.mle_verified else "not verified"),
        ]

    def to_table(self) -> Table:
        """Return the coefficient table as a :class:`rich.table.Table`."""
        from rich.table import Table
        from rich.text import Text

        # Every string is a Text, never markup: a feature named "dose[mg]" or a
        # label "[/]" prints as written.
        lo = Text(f"[{self.alpha / 2:g}")
        hi = Text(f"{1 - self.alpha / 2:g}]")
        table = Table(
            title=Text(self._title()), caption=self._note(), caption_justify="left"
        )
        show_class = len(self.classes) > 1 or self.gauge is not None
        if show_class:
            table.add_column("class")
        table.add_column("term")
        for name in ("coef", "std err", "z", "P>|z|", lo, hi):
            # a number that does not fit wraps, never loses digits to an ellipsis
            table.add_column(name, justify="right", overflow="fold")
        for e, label in enumerate(self.classes):
            for t, term in enumerate(self.terms):
                cells = [
                    f"{self.coef[e, t]:.6g}",
                    f"{self.std_err[e, t]:.4g}",
                    f"{self.z[e, t]:.3f}",
                    _fmt_p(float(self.p_values[e, t])),
                    f"{self.conf_low[e, t]:.4g}",
                    f"{self.conf_high[e, t]:.4g}",
                ]
                head = (
                    [Text(str(label) if t == 0 else ""), Text(term)]
                    if show_class
                    else [Text(term)]
                )
                table.add_row(*head, *cells, end_section=t == len(self.terms) - 1)
        return table

    def stats_table(self) -> Table:
        """Return the fit statistics (likelihoods, AIC, BIC, ...) as a rich grid."""
        from rich.table import Table
        from rich.text import Text

        grid = Table.grid(padding=(0, 2))
        for _ in range(4):
            grid.add_column()
        stats = self._stats()
        half = (len(stats) + 1) // 2
        right = stats[half:] + [("", "")] * (2 * half - len(stats))
        for (k1, v1), (k2, v2) in zip(stats[:half], right, strict=True):
            grid.add_row(*(Text(s) for s in (f"{k1}:", v1, f"{k2}:" if k2 else "", v2)))
        return grid

    def __rich__(self) -> Group:
        from rich.console import Group

        return Group(self.to_table(), self.stats_table())

    def to_text(self, width: int = 100) -> str:
        """Render the summary as plain text ``width`` characters wide.

        A table wider than ``width`` is rendered at its own width: a cell is never
        cut short (a coefficient printed as ``0.0401…`` would hide digits).
        """
        return render_text(self.__rich__(), width)

    def __str__(self) -> str:
        return self.to_text()

    def _repr_html_(self) -> str:
        """HTML for notebooks: the title, the statistics and :meth:`to_frame`."""
        import html

        stats = "".join(
            f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
            for k, v in self._stats()
        )
        note = self._note()
        return (
            f"<p><b>{html.escape(self._title())}</b></p>"
            + (f"<p><i>{html.escape(note)}</i></p>" if note else "")
            + f"<table>{stats}</table>"
            f"{self.to_frame().to_html(float_format='{:.6g}'.format)}"
        )

    def __repr__(self) -> str:
        return (
            f"<Summary of {self.model}: {len(self.classes)} equation(s) x "
            f"{len(self.terms)} term(s), log-likelihood {self.log_likelihood:.6g}>"
        )


def render_text(renderable: object, width: int) -> str:
    """``renderable`` as plain text, ``width`` wide or as wide as it needs.

    rich fits a table into the console by cutting cells (with an ellipsis); text
    meant to be read in full is laid out at the table's natural width instead
    when that is wider.
    """
    from rich.console import Console

    measure = Console(width=10_000, color_system=None, force_terminal=False)
    needed = measure.measure(renderable).maximum  # type: ignore[arg-type]
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=max(width, needed),
        color_system=None,
        force_terminal=False,
    )
    console.print(renderable)
    return buffer.getvalue()


def _fmt_p(p: float) -> str:
    return "<1e-16" if p < 1e-16 else f"{p:.3g}"


def _fmt_count(n: float) -> str:
    return str(int(n)) if float(n).is_integer() else f"{n:.6g}"
