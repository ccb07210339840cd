"""The driver's own link: a token that names one driver of one case, and nothing else.

Not stored: the token is `<driver id>-<MAC>`, the MAC (SECRET_KEY, salted) taken over the driver's
id, case, name, phone and when they were recorded. A changed driver (another name or phone) gets
another token, so a link sent to the driver before stops working; a guessed id without the MAC
opens nothing. When the link stops working by time is the page's business (the procedure day).
"""

from __future__ import annotations

import datetime as dt

from django.utils.crypto import constant_time_compare, salted_hmac

SALT = "prepdesk.driver-link"
MAC_LENGTH = 32  # hex characters: 128 bits


def driver_link_token(
    *, driver_pk: int, case_uuid: str, name: str, phone: str, recorded_at: dt.datetime | None
) -> str:
    stamp = recorded_at.isoformat() if recorded_at is not None else ""
    mac = salted_hmac(SALT, f"{driver_pk}|{case_uuid}|{name}|{phone}|{stamp}", algorithm="sha256")
    return f"{driver_pk}-{mac.hexdigest()[:MAC_LENGTH]}"


def token_driver_pk(token: str) -> int | None:
    """The driver id a token claims (not yet checked), or None for anything malformed."""
    pk, _, mac = token.partition("-")
    if not pk.isascii() or not pk.isdigit() or len(pk) > 12 or len(mac) != MAC_LENGTH:
        return None
    return int(pk)


def token_matches(token: str, driver) -> bool:
    """True if `token` is the stored driver's own (compared in constant time)."""
    return constant_time_compare(token, token_for(driver))


def token_for(driver) -> str:
    """The link token of a stored driver (a `checklists.models.Driver`, its case loaded)."""
    return driver_link_token(
        driver_pk=driver.pk,
        case_uuid=str(driver.case.uuid),
        name=driver.name,
        phone=driver.phone,
        recorded_at=driver.recorded_at,
    )
