"""Email alerts to a school's designated safeguarding lead when a pupil's answer is flagged.

Sent through the SMTP server in the settings (SMTP_HOST; none set: no email, the "Needs attention"
page is the alert). The email says only that there is a concern and where to read it: never what
the pupil wrote, which would then sit in mailboxes outside the service.

Sending happens on a background thread so that a slow mail server never keeps a pupil waiting;
a failure is logged (without addresses) and the concern is on the DSL's page either way.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from email.message import EmailMessage

from flask import current_app

log = logging.getLogger("survey.alerts")


def configured() -> bool:
    return bool(current_app.config.get("SMTP_HOST"))


def concern_email(*, school_name: str, link: str, sender: str, to: list[str], service: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = f"{service}: a possible safeguarding concern needs your attention"
    message["From"] = sender
    message["To"] = ", ".join(to)
    message.set_content(
        f"A pupil's answer in the {service} survey at {school_name} has been flagged as a possible "
        "safeguarding concern.\n\n"
        f"Sign in to read it and record what you do:\n{link}\n\n"
        "For the pupil's privacy this email does not contain what they wrote.\n"
        "You are receiving this because you are a designated safeguarding lead for this school "
        "(or its school lead, where no safeguarding lead is set up).\n"
    )
    return message


def send_concern_alert(*, school_name: str, link: str, to: list[str]) -> threading.Thread | None:
    """Email `to` about a new concern, on a background thread (returned, for tests to join)."""
    if not configured() or not to:
        return None
    config = current_app.config
    settings = {
        "host": config["SMTP_HOST"],
        "port": config["SMTP_PORT"],
        "username": config.get("SMTP_USERNAME"),
        "password": config.get("SMTP_PASSWORD"),
        "starttls": config.get("SMTP_STARTTLS", False),
        "timeout": config.get("SMTP_TIMEOUT", 10),
    }
    message = concern_email(
        school_name=school_name,
        link=link,
        sender=config["SMTP_FROM"],
        to=to,
        service=config.get("SERVICE_NAME", "Pupil Voice"),
    )
    thread = threading.Thread(target=_send, args=(message, settings), name="concern-alert", daemon=True)
    thread.start()
    return thread


def _send(message: EmailMessage, settings: dict) -> None:
    try:
        with smtplib.SMTP(settings["host"], settings["port"], timeout=settings["timeout"]) as smtp:
            if settings["starttls"]:
                smtp.starttls(context=ssl.create_default_context())
            if settings["username"]:
                smtp.login(settings["username"], settings["password"] or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        # No addresses or message text in the log: only that it failed, and why in general.
        log.error("safeguarding alert email not sent: %s", type(error).__name__)
