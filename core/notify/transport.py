"""What the senders share: the delivery error and the message a channel receives."""

from __future__ import annotations


class DeliveryError(Exception):
    """One delivery attempt failed. ``retryable`` False means trying again cannot help (e.g. HTTP 404)."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable
