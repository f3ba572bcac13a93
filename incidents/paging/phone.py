"""SMS and voice pages: numbers (E.164, verified with a one-time code), what a page says,
and what a reply, a keypress or a provider's status report does. The providers
(providers/) carry the messages; the hooks (phone_hooks.py) check signatures and call here.

A page's reply code is its notification's id: replying `<code>` or `<code> ack` from the
paged number acknowledges, `<code> esc` escalates, through ack.use (single use, credited to
the number's owner, "from SMS" in the timeline). In a call, 1 acknowledges, 2 escalates, 3
repeats. A failed SMS or call (the provider's status report) moves on to the person's next
notification rule at once.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import phonenumbers
from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from twilio.twiml.voice_response import VoiceResponse

from audit.signals import tracked_update
from incidents import lifecycle, mailing, outbound

from . import ack, providers
from .models import PHONE_KINDS, ContactKind, ContactMethod, Notification, NotificationStatus

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from .senders import Page

N = NotificationStatus
CODE_TRIES = 5
SMS_LIMIT = 160  # one GSM-7 segment
STOP_WORDS = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit"}
START_WORDS = {"start", "unstop", "yes"}
NOT_UNDERSTOOD = "Keel: not understood. Reply with the code from a page, e.g. 1234 ack."
SAY_SALT = "keel.paging.phone.say"
# Twilio's statuses (see providers/twilio.py) that mean the page did not reach the person.
FAILED_STATUSES = {"failed", "undelivered", "busy", "no-answer", "canceled"}
REACHED = {"delivered", "completed"}  # an SMS on the phone; a call a person answered
REPLY = re.compile(r"^\s*(\d{1,12})\s*(ack|a|esc|e|escalate)?\s*$", re.IGNORECASE)


class BadNumber(ValueError):
    pass


class VerifyError(ValueError):
    pass


def parse_number(text: str) -> str:
    """`text` as E.164 ("+14155550123"), or BadNumber saying why. Every entry point (API,
    profile form, hooks) parses through here."""
    try:
        number = phonenumbers.parse(str(text), None)
    except phonenumbers.NumberParseException:
        raise BadNumber("Give the number in international form, e.g. +14155550123.") from None
    if not phonenumbers.is_valid_number(number):
        raise BadNumber("That is not a valid phone number (international form: +14155550123).")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask(number: str) -> str:
    """ "+1•••••••0123": what people outside the owner's teams may see of a number."""
    return number[:2] + "•" * max(len(number) - 6, 0) + number[-4:] if len(number) > 6 else "•••"


def masked_text(text: str) -> str:
    """`text` with every phone number in it masked (providers quote numbers in errors)."""
    return re.sub(r"\+\d{7,15}", lambda m: mask(m.group(0)), text)


# --- Verification --------------------------------------------------------------------------


def _hash(method: ContactMethod, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{method.pk}:{code}".encode(), hashlib.sha256).hexdigest()


def send_code(method: ContactMethod, now: datetime) -> outbound.Result:
    """A new six-digit code to the number (the one before it stops working)."""
    provider = providers.for_kind(method.kind)
    if provider is None:
        return outbound.Result("failed", providers.why_not(method.kind))
    code = f"{secrets.randbelow(10**6):06d}"
    ContactMethod.objects.filter(pk=method.pk).update(
        code_hash=_hash(method, code), code_sent_at=now, code_tries=0
    )
    if method.kind == ContactKind.VOICE:
        token = signing.dumps(code, salt=SAY_SALT)
        url = voice_url(say=token)
        return provider.call(method.address, url).result
    text = f"Keel: your verification code is {code}. It works for {settings.PHONE_VERIFY_MAX_AGE_MINUTES} minutes."  # noqa: E501
    return provider.send_sms(method.address, text).result


def verify(method: ContactMethod, code: str, now: datetime) -> None:
    """Mark the number verified when `code` is the one sent (in time, within 5 tries, once);
    VerifyError otherwise."""
    code = str(code or "").strip()
    with transaction.atomic():
        method = ContactMethod.objects.select_for_update().get(pk=method.pk)
        if method.verified_at is not None or not method.code_hash:
            raise VerifyError("No code is waiting for this number: ask for a new one.")
        age = timedelta(minutes=settings.PHONE_VERIFY_MAX_AGE_MINUTES)
        if method.code_sent_at is None or now - method.code_sent_at > age:
            raise VerifyError("That code has expired: ask for a new one.")
        if method.code_tries >= CODE_TRIES:
            raise VerifyError("Too many wrong codes: ask for a new one.")
        if not hmac.compare_digest(_hash(method, code), method.code_hash):
            method.code_tries += 1
            method.save(update_fields=["code_tries"])
            raise VerifyError("That code is not the one we sent.")
        method.verified_at, method.code_hash, method.code_tries = now, "", 0
        method.failed_at, method.failure = None, ""
        method.save(
            update_fields=["verified_at", "code_hash", "code_tries", "failed_at", "failure"]
        )


# --- Pages out -----------------------------------------------------------------------------


def voice_url(**query: str) -> str:
    base = settings.SITE_URL + reverse("paging:twilio-voice")
    return base + "?" + "&".join(f"{k}={v}" for k, v in query.items())


# GSM 03.38: the basic set costs one unit each, the extension set two; any other character
# makes the whole message UCS-2, 70 characters to a segment instead of 160.
GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = set("^{}\\[~]|€")
UCS2_LIMIT = 70


def units(text: str) -> int | None:
    """`text`'s length in GSM-7 units, or None when it cannot be GSM-7."""
    if any(c not in GSM_BASIC and c not in GSM_EXTENSION for c in text):
        return None
    return sum(2 if c in GSM_EXTENSION else 1 for c in text)


def sms_text(page: Page, code: str | None) -> str:
    """One segment when it can: severity, ref, the title cut to fit, how to reply (GSM-7,
    160 units, unless the title needs UCS-2: then 70 characters)."""
    more = f" (+{page.bundled - 1} more)" if page.bundled > 1 else ""
    how = f" Reply {code} to ack, {code} esc to escalate." if code else ""
    head = f"Keel {page.severity} {page.ref}{more}: "
    for cut in range(len(page.title), -1, -1):
        title = page.title if cut == len(page.title) else page.title[:cut].rstrip() + "..."
        text = head + title + how
        size = units(text)
        if (size is not None and size <= SMS_LIMIT) or len(text) <= UCS2_LIMIT:
            return text
    return head + how


def deliver(kind: str, address: str, page: Page, now: datetime) -> outbound.Result:
    """Send `page` by SMS or call to `address`; the provider's id goes on the notification
    (its status reports and keypresses find it by that). At most one SMS or call a minute
    to one number: a page in between waits (pages waiting together are bundled)."""
    provider = providers.for_kind(kind)
    if provider is None:
        return outbound.Result("failed", providers.why_not(kind))
    if not _owners_methods(address).filter(kind=kind, stopped_at__isnull=True).exists():
        return outbound.Result("failed", "This number is not verified (or replied STOP).")
    lead = Notification.objects.filter(delivery_id=page.delivery_id).first()
    if lead is not None:
        gap = timedelta(seconds=settings.PHONE_MIN_INTERVAL_SECONDS)
        last = (
            Notification.objects.filter(
                contact_method_id=lead.contact_method_id, sent_at__gt=now - gap
            )
            .exclude(pk=lead.pk)
            .order_by("-sent_at")
            .values_list("sent_at", flat=True)
            .first()
        )
        if last is not None:
            wait = last + gap - now
            return outbound.Result(
                "retry", "At most one SMS or call a minute to a number; waiting.", retry_after=wait
            )
    if kind == ContactKind.VOICE:
        # A test page ("send me a test page") has no notification: its call says so.
        query = {"page": page.delivery_id} if lead is not None else {"test": "1"}
        sent = provider.call(address, voice_url(**query))
    else:
        sent = provider.send_sms(address, sms_text(page, str(lead.pk) if lead else None))
    if sent.sid and lead is not None:
        Notification.objects.filter(pk=lead.pk).update(provider_sid=sent.sid)
    result = sent.result
    return outbound.Result(
        result.outcome, masked_text(result.detail), result.status_code, result.retry_after
    )


# --- Replies and keypresses in -------------------------------------------------------------


def _owners_methods(number: str):
    return ContactMethod.objects.filter(
        kind__in=PHONE_KINDS, address=number, verified_at__isnull=False
    )


def reply(sender: str, text: str, now: datetime) -> str:
    """What an SMS from `sender` does; returns the answer to text back ("" for none)."""
    try:
        number = parse_number(sender)
    except BadNumber:
        return ""
    word = text.strip().lower()
    if word in STOP_WORDS:
        stop(number, now)
        return ""  # the carrier or Twilio confirms a STOP itself
    if word in START_WORDS:
        started = ContactMethod.objects.filter(kind=ContactKind.SMS, address=number)
        with tracked_update(ContactMethod, list(started.values_list("pk", flat=True))):
            started.update(stopped_at=None)
        return "Keel: pages by SMS to this number are back on."
    match = REPLY.match(text)
    if match is None:
        return NOT_UNDERSTOOD
    code, verb = match.group(1), (match.group(2) or "ack").lower()
    notification = (
        Notification.objects.filter(pk=int(code), contact_method__in=_owners_methods(number))
        .select_related("user")
        .first()
    )
    if notification is None:
        return NOT_UNDERSTOOD  # the same for a stranger's number and a wrong code
    action = "escalate" if verb.startswith("e") else "acknowledge"
    return "Keel: " + act(notification, action, now, "sms")


def act(notification: Notification, action: str, now: datetime, via: str) -> str:
    try:
        return ack.use(notification, action, now, via=via)
    except ack.BadLink as exc:
        return exc.message.replace("link", "page")


def stop(number: str, now: datetime) -> None:
    """The number replied STOP: no more SMS to it, and its owner is told by email."""
    methods = list(
        ContactMethod.objects.filter(kind=ContactKind.SMS, address=number, stopped_at__isnull=True)
        .select_related("user")
    )  # fmt: skip
    with tracked_update(ContactMethod, [m.pk for m in methods]):
        ContactMethod.objects.filter(pk__in=[m.pk for m in methods]).update(stopped_at=now)
    for method in methods:
        sent = mailing.send(
            "Keel: SMS pages to your number are stopped",
            f"Your number {method.address} replied STOP, so Keel no longer pages you by SMS "
            f"there. Reply START from it to turn them back on. "
            f"{settings.SITE_URL}/accounts/profile/",
            [method.user.email],
        )
        if sent.outcome != "delivered":
            log.warning(
                "could not tell %s that SMS pages stopped: %s", method.user.email, sent.detail
            )


def voice_answer(notification: Notification, digits: str, answered_by: str, now: datetime) -> str:
    """The TwiML for a page's call: the page and its menu, or what a keypress did."""
    twiml = VoiceResponse()
    if answered_by.startswith(("machine", "fax")):
        twiml.hangup()  # a voicemail is not an acknowledgement: the escalation goes on
        return str(twiml)
    if digits in ("1", "2"):
        action = "acknowledge" if digits == "1" else "escalate"
        twiml.say(act(notification, action, now, "voice"))
        twiml.hangup()
        return str(twiml)
    incident = notification.incident
    url = voice_url(page=str(notification.delivery_id))
    gather = twiml.gather(num_digits=1, action=url, method="POST", timeout=8)
    page_words = speech_of(incident)
    gather.say(f"{page_words} Press 1 to acknowledge, 2 to escalate now, 3 to hear it again.")
    twiml.say("No key was pressed. Goodbye.")
    twiml.hangup()
    return str(twiml)


def speech_of(incident) -> str:
    severity = incident.severity.replace("SEV", "severity ")
    return f"Keel page. {severity}, incident {incident.ref.replace('-', ' ')}: {incident.title}."


def say_code(token: str) -> str:
    twiml = VoiceResponse()
    try:
        code = signing.loads(
            token, salt=SAY_SALT, max_age=settings.PHONE_VERIFY_MAX_AGE_MINUTES * 60
        )
    except signing.BadSignature:
        twiml.hangup()
        return str(twiml)
    spoken = " ".join(str(code))
    twiml.say(f"Your Keel verification code is {spoken}. Again: {spoken}.")
    return str(twiml)


# --- Status reports ------------------------------------------------------------------------


def status_report(sid: str, status: str, answered_by: str, error: str, now: datetime) -> int | None:
    """The provider says how message or call `sid` went: the notification says so; a
    failure is recorded in the timeline and the person's next waiting page is made due now.
    Returns that page's id (to send now), or None."""
    status = status.lower()
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .filter(provider_sid=sid)
            .select_related("user", "incident", "contact_method")
            .first()
        )
        if notification is None:
            return None
        machine = status == "completed" and answered_by.startswith(("machine", "fax"))
        if status not in FAILED_STATUSES and not machine:
            detail = f"Provider: {status}."
            if notification.detail == detail or notification.status == N.FAILED:
                return None  # a report sent twice, or late
            notification.detail = detail
            notification.save(update_fields=["detail"])
            if status in REACHED:  # the room's panel refreshes on the event
                what = "delivered to the phone" if status == "delivered" else "answered"
                lifecycle.record(
                    notification.incident, None, "page",
                    f"{notification.get_kind_display()} to {notification.user.name} {what}.",
                    {"action": "reached", "method": notification.kind,
                     "user": notification.user.email,
                     "delivery_id": str(notification.delivery_id)},
                )  # fmt: skip
            return None
        if notification.status == N.FAILED:
            return None  # a report sent twice
        why = "a voicemail answered" if machine else status.replace("-", " ")
        how = notification.get_kind_display().lower()
        notification.status = N.FAILED
        notification.detail = f"Not delivered: {why}{f' (error {error})' if error else ''}."
        notification.save(update_fields=["status", "detail"])
        lifecycle.record(
            notification.incident, None, "page",
            f"Page to {notification.user.name} by {how} failed (step {notification.step}): "
            f"{why}.",
            {"action": "failed", "step": notification.step, "user": notification.user.email,
             "user_name": notification.user.name, "method": notification.kind,
             "delivery_id": str(notification.delivery_id)},
        )  # fmt: skip
        following = (
            Notification.objects.filter(
                escalation_id=notification.escalation_id, user_id=notification.user_id,
                status=N.PENDING, due_at__gt=now,
            )
            .order_by("due_at", "pk")
            .first()
        )  # fmt: skip
        if following is None:
            return None
        following.due_at = now
        following.save(update_fields=["due_at"])
        return following.pk
