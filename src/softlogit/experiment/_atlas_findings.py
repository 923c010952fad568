"""The atlas's findings in plain words, each computed from the rows it cites.

Every :class:`~softlogit.experiment._atlas.Finding` states a count ``N of M`` (of
cells or of runs) and lists the cells behind it; the test suite recomputes each
count from those cells' rows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from softlogit.experiment._atlas import QUANTITIES, AtlasCell, Finding

__all__ = ["findings", "same_gap"]

Row = Mapping[str, Any]

#: relative agreement of two gaps called "the same gap"
SAME_GAP = 1e-6


def same_gap(row: Row) -> bool:
    """Whether networks 2 and 1 end with the weight gap of networks 0 and 1."""
    a, b = float(row["0v1_weights"]), float(row["2v1_weights"])
    return abs(a - b) <= SAME_GAP * max(abs(a), abs(b))


def _finite(cells: Sequence[AtlasCell], quantity: str) -> list[AtlasCell]:
    return [c for c in cells if not math.isnan(c.medians[quantity])]


def _lr_pattern(cells: Sequence[AtlasCell], quantity: str) -> str:
    """``': in all at lr <= 0.01, in none at lr >= 0.1'`` where such a split exists."""
    lrs = sorted({float(c.values["lr"]) for c in cells})  # type: ignore[arg-type]
    share = {
        lr: [c.closer(quantity) for c in cells if float(c.values["lr"]) == lr]  # type: ignore[arg-type]
        for lr in lrs
    }
    low = [lr for lr in lrs if all(share[lr])]
    high = [lr for lr in lrs if not any(share[lr])]
    all_up_to = None
    for lr in lrs:
        if lr in low:
            all_up_to = lr
        else:
            break
    none_from = None
    for lr in reversed(lrs):
        if lr in high:
            none_from = lr
        else:
            break
    parts = []
    if all_up_to is not None and all_up_to != lrs[-1]:
        parts.append(f"in all at lr ≤ {all_up_to:g}")
    if none_from is not None and none_from != lrs[0]:
        parts.append(f"in none at lr ≥ {none_from:g}")
    return (": " + ", ".join(parts)) if parts else ""


#: quantity -> (finding key, what is compared)
_CLOSER = {"0v1": ("closer", "weights"), "0v1_proba": ("closer-proba", "predictions")}


def _closer(
    cells: Sequence[AtlasCell],
    axes: Mapping[str, tuple[object, ...]],
    quantity: str,
) -> list[Finding]:
    name, what = _CLOSER[quantity]
    groups: list[tuple[str, str, list[AtlasCell]]] = []
    if "optimizer" in axes:
        for opt in axes["optimizer"]:
            members = [c for c in cells if c.values["optimizer"] == opt]
            groups.append((f"{name}:{opt}", f"With {opt}, networks", members))
    else:
        groups.append((name, "Networks", list(cells)))
    out = []
    for key, lead, members in groups:
        finite = _finite(members, quantity)
        if not finite:
            continue
        closer = [c for c in finite if c.closer(quantity)]
        pattern = _lr_pattern(finite, quantity) if "lr" in axes else ""
        median = sorted(c.medians[quantity] for c in finite)[len(finite) // 2]
        text = (
            f"{lead} 0 and 1 end with {what} closer than two random "
            f"initializations in {len(closer)} of {len(finite)} cells{pattern} "
            f"(median gap {median:.2g} × the baseline)."
        )
        cited = tuple(c.key for c in closer) + tuple(
            c.key for c in finite if c not in closer
        )
        out.append(Finding(key, text, cited, len(closer), len(finite), "cells"))
    return out


def _learner(rows: Sequence[Row], cells: Sequence[AtlasCell]) -> list[Finding]:
    runs = [r for r in rows if not math.isnan(QUANTITIES["2v1"][1](r))]
    if not runs:
        return []
    same = [r for r in runs if same_gap(r)]
    identical = [r for r in runs if r["0v2_verdict"] == "identical"]
    covers = all(same_gap(r) for r in identical)
    closer = _finite(cells, "2v1")
    n_closer = sum(1 for c in closer if c.closer("2v1"))
    text = (
        f"Networks 2 and 1, the learner's literal pair (softmax head against sigmoid "
        f"head), end with the weight gap of networks 0 and 1 (to 6 digits) in "
        f"{len(same)} of {len(runs)} runs"
        + (
            ", including every run in which networks 0 and 2 stay identical up to "
            "rounding"
            if covers and identical
            else ""
        )
        + f"; they end closer than two random initializations in {n_closer} of "
        f"{len(closer)} cells."
    )
    cited = tuple(dict.fromkeys(str(r["cell"]) for r in same + runs))
    return [Finding("learner", text, cited, len(same), len(runs), "runs")]


def _exact(rows: Sequence[Row], pid: str) -> list[Finding]:
    runs = [r for r in rows if r[f"{pid}_verdict"] != "not_compared"]
    if not runs:
        return []
    counts = {
        k: [r for r in runs if r[f"{pid}_verdict"] == k]
        for k in ("identical", "amplified", "same_function", "different")
    }
    n = len(counts["identical"])
    lead = (
        "Networks 0 and 2 (the same function of the same parameters) are"
        if pid == "0v2"
        else "Network 1c (network 1 with its head learning rate doubled) reproduces "
        "network 0, and is"
    )
    text = f"{lead} identical up to rounding in {n} of {len(runs)} runs"
    amplified = len(counts["amplified"])
    if amplified:
        text += (
            f"; in {amplified} the procedure amplifies rounding (the one-ulp control "
            "grows a single rounding error as far: the same network)"
        )
    other = len(counts["same_function"]) + len(counts["different"])
    if other:
        text += f"; in {other} they differ beyond what the control explains"
    text += "."
    order = counts["identical"] + counts["amplified"]
    order += counts["same_function"] + counts["different"]
    cited = tuple(dict.fromkeys(str(r["cell"]) for r in order))
    return [Finding(f"identical:{pid}", text, cited, n, len(runs), "runs")]


def _control(rows: Sequence[Row], cells: Sequence[AtlasCell]) -> list[Finding]:
    runs = [r for r in rows if r["ulp_verdict"] != "not_compared"]
    if not runs:
        return []
    stable = [r for r in runs if r["ulp_verdict"] == "identical"]
    chaotic_cells = [c for c in cells if c.verdicts["ulp"].get("amplified", 0)]
    text = (
        f"The one-ulp control (network 0 against itself, one initial weight moved by "
        f"one ulp) stays at the rounding level in {len(stable)} of {len(runs)} runs"
    )
    if chaotic_cells:
        labels = "; ".join(c.label for c in chaotic_cells[:4])
        more = len(chaotic_cells) - 4
        text += (
            f"; it drifts, so the procedure amplifies rounding, in "
            f"{len(runs) - len(stable)} runs of {len(chaotic_cells)} cells ({labels}"
            + (f"; and {more} more" if more > 0 else "")
            + ")"
        )
    text += "."
    cited = tuple(c.key for c in chaotic_cells) + tuple(
        dict.fromkeys(str(r["cell"]) for r in stable)
    )
    cited = tuple(dict.fromkeys(cited))
    return [Finding("control", text, cited, len(stable), len(runs), "runs")]


def _accuracy(rows: Sequence[Row]) -> list[Finding]:
    runs = [r for r in rows if not math.isnan(QUANTITIES["0v1"][1](r))]
    if not runs:
        return []
    acc = sorted(float(r["0v1_accuracy"]) for r in runs)
    labels = max(float(r["0v1_labels"]) for r in runs)
    agree = [r for r in runs if float(r["0v1_labels"]) == 0]
    text = (
        f"In test accuracy networks 0 and 1 end at most {acc[-1]:.3g} apart "
        f"(median {acc[len(acc) // 2]:.3g}); they label every test sample alike in "
        f"{len(agree)} of {len(runs)} runs, and disagree on at most "
        f"{100 * labels:.3g}% of the test samples."
    )
    cited = tuple(dict.fromkeys(str(r["cell"]) for r in agree + runs))
    return [Finding("accuracy", text, cited, len(agree), len(runs), "runs")]


def _diverged(rows: Sequence[Row], cells: Sequence[AtlasCell]) -> list[Finding]:
    bad = [c for c in cells if c.diverged]
    if not bad:
        return []
    n = sum(c.diverged for c in bad)
    labels = "; ".join(c.label for c in bad[:4])
    text = (
        f"In {n} of {len(rows)} runs a network diverged (its loss became NaN or "
        f"infinite), in {len(bad)} cells ({labels}{'; …' if len(bad) > 4 else ''}); "
        "they are left out of the other findings."
    )
    return [Finding("diverged", text, tuple(c.key for c in bad), n, len(rows), "runs")]


def findings(
    rows: Sequence[Row],
    cells: Sequence[AtlasCell],
    axes: Sequence[tuple[str, tuple[object, ...]]],
) -> list[Finding]:
    """Every finding of the atlas, in the order the page shows them."""
    ax = dict(axes)
    out = _closer(cells, ax, "0v1") + _closer(cells, ax, "0v1_proba")
    out += _learner(rows, cells)
    out += _exact(rows, "0v2")
    out += _exact(rows, "0v1c")
    out += _control(rows, cells)
    out += _accuracy(rows)
    out += _diverged(rows, cells)
    return out
