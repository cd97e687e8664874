"""Notifications: webhooks (HMAC-signed JSON) and email (SMTP) through a transactional outbox.

* :func:`core.notify.events.notify` writes an event and one pending delivery per interested channel
  in the caller's transaction — nothing is sent if that transaction rolls back.
* :func:`core.notify.deliver.deliver_pending` sends due deliveries after commit, with retries and
  backoff; a failing channel is logged and marked, and never raises into the caller.
* :mod:`core.notify.channels` manages the channels (admins only).
"""
