"""Send the outbox: due deliveries go out after the transactions that queued them have committed.

One run (:func:`deliver_pending`, called by flows after their work and by the CLI):

1. claims due deliveries in a short transaction (``FOR UPDATE SKIP LOCKED``, then a lease on
   ``next_attempt_at``), so concurrent runs never send the same delivery twice and no database
   transaction stays open while talking to the network;
2. sends each one, channels in parallel, retrying retryable failures with exponential backoff
   (tenacity, up to ``notify_attempts_per_run`` tries in this run);
3. records the result: ``delivered``; or back to ``pending`` with a later ``next_attempt_at``;
   or ``failed`` once ``notify_max_attempts`` tries were spent or the failure is permanent
   (e.g. HTTP 404, no SMTP server configured).

It never raises: a failing channel is logged and marked, and the other channels still get theirs.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from core.config import Settings
from core.db.engine import transaction
from core.db.models.governance import NotificationChannel, NotificationDelivery, NotificationEvent
from core.notify.mail import SmtpConfig, send_email
from core.notify.transport import DeliveryError
from core.notify.webhook import send_webhook

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)  # a claimed delivery is not claimed again before this, even if the run dies
MAX_BACKOFF = timedelta(hours=1)
MAX_WORKERS = 4


@dataclass(frozen=True)
class DeliveryOutcome:
    delivery_id: int
    channel: str
    event_type: str
    status: str  # delivered | pending (will be retried) | failed
    attempts: int  # in total, over all runs
    error: str | None


@dataclass(frozen=True)
class DeliveryReport:
    outcomes: tuple[DeliveryOutcome, ...] = ()

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def delivered(self) -> int:
        return self.count("delivered")

    @property
    def failed(self) -> int:
        return self.count("failed")

    @property
    def retrying(self) -> int:
        return self.count("pending")


@dataclass(frozen=True)
class _Claim:
    delivery_id: int
    attempts: int
    channel: str
    kind: str
    config: dict[str, Any]
    secret: str | None
    event_type: str
    title: str
    body: bytes


@dataclass(frozen=True)
class _Result:
    claim: _Claim
    tries: int
    error: DeliveryError | None


def deliver_pending(
    engine: Engine, *, settings: Settings, now: datetime | None = None, limit: int = 100
) -> DeliveryReport:
    """Send every due delivery (up to ``limit``); returns what happened to each. Never raises."""
    now = now or datetime.now(UTC)
    try:
        with transaction(engine) as session:
            claims = _claim(session, now=now, limit=limit)
    except Exception:
        logger.exception("could not claim notification deliveries; will try again on the next run")
        return DeliveryReport()
    if not claims:
        return DeliveryReport()
    try:
        results = _send_all(claims, settings=settings)
    except Exception:
        logger.exception("delivery run failed; the claimed deliveries are retried after their lease")
        return DeliveryReport()
    outcomes = []
    for result in results:
        try:
            with transaction(engine) as session:
                outcomes.append(_record(session, result, settings=settings, now=now))
        except Exception:
            logger.exception(
                "could not record delivery %s; it will be retried after its lease", result.claim.delivery_id
            )
    return DeliveryReport(tuple(outcomes))


def _send_all(claims: list[_Claim], *, settings: Settings) -> list[_Result]:
    smtp = SmtpConfig.from_settings(settings)
    with httpx.Client(timeout=settings.notify_timeout_seconds) as client:

        def send(claim: _Claim) -> _Result:
            return _send_with_retries(claim, settings=settings, sender=_sender(claim, client=client, smtp=smtp))

        with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(claims))) as pool:
            return list(pool.map(send, claims))


def _claim(session: Session, *, now: datetime, limit: int) -> list[_Claim]:
    rows = session.execute(
        select(NotificationDelivery, NotificationEvent, NotificationChannel)
        .join(NotificationEvent, NotificationEvent.id == NotificationDelivery.event_id)
        .join(NotificationChannel, NotificationChannel.id == NotificationDelivery.channel_id)
        .where(
            NotificationDelivery.status == "pending",
            NotificationDelivery.next_attempt_at <= now,
            NotificationChannel.active,
        )
        .order_by(NotificationDelivery.id)
        .limit(limit)
        .with_for_update(of=NotificationDelivery, skip_locked=True)
    ).all()
    claims = []
    for delivery, event, channel in rows:
        delivery.next_attempt_at = now + LEASE
        document = {
            "id": event.id,
            "type": event.type,
            "title": event.title,
            "created_at": event.created_at.isoformat(),
            "data": event.payload,
        }
        claims.append(
            _Claim(
                delivery_id=delivery.id,
                attempts=delivery.attempts,
                channel=channel.name,
                kind=channel.kind,
                config=dict(channel.config),
                secret=channel.secret,
                event_type=event.type,
                title=event.title,
                body=json.dumps(document, sort_keys=True, default=str, ensure_ascii=False).encode("utf-8"),
            )
        )
    return claims


def _sender(claim: _Claim, *, client: httpx.Client, smtp: SmtpConfig) -> Callable[[], None]:
    if claim.kind == "webhook":

        def post() -> None:
            send_webhook(
                client,
                url=claim.config["url"],
                secret=claim.secret or "",
                body=claim.body,
                event_type=claim.event_type,
                delivery_id=claim.delivery_id,
                timestamp=int(datetime.now(UTC).timestamp()),
            )

        return post

    def mail() -> None:
        send_email(smtp, to=claim.config["to"], subject=f"[promptloop] {claim.title}", body=_email_text(claim))

    return mail


def _email_text(claim: _Claim) -> str:
    document = json.loads(claim.body)
    lines = [document["title"], "", f"event: {document['type']}  at {document['created_at']}", ""]
    lines += [f"{key}: {json.dumps(value, default=str)}" for key, value in sorted(document["data"].items())]
    return "\n".join(lines) + "\n"


def _send_with_retries(claim: _Claim, *, settings: Settings, sender: Callable[[], None]) -> _Result:
    budget = max(1, min(settings.notify_attempts_per_run, settings.notify_max_attempts - claim.attempts))
    tries = 0

    def attempt() -> None:
        nonlocal tries
        tries += 1
        try:
            sender()
        except DeliveryError:
            raise
        except Exception as exc:  # a bug or an unexpected library error must not stop the other channels
            logger.exception("unexpected error delivering %s to %s", claim.event_type, claim.channel)
            raise DeliveryError(f"{type(exc).__name__}: {exc}", retryable=True) from exc

    retrying = Retrying(
        stop=stop_after_attempt(budget),
        wait=wait_exponential(multiplier=settings.notify_backoff_seconds, max=30),
        retry=retry_if_exception(lambda exc: isinstance(exc, DeliveryError) and exc.retryable),
        reraise=True,
    )
    try:
        retrying(attempt)
    except DeliveryError as exc:
        logger.warning("notification to channel %s failed (try %d): %s", claim.channel, claim.attempts + tries, exc)
        return _Result(claim, tries, exc)
    return _Result(claim, tries, None)


def _record(session: Session, result: _Result, *, settings: Settings, now: datetime) -> DeliveryOutcome:
    claim = result.claim
    row = session.get(NotificationDelivery, claim.delivery_id, with_for_update=True)
    if row is None:  # the channel was removed meanwhile (deliveries cascade)
        status, attempts = "failed", claim.attempts + result.tries
        return DeliveryOutcome(claim.delivery_id, claim.channel, claim.event_type, status, attempts, "channel removed")
    row.attempts = claim.attempts + result.tries
    error = result.error
    if error is None:
        row.status, row.delivered_at, row.last_error = "delivered", now, None
    elif not error.retryable or row.attempts >= settings.notify_max_attempts:
        row.status, row.last_error = "failed", str(error)
        logger.error("giving up on notification %s to channel %s: %s", claim.delivery_id, claim.channel, error)
    else:
        row.last_error = str(error)
        backoff = timedelta(seconds=settings.notify_backoff_seconds * 2**row.attempts)
        row.next_attempt_at = now + min(backoff, MAX_BACKOFF)
    return DeliveryOutcome(
        claim.delivery_id, claim.channel, claim.event_type, row.status, row.attempts, str(error) if error else None
    )
