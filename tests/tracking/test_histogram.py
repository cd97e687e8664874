"""The fixed latency histogram and percentiles read from it."""

from __future__ import annotations

import numpy as np
import pytest

from core.tracking.histogram import (
    EDGES,
    HIGH_ACCURACY,
    LATENCY_EDGES_MS,
    N_BUCKETS,
    add_histograms,
    bucket,
    histogram,
    latency_bucket,
    percentile,
)


def _hist(values: np.ndarray) -> list[int]:
    hist = [0] * N_BUCKETS
    for value in values:
        hist[latency_bucket(float(value))] += 1
    return hist


def test_edges_are_ten_per_decade_from_1ms_to_1000s() -> None:
    assert N_BUCKETS == 62 and LATENCY_EDGES_MS[0] == 1 and LATENCY_EDGES_MS[-1] == 1e6
    assert latency_bucket(0.2) == 0 and latency_bucket(1.0) == 1 and latency_bucket(1.3) == 2
    assert latency_bucket(150.0) == 22 and latency_bucket(5e9) == 61


def test_percentiles_are_within_the_bucket_resolution_of_the_exact_values() -> None:
    rng = np.random.default_rng(4)
    values = rng.lognormal(mean=6.5, sigma=0.8, size=50_000)
    hist = _hist(values)
    for q in (0.5, 0.9, 0.95, 0.99):
        exact = float(np.quantile(values, q))
        assert percentile(hist, q) == pytest.approx(exact, rel=0.06)


def test_histograms_add_and_empty_ones_have_no_percentile() -> None:
    a, b = _hist(np.array([10.0, 20.0])), _hist(np.array([30.0]))
    assert add_histograms([a, b]) == _hist(np.array([10.0, 20.0, 30.0]))
    assert percentile([0] * N_BUCKETS, 0.5) is None
    assert percentile(_hist(np.array([2e6])), 0.5) == 1e6
    with pytest.raises(ValueError, match="62 buckets"):
        percentile([1, 2], 0.5)


def test_buckets_are_unit_agnostic_and_the_latency_names_still_work() -> None:
    tokens = [120, 950, 950, 4000]
    assert bucket is latency_bucket and EDGES is LATENCY_EDGES_MS
    assert histogram(tokens) == _hist(np.array(tokens, dtype=float))
    assert percentile(histogram(tokens), 0.5) == pytest.approx(950, rel=0.13)
    assert 0 < HIGH_ACCURACY < 1
