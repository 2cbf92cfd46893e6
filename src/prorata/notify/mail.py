"""E-mail over SMTP (`PRORATA_SMTP_URL`), with the standard library's smtplib and email
packages. A notification is `multipart/alternative`: the rendered text, and the same text as
HTML — escaped, so a customer name like `<script>` stays text, paragraphs on blank lines.
The Message-ID is the delivery's id, so a retried delivery is recognisably the same mail."""

from __future__ import annotations

import html
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from types import TracebackType
from urllib.parse import parse_qs, unquote, urlsplit

from prorata.domain.errors import InvalidInput


class SmtpUrl:
    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise InvalidInput("invalid_smtp_url", "PRORATA_SMTP_URL must be "
                               "smtp://[user:password@]host:port or smtps://…", None)
        self.tls = parts.scheme == "smtps"
        self.host = parts.hostname
        self.port = parts.port or (465 if self.tls else 25)
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.starttls = parse_qs(parts.query).get("starttls", ["0"])[0] in ("1", "true")


def to_html(text: str) -> str:
    paragraphs = [p for p in text.strip().split("\n\n") if p.strip()]
    inner = "\n".join("<p>" + html.escape(p).replace("\n", "<br>\n") + "</p>"
                      for p in paragraphs)
    return f'<!DOCTYPE html>\n<html><body style="font-family: sans-serif">\n{inner}\n' \
           "</body></html>\n"


def message(sender: str, recipient: str, subject: str, text: str,
            message_id: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = recipient
    msg["Subject"] = subject
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = f"<{message_id}@prorata>"
    msg.set_content(text)
    msg.add_alternative(to_html(text), subtype="html")
    return msg


class Mailer:
    """One SMTP connection for a round of deliveries, opened on the first mail."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self.url = SmtpUrl(url)
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _connect(self) -> smtplib.SMTP:
        if self._smtp is None:
            u = self.url
            smtp: smtplib.SMTP
            if u.tls:
                smtp = smtplib.SMTP_SSL(u.host, u.port, timeout=self.timeout,
                                        context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(u.host, u.port, timeout=self.timeout)
                if u.starttls:
                    smtp.starttls(context=ssl.create_default_context())
            if u.user:
                smtp.login(u.user, u.password or "")
            self._smtp = smtp
        return self._smtp

    def send(self, msg: EmailMessage) -> None:
        """Raises smtplib/OS errors; the connection is dropped after one, so the next mail
        starts afresh."""
        try:
            self._connect().send_message(msg)
        except (smtplib.SMTPException, OSError):
            self.close()
            raise

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()
