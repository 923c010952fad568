"""Shared fixtures."""

from __future__ import annotations

import os

import numpy as np
import pytest


@pytest.fixture
def seed() -> int:
    """A seed for random test data; tests must pass for any seed (SOFTLOGIT_TEST_SEED)."""
    return int(os.environ.get("SOFTLOGIT_TEST_SEED", "0"))


@pytest.fixture
def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)
