"""Webhook delivery: a JSON POST signed with the channel's secret.

Headers of every request::

    Content-Type: application/json
    X-Promptloop-Event: change_request.approved
    X-Promptloop-Delivery: 42                        # unique per delivery; receivers may dedupe on it
    X-Promptloop-Timestamp: 1767225600               # unix seconds when the request was signed
    X-Promptloop-Signature: sha256=<hex>

The signature is HMAC-SHA256 with the channel secret as key over ``f"{timestamp}."`` followed by
the raw body bytes (the timestamp is bound in so a captured request cannot be replayed later with
a fresh timestamp). Receivers recompute it over the exact bytes received and compare in constant
time; :func:`verify_signature` does that and also rejects timestamps outside a tolerance.
"""

from __future__ import annotations

import hashlib
import hmac

import httpx

from core.notify.transport import DeliveryError

SIGNATURE_HEADER = "X-Promptloop-Signature"
TIMESTAMP_HEADER = "X-Promptloop-Timestamp"
EVENT_HEADER = "X-Promptloop-Event"
DELIVERY_HEADER = "X-Promptloop-Delivery"
DEFAULT_TOLERANCE_SECONDS = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(
    secret: str,
    *,
    timestamp: str,
    body: bytes,
    signature: str,
    now: float,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
) -> bool:
    """What a receiver does: recompute the signature and check the timestamp is recent."""
    try:
        stamp = int(timestamp)
    except ValueError:
        return False
    if abs(now - stamp) > tolerance_seconds:
        return False
    return hmac.compare_digest(sign(secret, stamp, body), signature)


def send_webhook(
    client: httpx.Client,
    *,
    url: str,
    secret: str,
    body: bytes,
    event_type: str,
    delivery_id: int,
    timestamp: int,
) -> None:
    """POST once; raise :class:`DeliveryError` (retryable for network errors, 408, 429 and 5xx)."""
    headers = {
        "Content-Type": "application/json",
        EVENT_HEADER: event_type,
        DELIVERY_HEADER: str(delivery_id),
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, timestamp, body),
        "User-Agent": "promptloop-notify/1",
    }
    try:
        response = client.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"POST {url} failed: {type(exc).__name__}: {exc}", retryable=True) from exc
    if response.is_success:
        return
    retryable = response.status_code in (408, 429) or response.status_code >= 500
    raise DeliveryError(f"POST {url} answered HTTP {response.status_code}", retryable=retryable)
