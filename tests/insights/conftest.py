"""Fixtures shared with the recommendation tests: a registered prompt on production."""

from tests.recommend.conftest import registered  # noqa: F401  (re-exported fixture)
