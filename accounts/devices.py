"""A staff member's second factors (django-otp): one authenticator app (TOTP) and a sheet of
single-use backup codes. Every write happens here; views only ask and show."""

from __future__ import annotations

from base64 import b32encode
from dataclasses import dataclass
from datetime import datetime

import segno
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django_otp import devices_for_user
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

APP_DEVICE_NAME = "Authenticator app"
BACKUP_DEVICE_NAME = "Backup codes"
BACKUP_CODE_COUNT = 10


def code_normalised(code: str) -> str:
    """What people type, as the devices store it: no spaces or dashes, lower case."""
    return "".join(code.split()).replace("-", "").lower()


def code_grouped(code: str) -> str:
    """A backup code as printed: 'k3pq 7xwa'."""
    return f"{code[:4]} {code[4:]}"


@dataclass(frozen=True)
class CodeCheck:
    """The outcome of checking a code: the device it matched, or why not."""

    device: Device | None = None
    locked_until: datetime | None = None


def app_pending(user: AbstractBaseUser) -> TOTPDevice:
    """The authenticator app being set up: the same one (same QR code) until it is confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    return device or TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)


def app_device(user: AbstractBaseUser) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()


def app_secret(device: TOTPDevice) -> str:
    """The key for typing into an app by hand, in groups of four."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def app_qr_svg(device: TOTPDevice) -> str:
    """The key as a QR code: inline SVG, so no image request and nothing sent elsewhere."""
    return segno.make(device.config_url, error="m").svg_inline(scale=5, border=2)


def code_check(user: AbstractBaseUser, code: str, *, device: Device | None = None) -> CodeCheck:
    """Check a code against `device`, or against the user's confirmed devices: six digits are an
    authenticator code, anything else a backup code (used up when it matches). Wrong codes slow
    further tries down (django-otp's throttling: 1, 2, 4, 8 … seconds)."""
    code = code_normalised(code)
    with transaction.atomic():
        if device is not None:
            candidates = [type(device).objects.select_for_update().get(pk=device.pk)]
        else:
            wanted = TOTPDevice if code.isdigit() and len(code) == 6 else StaticDevice
            candidates = [d for d in devices_for_user(user, for_verify=True) if isinstance(d, wanted)]
        for candidate in candidates:
            allowed, why = candidate.verify_is_allowed()
            if not allowed:
                return CodeCheck(locked_until=(why or {}).get("locked_until"))
            if candidate.verify_token(code):
                return CodeCheck(device=candidate)
    return CodeCheck()


@transaction.atomic
def app_confirm(user: AbstractBaseUser, device: TOTPDevice) -> list[str]:
    """The app answered with a right code: it becomes the user's only authenticator (a new phone
    replaces the old one), and a fresh sheet of backup codes is returned for showing once."""
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.name = APP_DEVICE_NAME
    device.save(update_fields=["confirmed", "name"])
    return backup_codes_issue(user)


@transaction.atomic
def backup_codes_issue(user: AbstractBaseUser) -> list[str]:
    """Ten new single-use codes; any earlier ones stop working."""
    sheet, _ = StaticDevice.objects.get_or_create(
        user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True}
    )
    sheet.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=sheet, token=code) for code in codes)
    return codes


def backup_codes_left(user: AbstractBaseUser) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@transaction.atomic
def two_factor_off(user: AbstractBaseUser) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
