"""Senders of notifications: a webhook POST of a change, an e-mail of one or more changes,
or a message through Apprise. Each raises NotifyError on failure, in words that never
hold the target's URL (it may hold credentials).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote, urlsplit

from tracker.errors import TrackerError

if TYPE_CHECKING:
    from tracker.notify import Settings, Target

WEBHOOK_SCHEMES, MAIL_SCHEMES = ("http", "https"), ("mailto", "smtp", "smtps")
SIGNATURE = "X-Pledge-Tracker-Signature"  # "sha256=" + HMAC-SHA256 of the body, hex
DELIVERY = "X-Pledge-Tracker-Delivery"  # the change's key: a receiver can drop a duplicate
TIMEOUT = 20.0


class NotifyError(TrackerError):
    """A notification was not delivered (it is retried on a later run)."""


def send(target: Target, settings: Settings, changes: list) -> None:
    """Send changes to a target: one POST per change to a webhook, one message otherwise."""
    if target.scheme in WEBHOOK_SCHEMES:
        for change in changes:
            _post(target, change)
    elif target.scheme in MAIL_SCHEMES:
        _mail(target, settings, changes)
    else:
        _apprise(target, changes)


def _post(target: Target, change) -> None:
    """POST the change as data/changes.json has it; a 2xx answer is success."""
    import base64
    import http.client

    parts = urlsplit(target.url)
    body = json.dumps(change.to_dict(), ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json", "User-Agent": "PledgeTracker (notifications)",
               DELIVERY: change.key}
    if target.secret:
        digest = hmac.new(target.secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
        headers[SIGNATURE] = f"sha256={digest}"
    if parts.username or parts.password:
        pair = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=TIMEOUT, context=_tls())
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=TIMEOUT)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
    except (OSError, http.client.HTTPException) as error:
        raise NotifyError(_reason(error)) from None
    finally:
        connection.close()
    if not 200 <= response.status < 300:
        raise NotifyError(f"HTTP {response.status} {response.reason}".strip())


def _mail(target: Target, settings: Settings, changes: list) -> None:
    import smtplib

    message = _message(target, settings, changes)
    server = urlsplit(target.url if target.scheme != "mailto" else settings.smtp)
    implicit_tls = server.scheme == "smtps"
    port = server.port or (465 if implicit_tls else 587 if server.username else 25)
    context = _tls()
    try:
        if implicit_tls:
            smtp = smtplib.SMTP_SSL(server.hostname, port, timeout=TIMEOUT, context=context)
        else:
            smtp = smtplib.SMTP(server.hostname, port, timeout=TIMEOUT)
        with smtp:
            smtp.ehlo()
            if not implicit_tls and smtp.has_extn("starttls"):
                smtp.starttls(context=context)
                smtp.ehlo()
            elif not implicit_tls and server.username:
                raise NotifyError(f"{server.hostname} offers no STARTTLS: the password is not sent in clear")
            if server.username:
                smtp.login(unquote(server.username), unquote(server.password or ""))
            smtp.send_message(message)
    except smtplib.SMTPResponseException as error:
        raise NotifyError(f"the mail server answered {error.smtp_code}") from None
    except (OSError, smtplib.SMTPException) as error:
        raise NotifyError(_reason(error)) from None


def _message(target: Target, settings: Settings, changes: list):
    """A plain-text body and an HTML part, with a List-Unsubscribe header."""
    from email.message import EmailMessage
    from email.utils import formatdate, make_msgid

    from tracker.site.feeds import EntryCache

    parts = urlsplit(target.url)
    to = unquote(parts.path) if target.scheme == "mailto" else parse_qs(parts.query)["to"][0]
    sender = settings.sender if target.scheme == "mailto" else parse_qs(parts.query).get("from", [settings.sender])[0]
    message = EmailMessage()
    message["Subject"] = _subject(target, changes)
    message["From"], message["To"] = sender, to
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    unsubscribe = settings.unsubscribe or f"mailto:{sender}?subject=unsubscribe%20{to}"
    message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message.set_content(_text(changes))
    entry = EntryCache()  # what a feed entry shows of a change
    message.add_alternative("<!doctype html><html><body>" + "<hr>".join(entry(c) for c in changes)
                            + "</body></html>", subtype="html")
    return message


def _apprise(target: Target, changes: list) -> None:
    """Any service Apprise knows (Matrix, Slack, ntfy…); it says only whether it worked."""
    import apprise

    _quiet_apprise()
    sender = apprise.Apprise()
    sender.add(target.url)
    if not sender.notify(title=_subject(target, changes), body=_text(changes), body_format=apprise.NotifyFormat.TEXT):
        raise NotifyError("Apprise could not send it")


def apprise_knows(url: str) -> bool:
    try:
        import apprise
    except ImportError:
        return False
    _quiet_apprise()
    return apprise.Apprise.instantiate(url) is not None


def _quiet_apprise() -> None:
    """Apprise logs what it meets, URLs included: none of it reaches our logs or stderr."""
    import logging

    logger = logging.getLogger("apprise")
    logger.propagate = False
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())


def _subject(target: Target, changes: list) -> str:
    if target.every:
        return f"Pledge Tracker digest: {len(changes)} change{'s' * (len(changes) != 1)}"
    change = changes[0]
    return f"Pledge Tracker: {change.name}: {_summary(change)}"


def _text(changes: list) -> str:
    from tracker.report import dicts_as_text

    return "\n\n".join(f"{c.name}, {c.version.date}: {_summary(c)}\n\n" + dicts_as_text(c.changes) for c in changes)


def _summary(change) -> str:
    """"1 weakened, 2 added", in the site's default words (a mail has no site language)."""
    from tracker.site.messages import load

    return load().summary(change.counts)


def _tls():
    """The TLS context fetching uses (the environment's certificate authorities, else certifi's)."""
    from tracker.session import ssl_context

    try:
        return ssl_context()
    except OSError as error:
        raise NotifyError(f"cannot load the certificate authorities: {_reason(error)}") from None


def _reason(error: Exception) -> str:
    """A failure in a few words, without the URL (it may hold credentials)."""
    return getattr(error, "strerror", None) or type(error).__name__
