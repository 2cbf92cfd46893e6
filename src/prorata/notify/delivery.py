"""The worker job that delivers notifications (SPEC R3): `deliver_due(database, now, *,
force=False) -> int`, the shape of every job in `prorata.worker.jobs.JOBS`.

A round: new events become deliveries (fan-out), then due deliveries are claimed in batches,
attempted — webhooks several at a time, e-mails over one SMTP connection — and their outcomes
recorded, until nothing is due. A failed attempt is retried with exponential back-off
(config.py) until `max_attempts`, then given up; every attempt is in the delivery log.
`force` (the test worker's rounds) ignores the back-off and attempts every pending delivery
once. `now` schedules (back-off, leases); the signature's timestamp is the wall clock's, as
receivers check it against theirs."""

from __future__ import annotations

import smtplib
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from prorata.adapters.db.deliveries import Claimed, Outcome, Policy, claim, fan_out, record
from prorata.adapters.db.session import utcnow
from prorata.notify import mail, webhooks
from prorata.notify.config import NotifyConfig
from prorata.notify.sandbox import TemplateError
from prorata.notify.templates import default_template, render
from prorata.notify.urls import delivery_refusal
from prorata.services.notice_context import event_context
from prorata.services.templates import applicable
from prorata.services.webhooks import block_private

FAN_OUT_BATCH = 500


def deliver_due(database: Any, now: datetime, *, force: bool = False,
                config: NotifyConfig | None = None) -> int:
    """Process what is due at `now`; answers how many delivery attempts were made."""
    cfg = config or NotifyConfig.from_env()
    started = utcnow()
    policy = Policy(cfg.max_attempts, cfg.delay, cfg.disable_after,
                    timedelta(hours=cfg.disable_after_hours))
    while fan_out(database, now, mail=cfg.smtp_url is not None,
                  limit=FAN_OUT_BATCH) == FAN_OUT_BATCH:
        pass
    with database.uow(read_only=True) as uow:
        blocking = block_private(uow)
    processed = 0
    lease = timedelta(seconds=cfg.lease_seconds)
    client = webhooks.client(cfg.http_timeout, cfg.senders)
    with client, ThreadPoolExecutor(max_workers=cfg.senders,
                                    thread_name_prefix="prorata-webhook") as pool:
        mailer = mail.Mailer(cfg.smtp_url) if cfg.smtp_url else None
        try:
            while batch := claim(database, now, started, force=force, limit=cfg.batch,
                                 lease=lease):
                hooks = [c for c in batch if c.endpoint_id is not None]
                sent = list(pool.map(lambda c: _webhook(client, c, blocking), hooks))
                mails = [(c, _email(database, mailer, c, cfg)) for c in batch
                         if c.endpoint_id is None]
                record(database, list(zip(hooks, sent, strict=True)) + mails, now, policy)
                processed += len(batch)
        finally:
            if mailer is not None:
                mailer.close()
    return processed


def _webhook(client: Any, item: Claimed, blocking: bool) -> Outcome:
    assert item.url is not None and item.secret is not None
    refused = delivery_refusal(item.url, blocking)
    if refused is not None:
        return Outcome(False, error=f"not sent: {refused}")
    payload = webhooks.body(item.event, item.event_created_at)
    return Outcome(**webhooks.send(client, item.url, item.id, item.secret, payload))


def _email(database: Any, mailer: mail.Mailer | None, item: Claimed,
           cfg: NotifyConfig) -> Outcome:
    if mailer is None:
        return Outcome(False, error="no SMTP server is configured (PRORATA_SMTP_URL)")
    assert item.recipient is not None
    with database.uow(read_only=True) as uow:
        ctx = event_context(uow, item.event)
        if ctx is None:
            return Outcome(False, error="the customer no longer exists", final=True)
        template = applicable(uow, item.event.type, ctx["customer"]["reseller"]).template
    try:
        subject, text = _render(template, ctx, item.event.type)
    except TemplateError as exc:
        return Outcome(False, error=f"the template cannot be rendered: {exc.message}",
                       final=True)
    msg = mail.message(cfg.mail_from, item.recipient, subject, text, item.id)
    try:
        mailer.send(msg)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        return Outcome(False, codes[0] if codes else None, f"recipient refused: {exc}",
                       final=all(code >= 500 for code in codes))
    except (smtplib.SMTPException, OSError) as exc:
        return Outcome(False, error=f"{type(exc).__name__}: {exc}"[:500])
    return Outcome(True, 250)


def _render(template: Any, ctx: dict[str, Any], event_type: str) -> tuple[str, str]:
    """An operator's or reseller's template that fails on this event's real data (it passed
    the sample when saved) falls back to the shipped default: the customer is still told."""
    try:
        return render(template, ctx)
    except TemplateError:
        fallback = default_template(event_type)
        if fallback == template:
            raise
        return render(fallback, ctx)
