"""I/O tasks retry what may pass on a second try (the database connection) and nothing else."""

from __future__ import annotations

import psycopg
import pytest
from prefect import flow
from pydantic import BaseModel

from core.errors import ConflictError
from flows.common import io_task, is_transient

pytestmark = pytest.mark.usefixtures("prefect_harness")


class _Strict(BaseModel):
    n: int


def _pydantic_error() -> Exception:
    try:
        _Strict.model_validate({"n": "x"})
    except Exception as exc:
        return exc
    raise AssertionError("unreachable")


@pytest.mark.parametrize(
    ("error", "expected_attempts"),
    [
        (psycopg.OperationalError("server closed the connection unexpectedly"), 3),  # 1 + IO_RETRIES
        (ConflictError("the label moved"), 1),
        (_pydantic_error(), 1),  # invalid stored settings fail the same way every time
        (KeyError("bug"), 1),
    ],
    ids=["connection", "domain", "settings", "bug"],
)
def test_only_transient_failures_are_retried(error: Exception, expected_attempts: int) -> None:
    attempts: list[int] = []

    @io_task("fails")
    def fails() -> None:
        attempts.append(1)
        raise error

    @flow
    def run() -> bool:
        return bool(fails.with_options(retry_delay_seconds=0)(return_state=True).is_failed())

    assert run()
    assert len(attempts) == expected_attempts
    assert is_transient(error) is (expected_attempts > 1)
