from __future__ import annotations

import pytest
from sqlalchemy import Engine

from core.governance.roles import Principal
from tests.governance.helpers import make_people, make_prompt
from tests.recommend.conftest import registered  # noqa: F401  (fixture for test_review_roles.py)


@pytest.fixture
def people(engine: Engine) -> dict[str, Principal]:
    return make_people(engine)


@pytest.fixture
def versions(engine: Engine, people: dict[str, Principal]) -> dict[str, str]:
    return make_prompt(engine)
