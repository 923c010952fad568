"""Every loader fuzzed with Hypothesis (bounded): refused cleanly, or loaded and working.

The targets (:mod:`softlogit._testing.fuzz`) load one input the way users do and
raise ``CrashError`` for anything but a clean softlogit error or a loaded object
that works (a model that predicts, summarizes and saves; a result that prints; a
spec that round-trips; a CSV file with finite features and labels). Inputs are
valid seed files mutated byte by byte, and (for the model file) with any JSON value
put in any field. The long runs are in ``fuzz/`` (see its README).
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from softlogit._testing.fuzz import TARGETS, mutate, seeds

_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

_SEEDS = {loader: seeds(loader) for loader in TARGETS}


@pytest.mark.parametrize("loader", sorted(TARGETS))
@_SETTINGS
@given(rnd=st.randoms(use_true_random=False), pick=st.integers(0, 100))
def test_byte_mutations_are_answered(
    loader: str, rnd: random.Random, pick: int
) -> None:
    pool = _SEEDS[loader]
    data = mutate(pool[pick % len(pool)], rnd, pool)
    TARGETS[loader](data)


@pytest.mark.parametrize("loader", sorted(TARGETS))
def test_seeds_load(loader: str) -> None:
    assert all("loaded" in TARGETS[loader](seed) for seed in _SEEDS[loader])


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc[:4]):
            out += _paths(v, (*prefix, i))
    return out


@_SETTINGS
@given(pick=st.integers(0, 10_000), where=st.integers(0, 10_000), value=_JSON)
def test_any_json_value_in_any_model_field(pick: int, where: int, value: Any) -> None:
    """A model file with one field (at any depth) replaced by any JSON value."""
    pool = _SEEDS["model"]
    doc = json.loads(pool[pick % len(pool)])
    paths = _paths(doc)
    path = paths[where % len(paths)]
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    TARGETS["model"](json.dumps(doc).encode())


@_SETTINGS
@given(
    section=st.sampled_from(["data", "model", "init", "training", None]),
    key=st.sampled_from(
        [
            "dataset",
            "hidden",
            "lr",
            "steps",
            "batch_size",
            "networks",
            "pairs",
            "seed",
            "test_size",
            "optimizer",
            "features",
            "record_every",
            "dtype",
            "x",
        ]
    ),
    value=st.one_of(
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(),
        st.text(max_size=8),
        st.lists(st.integers(-5, 10**12), max_size=3),
        st.lists(st.text(max_size=4), max_size=3),
        st.booleans(),
    ),
)
def test_any_value_in_any_spec_option(
    section: str | None, key: str, value: Any
) -> None:
    def toml(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, float):
            return {"inf": "inf", "-inf": "-inf", "nan": "nan"}.get(repr(v), repr(v))
        if isinstance(v, (int,)):
            return str(v)
        if isinstance(v, str):
            return json.dumps(v)
        return "[" + ", ".join(toml(x) for x in v) + "]"

    text = (
        f"{key} = {toml(value)}\n"
        if section is None
        else f"[{section}]\n{key} = {toml(value)}\n"
    )
    TARGETS["toml"](text.encode())


@_SETTINGS
@given(
    header=st.lists(st.text(min_size=0, max_size=6), min_size=1, max_size=4),
    cells=st.lists(
        st.lists(
            st.one_of(
                st.floats(width=64).map(repr),
                st.integers(-5, 5).map(str),
                st.sampled_from(["", "nan", "inf", "-inf", "x", "1e308", '"', "[/]"]),
            ),
            min_size=1,
            max_size=4,
        ),
        max_size=12,
    ),
)
def test_any_table_as_csv(header: list[str], cells: list[list[str]]) -> None:
    lines = [",".join(header)] + [",".join(row) for row in cells]
    TARGETS["csv"](("\n".join(lines) + "\n").encode())
