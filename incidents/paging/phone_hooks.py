"""Inbound phone webhooks: Twilio's SMS, voice and status callbacks (X-Twilio-Signature over
SITE_URL + the path and query, and the form fields), and the generic SMS gateway's replies
(HMAC-SHA256 of the body in X-Keel-Signature-256). A wrong or missing signature is 403 and
changes nothing; past the check, each hands plain values to phone.py.

Twilio's inbound SMS fields: From, To, Body, MessageSid, AccountSid; a call's <Gather>
posts Digits (and CallSid, AnsweredBy with machine detection); status callbacks post
MessageSid + MessageStatus or CallSid + CallStatus (https://www.twilio.com/docs/messaging/
guides/webhook-request, https://www.twilio.com/docs/voice/twiml/gather).
"""

from __future__ import annotations

import json
import uuid

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from . import phone, tasks
from .models import Notification
from .providers import sms_gateway, twilio

FORBIDDEN = "The signature is missing or wrong."


def _from_twilio(request: HttpRequest) -> bool:
    url = settings.SITE_URL + request.get_full_path()
    return twilio.signed(url, request.POST, request.headers.get("X-Twilio-Signature", ""))


def _twiml(twiml) -> HttpResponse:
    return HttpResponse(str(twiml), content_type="text/xml")


@csrf_exempt
@require_POST
def twilio_sms(request: HttpRequest) -> HttpResponse:
    if not _from_twilio(request):
        return HttpResponseForbidden(FORBIDDEN, content_type="text/plain")
    text = phone.reply(request.POST.get("From", ""), request.POST.get("Body", ""), timezone.now())
    answer = MessagingResponse()
    if text:
        answer.message(text)
    return _twiml(answer)


@csrf_exempt
@require_POST
def twilio_voice(request: HttpRequest) -> HttpResponse:
    """A call's TwiML: the page and its menu (`?page=<delivery id>`), what a keypress did,
    or a verification code spoken (`?say=<signed code>`)."""
    if not _from_twilio(request):
        return HttpResponseForbidden(FORBIDDEN, content_type="text/plain")
    if "say" in request.GET:
        return HttpResponse(phone.say_code(request.GET["say"]), content_type="text/xml")
    if "test" in request.GET:
        answer = VoiceResponse()
        answer.say("This is a test call from Keel. Pages will reach you like this.")
        return _twiml(answer)
    try:
        delivery_id = uuid.UUID(request.GET.get("page", ""))
    except ValueError:
        delivery_id = None
    notification = (
        Notification.objects.filter(delivery_id=delivery_id).select_related("incident").first()
        if delivery_id
        else None
    )
    if notification is None:
        answer = VoiceResponse()
        answer.hangup()
        return _twiml(answer)
    twiml = phone.voice_answer(
        notification, request.POST.get("Digits", ""), request.POST.get("AnsweredBy", ""),
        timezone.now(),
    )  # fmt: skip
    return HttpResponse(twiml, content_type="text/xml")


@csrf_exempt
@require_POST
def twilio_status(request: HttpRequest) -> HttpResponse:
    if not _from_twilio(request):
        return HttpResponseForbidden(FORBIDDEN, content_type="text/plain")
    data = request.POST
    sid = data.get("MessageSid") or data.get("CallSid") or ""
    status = data.get("MessageStatus") or data.get("CallStatus") or ""
    _report(sid, status, data.get("AnsweredBy", ""), data.get("ErrorCode", ""))
    return HttpResponse(status=204)


def _report(sid: str, status: str, answered_by: str, error: str) -> None:
    if not sid or not status:
        return
    following = phone.status_report(
        sid[:64], status[:30], answered_by[:30], error[:10], timezone.now()
    )
    if following is not None:
        tasks.queue_send(following)  # the next rule now: the failed page did not reach them


@csrf_exempt
@require_POST
def sms_gateway_hook(request: HttpRequest) -> HttpResponse:
    """The generic gateway: {"from", "message"} (a reply; answered {"reply": text}) or
    {"reference" | "id", "status"} (a delivery report)."""
    if not sms_gateway.signed(request.body, request.headers.get("X-Keel-Signature-256", "")):
        return HttpResponseForbidden(FORBIDDEN, content_type="text/plain")
    try:
        data = json.loads(request.body)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return JsonResponse({"detail": "Send a JSON object."}, status=400)
    fields = {k: v for k, v in data.items() if isinstance(v, str)}
    if "from" in fields and "message" in fields:
        return JsonResponse(
            {"reply": phone.reply(fields["from"], fields["message"], timezone.now())}
        )
    if "status" in fields and (fields.get("reference") or fields.get("id")):
        _report(fields.get("reference") or fields["id"], fields["status"], "", "")
        return HttpResponse(status=204)
    return JsonResponse(
        {"detail": 'Send {"from", "message"} or {"reference", "status"}.'}, status=400
    )
