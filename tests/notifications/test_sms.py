"""Text messages: the backends (console, locmem, Twilio against a local stub), the segment and
encoding tables, and the signature check on Twilio's status callbacks. Nothing here uses the
network: the Twilio backend talks to tests/sms_stub.py on 127.0.0.1."""

from __future__ import annotations

import io
import math
import os
import socket
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory
from hypothesis import given
from hypothesis import strategies as st

import notifications.sms
from clinic.settings import BASE_DIR
from notifications.sms import SentSms, SmsError, SmsMessage, get_connection, send_sms
from notifications.sms.backends import locmem
from notifications.sms.segments import (
    GSM7_BASIC,
    GSM7_BASIC_ROWS,
    GSM7_EXTENSION,
    encoding,
    segments,
    units,
)
from notifications.sms.webhooks import sign, signature_valid
from tests.sms_stub import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, sms_stub_fixture  # noqa: F401

CONSOLE = "notifications.sms.backends.console.SmsBackend"
LOCMEM = "notifications.sms.backends.locmem.SmsBackend"
TWILIO = "notifications.sms.backends.twilio.SmsBackend"
PATIENT = "+15550100001"
CALLBACK = "https://prep.example-clinic.org/sms/status/"


@pytest.fixture(autouse=True)
def empty_outbox():
    """Each test starts with an empty locmem outbox (cleared, never rebound: it is one list)."""
    locmem.outbox.clear()
    yield
    locmem.outbox.clear()


# The console and locmem backends


def test_the_console_backend_prints_a_block_with_recipient_segments_and_body():
    stream = io.StringIO()

    sent = send_sms(PATIENT, "Arrive at 7:00.", connection=get_connection(CONSOLE, stream=stream))

    assert stream.getvalue() == (f"To: {PATIENT}\nSegments: 1 (GSM-7)\n\nArrive at 7:00.\n" + "-" * 79 + "\n")
    assert sent.status == "sent"
    assert sent.provider_id.startswith("console-")
    assert sent.segments == 1


def test_send_sms_uses_the_backend_the_setting_names_here_the_console_on_stdout(settings, capsys):
    settings.SMS_BACKEND = CONSOLE

    send_sms(PATIENT, "Recuerde: no tome aspirina el día de la cita.", status_callback=CALLBACK)

    printed = capsys.readouterr().out
    assert "Segments: 1 (UCS-2)" in printed
    assert f"Status-Callback: {CALLBACK}" in printed


def test_the_locmem_backend_keeps_each_message_in_the_outbox_with_its_segment_count(settings):
    settings.SMS_BACKEND = LOCMEM

    first = send_sms(PATIENT, "a" * 161)
    second = send_sms("+15550100002", "Hola", status_callback=CALLBACK)

    assert notifications.sms.outbox is locmem.outbox
    assert notifications.sms.outbox == [
        SmsMessage(PATIENT, "a" * 161),
        SmsMessage("+15550100002", "Hola", CALLBACK),
    ]
    assert [message.segments for message in notifications.sms.outbox] == [2, 1]
    assert first.provider_id != second.provider_id
    assert first == SentSms(first.provider_id, "sent", 2)


# The Twilio backend, against the local stub


def test_twilio_sends_to_from_body_and_status_callback_with_the_account_credentials(sms_stub):
    sent = send_sms(PATIENT, "Su cita es mañana a las 7:00.", status_callback=CALLBACK)

    [request] = sms_stub.requests
    assert request.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert request.auth == (ACCOUNT_SID, AUTH_TOKEN)
    assert request.fields == {
        "To": [PATIENT],
        "From": [FROM_NUMBER],
        "Body": ["Su cita es mañana a las 7:00."],
        "StatusCallback": [CALLBACK],
    }
    assert sent.provider_id.startswith("SM")
    assert len(sent.provider_id) == 34
    assert sent.status == "queued"
    assert sent.segments == 1


def test_twilio_omits_the_status_callback_when_there_is_none(sms_stub):
    send_sms(PATIENT, "Hello")

    assert "StatusCallback" not in sms_stub.requests[0].fields


def test_the_segment_count_is_the_one_twilio_reports(sms_stub):
    sms_stub.num_segments = 3

    assert send_sms(PATIENT, "Hello").segments == 3


def test_a_twilio_error_becomes_an_sms_error_with_the_providers_message_and_code(sms_stub):
    sms_stub.fail_next(400, 21211, "The 'To' number +1555 is not a valid phone number.")

    with pytest.raises(SmsError, match="The 'To' number \\+1555 is not a valid phone number.") as caught:
        send_sms("+1555", "Hello")

    assert caught.value.code == 21211


def test_wrong_credentials_are_an_sms_error(sms_stub, settings):
    settings.TWILIO_AUTH_TOKEN = "not-the-token"

    with pytest.raises(SmsError, match="Authenticate") as caught:
        send_sms(PATIENT, "Hello")

    assert caught.value.code == 20003


def test_an_unreachable_provider_is_an_sms_error(sms_stub, settings):
    with socket.socket() as closed:  # bound, never listening: connections are refused
        closed.bind(("127.0.0.1", 0))
        settings.TWILIO_API_BASE_URL = f"http://127.0.0.1:{closed.getsockname()[1]}"

        with pytest.raises(SmsError, match="could not be reached"):
            send_sms(PATIENT, "Hello")


def test_the_twilio_backend_names_the_settings_it_is_missing(settings):
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = ""
    settings.TWILIO_FROM_NUMBER = ""

    with pytest.raises(ImproperlyConfigured, match="TWILIO_AUTH_TOKEN, TWILIO_FROM_NUMBER"):
        get_connection(TWILIO)


@pytest.mark.parametrize("base_url", ["http://sms.example.org", "ftp://127.0.0.1", "127.0.0.1:8000"])
def test_credentials_never_go_over_plain_http_off_this_machine(settings, base_url):
    with pytest.raises(ImproperlyConfigured, match="TWILIO_API_BASE_URL"):
        get_connection(
            TWILIO,
            account_sid=ACCOUNT_SID,
            auth_token=AUTH_TOKEN,
            from_number=FROM_NUMBER,
            api_base_url=base_url,
        )


@pytest.mark.parametrize(
    ("name", "path"), [("", CONSOLE), ("twilio", TWILIO), ("locmem", LOCMEM), (LOCMEM, LOCMEM)]
)
def test_sms_backend_takes_a_short_name_or_a_dotted_path_from_the_environment(name, path):
    assert settings_value("SMS_BACKEND", SMS_BACKEND=name) == path


def test_an_unknown_short_name_for_sms_backend_stops_the_start():
    with pytest.raises(subprocess.CalledProcessError) as caught:
        settings_value("SMS_BACKEND", SMS_BACKEND="twillio")

    assert (
        "SMS_BACKEND: 'twillio' is neither console, locmem, twilio nor a dotted path" in caught.value.stderr
    )


def settings_value(name: str, **environment: str) -> str:
    """A setting as a fresh process reads it from these environment variables."""
    code = f"from django.conf import settings; print(settings.{name})"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "clinic.settings", "DEBUG": "1", **environment},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


# Encoding and segments (GSM 03.38 / 3GPP TS 23.038)


def test_the_gsm_basic_set_has_its_127_characters_at_their_codes():
    assert [len(row) for row in GSM7_BASIC_ROWS] == [16] * 8
    assert len(GSM7_BASIC) == 127
    table = "".join(GSM7_BASIC_ROWS)
    codes = {"@": 0x00, "£": 0x01, "$": 0x02, "Ç": 0x09, "\n": 0x0A, "\r": 0x0D, "Δ": 0x10, "\x1b": 0x1B}
    codes |= {"¤": 0x24, "¡": 0x40, "Ñ": 0x5D, "§": 0x5F, "¿": 0x60, "ñ": 0x7D, "ü": 0x7E, "à": 0x7F}
    assert {char: table.index(char) for char in codes} == codes


@pytest.mark.parametrize("char", list("ñÑ¿¡éÉüÜàèìòùÄÖÅÆøÇ"))
def test_these_accented_letters_are_in_gsm_7(char):
    assert encoding(f"Hola {char}") == "GSM-7"


@pytest.mark.parametrize("char", list("áíóúÁÍÓÚçâ"))
def test_these_accented_letters_force_ucs_2(char):
    assert encoding(f"Hola {char}") == "UCS-2"


def test_a_spanish_sentence_with_an_acute_a_or_i_goes_as_ucs_2():
    sentence = "Recuerde: no tome aspirina el día de la cita; llegue a la clínica a las 7:00."

    assert encoding(sentence) == "UCS-2"
    assert segments(sentence) == 2  # 77 characters: over UCS-2's 70


@pytest.mark.parametrize(("length", "expected"), [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3)])
def test_gsm_7_fits_160_characters_in_one_and_153_per_part(length, expected):
    assert segments("a" * length) == expected


@pytest.mark.parametrize("char", sorted(GSM7_EXTENSION))
def test_extension_characters_count_two_septets(char):
    assert encoding(char) == "GSM-7"
    assert units("a" * 158 + char) == 160
    assert segments("a" * 158 + char) == 1
    assert segments("a" * 159 + char) == 2


def test_an_escaped_character_is_never_split_across_two_parts():
    text = "a" * 152 + "€" + "a" * 152  # 306 septets, but the € cannot straddle parts one and two

    assert units(text) == 306
    assert segments(text) == 3


@pytest.mark.parametrize(("length", "expected"), [(70, 1), (71, 2), (134, 2), (135, 3)])
def test_ucs_2_fits_70_characters_in_one_and_67_per_part(length, expected):
    assert segments("á" * length) == expected


def test_an_emoji_counts_two_utf_16_code_units():
    assert encoding("👍") == "UCS-2"
    assert units("👍") == 2
    assert segments("a" * 68 + "👍") == 1
    assert segments("a" * 69 + "👍") == 2
    assert segments("a" * 66 + "👍" + "a" * 66) == 3  # the pair is not split: 66 | 2+65 | 1


def test_the_empty_text_is_zero_segments():
    assert segments("") == 0
    assert encoding("") == "GSM-7"


texts = st.text(alphabet=st.sampled_from(["a", " ", "€", "[", "ñ", "á", "👍", "\n"]), max_size=400)


@given(texts, st.data())
def test_a_longer_text_never_needs_fewer_segments_than_its_beginning(text, data):
    cut = data.draw(st.integers(0, len(text)))

    assert segments(text[:cut]) <= segments(text)


@given(st.text(alphabet=st.sampled_from(sorted(GSM7_BASIC)), min_size=1, max_size=1000))
def test_basic_gsm_text_follows_the_160_or_153_per_part_rule(text):
    expected = 1 if len(text) <= 160 else math.ceil(len(text) / 153)

    assert segments(text) == expected


# Status callbacks: Twilio's signature


@pytest.fixture
def webhook_token(settings) -> str:
    settings.TWILIO_AUTH_TOKEN = "webhook-token"
    return settings.TWILIO_AUTH_TOKEN


STATUS = {"MessageSid": "SM" + "ab" * 16, "MessageStatus": "delivered", "To": PATIENT}


def status_post(params: dict[str, str], signature: str | None, path: str = "/sms/status/?case=7"):
    headers = {} if signature is None else {"X-Twilio-Signature": signature}
    return RequestFactory().post(path, params, headers=headers)


def test_a_correctly_signed_status_callback_is_accepted(webhook_token):
    signature = sign("http://testserver/sms/status/?case=7", STATUS)

    assert signature_valid(status_post(STATUS, signature))


def test_a_signature_for_other_fields_is_refused(webhook_token):
    signature = sign("http://testserver/sms/status/?case=7", STATUS)

    assert not signature_valid(status_post(STATUS | {"MessageStatus": "failed"}, signature))


def test_a_signature_for_another_url_is_refused(webhook_token):
    signature = sign("http://testserver/sms/status/?case=8", STATUS)

    assert not signature_valid(status_post(STATUS, signature))


def test_a_signature_made_with_another_token_is_refused(webhook_token, settings):
    settings.TWILIO_AUTH_TOKEN = "someone-elses-token"
    forged = sign("http://testserver/sms/status/?case=7", STATUS)
    settings.TWILIO_AUTH_TOKEN = webhook_token

    assert not signature_valid(status_post(STATUS, forged))


def test_an_unsigned_callback_is_refused(webhook_token):
    assert not signature_valid(status_post(STATUS, None))


def test_nothing_is_trusted_without_an_auth_token(settings):
    settings.TWILIO_AUTH_TOKEN = ""

    assert not signature_valid(status_post(STATUS, "anything"))
