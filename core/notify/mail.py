"""Email delivery over SMTP (optional STARTTLS and login), configured by ``PROMPTLOOP_SMTP_*``."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage

from core.config import Settings
from core.notify.transport import DeliveryError


@dataclass(frozen=True)
class SmtpConfig:
    host: str | None
    port: int
    starttls: bool
    username: str | None
    password: str | None
    sender: str
    timeout: float

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpConfig:
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            starttls=settings.smtp_starttls,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            sender=settings.smtp_from,
            timeout=settings.notify_timeout_seconds,
        )


def send_email(config: SmtpConfig, *, to: Sequence[str], subject: str, body: str) -> None:
    """Send one message; raise :class:`DeliveryError` (retryable unless the setup itself is wrong)."""
    if not config.host:
        raise DeliveryError("no SMTP server configured: set PROMPTLOOP_SMTP_HOST", retryable=False)
    message = EmailMessage()
    message["From"] = config.sender
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message.set_content(body)
    try:
        with smtplib.SMTP(config.host, config.port, timeout=config.timeout) as smtp:
            if config.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if config.username:
                smtp.login(config.username, config.password or "")
            smtp.send_message(message)
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(f"SMTP login to {config.host} refused: {exc.smtp_code}", retryable=False) from exc
    except smtplib.SMTPNotSupportedError as exc:
        raise DeliveryError(f"SMTP server {config.host}: {exc}", retryable=False) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP to {config.host}:{config.port} failed: {exc}", retryable=True) from exc
