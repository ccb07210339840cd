"""How many SMS parts a text costs, and in which encoding it travels (pure: no Django).

A text whose every character is in the GSM 03.38 alphabet (3GPP TS 23.038: the basic set plus
the extension table) goes as GSM-7, 160 septets in one message or 153 per part of a long one;
anything else forces UCS-2 for the whole text, 70 UTF-16 code units alone or 67 per part. Typical
Spanish goes UCS-2: ñ, é, ¿ and ¡ are GSM-7, but á, í, ó and ú are not.
"""

from __future__ import annotations

from typing import Final, Literal

Encoding = Literal["GSM-7", "UCS-2"]

# The basic set in code order (row n holds codes 16n..16n+15), so a test can check a character's
# code. "\x1b" (0x1B) is the escape to the extension table, never a character of the text.
GSM7_BASIC_ROWS: Final = (
    "@£$¥èéùìòÇ\nØø\rÅå",
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ",
    " !\"#¤%&'()*+,-./",
    "0123456789:;<=>?",
    "¡ABCDEFGHIJKLMNO",
    "PQRSTUVWXYZÄÖÑÜ§",
    "¿abcdefghijklmno",
    "pqrstuvwxyzäöñüà",
)
GSM7_BASIC: Final = frozenset("".join(GSM7_BASIC_ROWS)) - {"\x1b"}
# The extension table (character -> code after the escape): each costs two septets.
GSM7_EXTENSION: Final = {
    "\f": 0x0A,
    "^": 0x14,
    "{": 0x28,
    "}": 0x29,
    "\\": 0x2F,
    "[": 0x3C,
    "~": 0x3D,
    "]": 0x3E,
    "|": 0x40,
    "€": 0x65,
}

# (units allowed in a single message, units per part of a concatenated one): a long message's
# parts each lose room to the header that tells the phone how to join them.
LIMITS: Final[dict[Encoding, tuple[int, int]]] = {"GSM-7": (160, 153), "UCS-2": (70, 67)}


def encoding(text: str) -> Encoding:
    """GSM-7 when every character is in the GSM alphabet (basic or extension), else UCS-2."""
    if all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text):
        return "GSM-7"
    return "UCS-2"


def _unit_costs(text: str, chosen: Encoding) -> list[int]:
    """Each character's size: septets in GSM-7 (2 for an escaped one), UTF-16 code units in UCS-2
    (2 for a character outside the BMP, such as most emoji, as phones and Twilio count them)."""
    if chosen == "GSM-7":
        return [2 if char in GSM7_EXTENSION else 1 for char in text]
    return [2 if ord(char) > 0xFFFF else 1 for char in text]


def units(text: str) -> int:
    """The text's length in its encoding's units (septets or UTF-16 code units)."""
    return sum(_unit_costs(text, encoding(text)))


def segments(text: str) -> int:
    """How many SMS parts the text is sent as; 0 for the empty text (nothing to send).

    Parts are filled in order and a character is never split across two (an escape and its
    character, or a surrogate pair, stay together), so a part may end a unit short.
    """
    if not text:
        return 0
    chosen = encoding(text)
    costs = _unit_costs(text, chosen)
    single, per_part = LIMITS[chosen]
    if sum(costs) <= single:
        return 1
    parts, used = 1, 0
    for cost in costs:
        if used + cost > per_part:
            parts, used = parts + 1, 0
        used += cost
    return parts
