"""Texts patients send us: opt-out and opt-in (STOP / START), and replies to the day-before question.

A text is stored once (the provider's MessageSid is unique, so a retried webhook changes nothing),
matched to a case by the number and the open question, and given one meaning: "1" confirms,
STOP and START (and their synonyms) opt out and in, "2" or anything else asks a person to call.
Imports nothing from `notifications.services`, which imports this module (the outbox asks
`sms_opted_out` before each SMS).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from checklists.models import Case, Patient
from checklists.phones import phone_e164
from notifications.models import InboundSms, Notification, SmsOptOut
from notifications.reminder_plan import DAY_BEFORE

Meaning = InboundSms.Meaning

# The whole message is the keyword (after trimming, case and accents ignored): Twilio's own
# opt-out and opt-in words, and the clinic's Spanish ones. "YES" is not an opt-in here: patients
# may send it in answer to the day-before question.
STOP_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "parar", "baja"})
START_WORDS = frozenset({"start", "unstop", "alta"})
CONFIRM_WORDS = frozenset({"1"})
# A day-before question stays open until a day after the appointment's start (its end, with margin).
QUESTION_OPEN_FOR = dt.timedelta(days=1)
ANSWERED = (Notification.Status.SENT, Notification.Status.DELIVERED)
_EDGES = re.compile(r"^[\W_]+|[\W_]+$")


def _plain(body: str) -> str:
    """'  Stop. ' -> 'stop', 'báJa!' -> 'baja': trimmed of spaces and punctuation, casefolded,
    accents removed."""
    decomposed = unicodedata.normalize("NFKD", body)
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _EDGES.sub("", letters.casefold())


def keyword_meaning(body: str) -> str:
    """What a text means, from its words alone: "stop", "start", "confirmed" ("1"), else "talk"."""
    word = _plain(body)
    if word in STOP_WORDS:
        return Meaning.STOP
    if word in START_WORDS:
        return Meaning.START
    if word in CONFIRM_WORDS:
        return Meaning.CONFIRMED
    return Meaning.TALK


def _e164(phone: str) -> str:
    """The number in E.164 where it can be read (the provider sends E.164 already), else as sent."""
    try:
        return phone_e164(phone)
    except ValidationError:
        return phone.strip()[:20]


def sms_opted_out(phone: str) -> bool:
    """True while this number has replied STOP and not START since (one query)."""
    return SmsOptOut.objects.filter(phone=_e164(phone)).exists()


def _open_question(phone: str, now: dt.datetime) -> Notification | None:
    """The latest day-before SMS this number was sent whose appointment has not ended yet."""
    return (
        Notification.objects.filter(
            channel=Notification.Channel.SMS,
            kind=DAY_BEFORE,
            status__in=ANSWERED,
            recipient=phone,
            case__appointment__start__gt=now - QUESTION_OPEN_FOR,
        )
        .select_related("case")
        .order_by("-sent_at", "-id")
        .first()
    )


def _only_active_case(phone: str, now: dt.datetime) -> Case | None:
    """The number's case when exactly one scheduled case still to come has a patient with it."""
    cases = list(
        Case.objects.filter(
            status=Case.Status.SCHEDULED,
            patient__phone=phone,
            appointment__is_active=True,
            appointment__start__gt=now,
        )[:2]
    )
    return cases[0] if len(cases) == 1 else None


@transaction.atomic
def sms_receive(*, provider_id: str, from_phone: str, body: str, now: dt.datetime) -> InboundSms:
    """Store a text once (by the provider's id), record STOP / START, match its case; the row.

    A "1" answers the day-before question only when one is open for the number: without one it
    confirms nothing, so it is treated like any other text (a person calls back).
    """
    if not provider_id:
        raise ValueError("an inbound SMS needs the provider's id")
    existing = InboundSms.objects.filter(provider_id=provider_id).first()
    if existing is not None:
        return existing  # a retried webhook: stored already, nothing happens twice
    phone = _e164(from_phone)
    meaning = keyword_meaning(body)
    question = _open_question(phone, now)
    case = question.case if question else _only_active_case(phone, now)
    if meaning == Meaning.CONFIRMED and question is None:
        meaning = Meaning.TALK
    reply = InboundSms(
        provider_id=provider_id,
        from_phone=phone,
        body=body,
        received_at=now,
        case=case,
        question=question,
        meaning=meaning,
    )
    reply.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            reply.save()
    except IntegrityError:
        # The same text delivered twice at once: the other request stored it (and acted on it).
        return InboundSms.objects.get(provider_id=provider_id)
    if meaning == Meaning.STOP:
        _opt_out(phone=phone, keyword=_plain(body).upper(), now=now)
        _patients_agree(phone, agreed=False)
    elif meaning == Meaning.START:
        # A delete, so the history records when the number opted back in.
        for row in SmsOptOut.objects.filter(phone=phone):
            row.delete()
        _patients_agree(phone, agreed=True)
    return reply


def _patients_agree(phone: str, *, agreed: bool) -> None:
    """STOP withdraws the agreement to texts on each patient record with this number, so their
    reminders go by email where they can and the dashboard says to phone them where not; START
    gives it back to those who chose texts. Saved one by one: the history shows who texted what."""
    if agreed:
        patients = Patient.objects.filter(
            phone=phone, message_channel__in=(Patient.MessageChannel.SMS, Patient.MessageChannel.BOTH)
        ).exclude(sms_confirmed_phone=phone)
    else:
        patients = Patient.objects.filter(sms_confirmed_phone=phone)
    for patient in patients:
        patient.sms_confirmed_phone = phone if agreed else ""
        patient.save(update_fields=["sms_confirmed_phone", "updated_at"])


def _opt_out(*, phone: str, keyword: str, now: dt.datetime) -> None:
    """Record the opt-out; a number already opted out keeps its first STOP."""
    if SmsOptOut.objects.filter(phone=phone).exists():
        return
    row = SmsOptOut(phone=phone, opted_out_at=now, keyword=keyword[:20])
    row.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        pass  # two STOPs at once: the other one recorded it


def reply_handled(*, reply: InboundSms, user, now: dt.datetime) -> InboundSms:
    """A coordinator called the patient back about a "talk" reply: it leaves the dashboard.

    Marking it twice keeps the first person and time.
    """
    with transaction.atomic():
        row = InboundSms.objects.select_for_update().get(pk=reply.pk)
        if row.meaning != Meaning.TALK:
            raise ValidationError("Only a text asking to talk is marked as called back.")
        if row.handled_at is None:
            row.handled_at, row.handled_by = now, user
            row.save(update_fields=["handled_at", "handled_by"])
    return row
