import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.multitest import multipletests

from core.stats import benjamini_hochberg, holm

# Benjamini & Hochberg (1995), JRSS-B 57, §4: 15 p-values from a multiple-endpoint trial.
# At 0.05 their procedure rejects the four smallest; Holm's (like Hochberg's) only three.
BH_1995 = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240, 0.4262, 0.5719, 0.6528,
           0.7590, 1.0000]  # fmt: skip

p_lists = st.lists(st.floats(0.0, 1.0), min_size=1, max_size=40)


def test_published_example():
    q = benjamini_hochberg(BH_1995)
    assert (q <= 0.05).sum() == 4
    assert set(np.flatnonzero(q <= 0.05)) == {0, 1, 2, 3}
    assert (holm(BH_1995) <= 0.05).sum() == 3


@given(p_lists)
def test_bh_matches_statsmodels_and_is_monotone(p):
    q = benjamini_hochberg(p)
    np.testing.assert_allclose(q, multipletests(p, method="fdr_bh")[1], rtol=1e-12, atol=1e-15)
    assert (q >= np.asarray(p) - 1e-15).all()
    assert (q <= 1.0).all()
    order = np.argsort(p, kind="stable")
    assert (np.diff(q[order]) >= -1e-15).all()


@settings(max_examples=25)  # statsmodels runs gc.collect() per Holm call (~75 ms)
@given(p_lists)
def test_holm_matches_statsmodels_and_dominates_bh(p):
    adjusted = holm(p)
    np.testing.assert_allclose(adjusted, multipletests(p, method="holm")[1], rtol=1e-12, atol=1e-15)
    assert (adjusted >= np.asarray(p) - 1e-15).all()
    assert (adjusted >= benjamini_hochberg(p) - 1e-12).all()


@given(p_lists, st.randoms())
def test_outputs_follow_input_order(p, rnd):
    perm = list(range(len(p)))
    rnd.shuffle(perm)
    shuffled = [p[i] for i in perm]
    np.testing.assert_allclose(benjamini_hochberg(shuffled), benjamini_hochberg(p)[perm])
    np.testing.assert_allclose(holm(shuffled), holm(p)[perm])


def test_missing_p_values_are_not_counted():
    np.testing.assert_allclose(holm([0.01, np.nan, 0.04]), [0.02, np.nan, 0.04])
    np.testing.assert_allclose(benjamini_hochberg([np.nan, 0.02, 0.03]), [np.nan, 0.03, 0.03])
    assert np.isnan(holm([np.nan])).all()
    assert benjamini_hochberg([]).size == 0


def test_invalid_p_values_raise():
    with pytest.raises(ValueError, match="p-values must lie in"):
        holm([0.1, 1.5])
