import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.stats import MeanStats, PropStats

unit_floats = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
moderate_floats = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False)


def test_mean_stats_match_numpy_moments():
    x = np.random.default_rng(0).normal(3.0, 2.0, 500)
    s = MeanStats.from_array(x)
    assert s.n == 500
    assert s.mean == pytest.approx(x.mean(), rel=1e-12)
    assert s.variance == pytest.approx(x.var(ddof=1), rel=1e-10)
    assert s.std == pytest.approx(x.std(ddof=1), rel=1e-10)
    assert s.sum_sq == pytest.approx(float(np.sum(x * x)), rel=1e-12)


@given(st.lists(moderate_floats, max_size=40), st.lists(moderate_floats, max_size=40))
def test_adding_stats_equals_stats_of_concatenation(a, b):
    combined = MeanStats.from_array(a) + MeanStats.from_array(b)
    direct = MeanStats.from_array(a + b)
    assert combined.n == direct.n
    assert combined.sum == pytest.approx(direct.sum, rel=1e-9, abs=1e-6)
    assert combined.sum_sq == pytest.approx(direct.sum_sq, rel=1e-9, abs=1e-6)
    if direct.n >= 2:
        assert combined.variance == pytest.approx(direct.variance, rel=1e-6, abs=1e-6)


@given(st.lists(st.booleans(), max_size=50), st.lists(st.booleans(), max_size=50))
def test_prop_stats_add_like_concatenation(a, b):
    assert PropStats.from_array(a) + PropStats.from_array(b) == PropStats.from_array(a + b)


def test_combine_and_builtin_sum_agree_with_concatenation():
    parts = [[0.1, 0.5], [0.9], [], [0.3, 0.3, 0.7]]
    expected = MeanStats.from_array([v for p in parts for v in p])
    stats = [MeanStats.from_array(p) for p in parts]
    assert MeanStats.combine(stats).n == expected.n == sum(stats).n
    assert MeanStats.combine(stats).variance == pytest.approx(expected.variance)
    assert PropStats.combine([PropStats(3, 1), PropStats(2, 2)]) == PropStats(5, 3)


def test_rollup_of_a_hundred_million_unit_values_keeps_its_variance():
    # a Bernoulli(0.7) rollup over 1e8 units: Σx = Σx² = 7e7, exact variance 0.21·n/(n−1)
    n = 10**8
    s = MeanStats.from_rollup(n, 7e7, 7e7)
    assert s.variance == pytest.approx(0.21 * n / (n - 1), rel=1e-12)
    # and the sum of 20 rollups of 1e5 values each agrees with the direct computation
    rng = np.random.default_rng(1)
    chunks = [rng.random(10**5) for _ in range(20)]
    total = MeanStats.combine([MeanStats.from_array(c) for c in chunks])
    assert total.variance == pytest.approx(np.var(np.concatenate(chunks), ddof=1), rel=1e-9)


def test_offset_data_keeps_useful_precision():
    # latency-like values far from zero relative to their spread (documented limitation)
    x = 1e4 + np.random.default_rng(2).random(10**5)
    assert MeanStats.from_array(x).variance == pytest.approx(x.var(ddof=1), rel=1e-4)


def test_from_rollup_reads_sql_nulls_as_zero_and_empty_stats_are_nan():
    assert MeanStats.from_rollup(0, None, None) == MeanStats.empty()
    assert math.isnan(MeanStats.empty().mean)
    assert math.isnan(MeanStats(1, 0.5, 0.25).variance)
    assert math.isnan(PropStats.empty().p)


def test_prop_stats_as_numeric_metric():
    p = PropStats.from_array([True, False, True, True])
    assert (p.n, p.successes, p.p) == (4, 3, 0.75)
    m = p.to_mean_stats()
    assert m.mean == 0.75
    assert m.variance == pytest.approx(np.var([1, 0, 1, 1], ddof=1))
    assert p.variance == pytest.approx(0.75 * 0.25)


def test_invalid_inputs_are_programming_errors():
    with pytest.raises(ValueError, match="successes <= n"):
        PropStats(3, 4)
    with pytest.raises(ValueError, match="n must be >= 0"):
        MeanStats(-1, 0.0, 0.0)
    with pytest.raises(ValueError, match="finite"):
        MeanStats.from_array([1.0, math.nan])
    with pytest.raises(ValueError, match="booleans or 0/1"):
        PropStats.from_array([0, 2])
