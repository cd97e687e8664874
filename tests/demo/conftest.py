"""One generated scenario shared by the planted-condition tests: seed 7, 30 days, scale 0.3.

Scale 0.3 is what issue 5's acceptance tests are expected to seed; every planted condition is
documented (PLANTED.md) as detectable there, so it is also where the sizes are checked.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from core.demo import DemoTraffic, generate
from tests.demo.frames import executions_frame

END = date(2026, 3, 2)  # a Monday: the window is 2026-01-31 .. 2026-03-01
SCALE = 0.3


@pytest.fixture(scope="session")
def demo_traffic() -> DemoTraffic:
    return generate(seed=7, days=30, scale=SCALE, end=END)


@pytest.fixture(scope="session")
def demo_records(demo_traffic: DemoTraffic) -> list[dict[str, object]]:
    return demo_traffic.records()


@pytest.fixture(scope="session")
def frame(demo_records: list[dict[str, object]]) -> pd.DataFrame:
    """One row per execution with its effective accuracy and ``day`` relative to the end (-1: last day)."""
    df = executions_frame(demo_records)
    end = pd.Timestamp(END, tz="UTC")
    df["day"] = np.floor((df["occurred_at"] - end) / pd.Timedelta(days=1)).astype(int)
    return df
