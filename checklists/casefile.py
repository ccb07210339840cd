"""The JSON case format (CASE_FORMAT.md): strict parsing into `casedata`, and serializing back.

Parsing stops at the first problem in document order and names its JSON path, so a person can
fix the file; nothing is guessed or silently dropped. No ORM here: room existence and appointment
overlaps are checked by the import service against the database.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from checklists import phones
from checklists.casedata import (
    ALLERGY_CATEGORIES,
    ALLERGY_SEVERITIES,
    ANESTHESIA,
    BY_MAX,
    DIABETES,
    EMAIL_MAX,
    INTAKE_ANSWERS,
    LAB_TESTS,
    LANGUAGES,
    LEVELS,
    LEVELS_MAX,
    NAME_MAX,
    NOTE_MAX,
    PER_MEDICATION_ITEMS,
    PHONE_INPUT_MAX,
    PLAN_ITEMS,
    PROCEDURE_KINDS,
    REFERENCE_MAX,
    RELATIONSHIP_MAX,
    ROOM_MAX,
    SEXES,
    SIGNOFF_ITEMS,
    TEXT_MAX,
    AllergyData,
    AppointmentData,
    CaseData,
    DriverData,
    IntakeData,
    LabData,
    MedicationData,
    PatientData,
    ProcedureData,
    SignOffData,
    hidden_character,
    outside_appointment_window,
    sort_levels,
)

# ASCII digits only: `\d` would also accept other scripts' digits.
_REFERENCE = re.compile(r"[A-Za-z0-9._-]+")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?"
    r"(?P<offset>Z|[+-][0-9]{2}:[0-9]{2})?"
)

_Parser = Callable[[Any, str], Any]


class CaseFileError(ValueError):
    """A case file that cannot be used: the JSON path of the first bad field and what is wrong."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(path, message)
        self.path = path
        self.message = message

    def __str__(self) -> str:
        text = f"{self.path}: {self.message}" if self.path else self.message
        return _printable(text)


# Controls, invisible formatting, lone surrogates and line/paragraph separators.
_UNPRINTED = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def _printable(text: str) -> str:
    """Control and invisible formatting characters (a NUL, a right-to-left override) written as
    \\uXXXX, so the one-line error cannot rewrite or hide itself on a terminal."""
    return "".join(
        f"\\u{ord(char):04x}" if unicodedata.category(char) in _UNPRINTED else char for char in text
    )


class _JSONObject(dict):
    """A decoded JSON object that remembers keys given more than once (json keeps only the last)."""

    duplicates: frozenset[str] = frozenset()


def _object_pairs(pairs: list[tuple[str, Any]]) -> _JSONObject:
    obj = _JSONObject(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        duplicates: set[str] = set()
        for key, _ in pairs:
            (duplicates if key in seen else seen).add(key)
        obj.duplicates = frozenset(duplicates)
    return obj


def read_case_file(
    path: str | Path, *, as_of: dt.datetime, time_zone: dt.tzinfo = dt.UTC, phone_region: str = "US"
) -> list[CaseData]:
    """Read and validate a case file; any problem is a `CaseFileError` with a one-line message."""
    try:
        # utf-8-sig: spreadsheet tools on Windows often write a byte-order mark.
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CaseFileError("", f"{path}: not UTF-8 text (byte {exc.start})") from exc
    except OSError as exc:
        raise CaseFileError("", f"{path}: cannot read file: {exc.strerror or exc}") from exc
    try:
        doc = json.loads(text, object_pairs_hook=_object_pairs)
    except json.JSONDecodeError as exc:
        raise CaseFileError(
            "", f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from exc
    except RecursionError as exc:
        raise CaseFileError("", f"{path}: invalid JSON: nested too deeply") from exc
    except ValueError as exc:  # a number of thousands of digits (Python refuses to convert it)
        raise CaseFileError("", f"{path}: invalid JSON: a number is far too long") from exc
    return parse_case_document(doc, as_of=as_of, time_zone=time_zone, phone_region=phone_region)


def parse_case_document(
    doc: Any, *, as_of: dt.datetime, time_zone: dt.tzinfo = dt.UTC, phone_region: str = "US"
) -> list[CaseData]:
    """Validate decoded JSON (one case object, or {"cases": [...]}) into `CaseData`s.

    Date checks ("in the past", "not after the evaluation date") use `as_of`'s date in the
    clinic's `time_zone`, whatever offset `as_of` was written with (READINESS.md).
    """
    if as_of.tzinfo is None or as_of.utcoffset() is None:
        raise ValueError("as_of must be an aware datetime")
    return _Reader(as_of=as_of, time_zone=time_zone, phone_region=phone_region).document(doc)


def cases_to_document(cases: Iterable[CaseData], *, time_zone: dt.tzinfo) -> dict[str, Any]:
    """The case format for `cases`, date-times shown in `time_zone`; `parse_case_document` reverses it."""
    return _document([_case_to_json(case, time_zone) for case in cases])


def document_chunks(cases: Iterable[CaseData], *, time_zone: dt.tzinfo) -> Iterator[str]:
    """`json.dumps(cases_to_document(cases, ...), indent=2, ensure_ascii=False)`, one case per
    chunk: an export holds one case in memory, not the whole document, whatever its size."""
    # The text around the cases is cut from a one-case document, so it cannot drift from
    # `cases_to_document`: head is '{\n  "cases": [\n    ', margin the items' "    ".
    head, tail = _dumps(_document([None])).split("null")
    margin = head[head.rindex("\n") + 1 :]
    empty = True
    for case in cases:
        yield (head if empty else ",\n" + margin) + _dumps(_case_to_json(case, time_zone), margin=margin)
        empty = False
    yield _dumps(_document([])) if empty else tail


# --- parsing -------------------------------------------------------------------------------


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _one_of(values: tuple[str, ...]) -> str:
    return "must be one of: " + ", ".join(values)


class _Reader:
    """One parse: the evaluation date, the phone region, and the references seen so far."""

    def __init__(self, *, as_of: dt.datetime, time_zone: dt.tzinfo, phone_region: str) -> None:
        self.today = as_of.astimezone(time_zone).date()  # the clinic's date at as_of
        self.time_zone = time_zone
        self.phone_region = phone_region
        self.references: dict[str, str] = {}  # reference -> path of the case that has it
        self.case_path = ""

    def document(self, doc: Any) -> list[CaseData]:
        if not isinstance(doc, dict):
            raise CaseFileError("", 'must be a JSON object (one case, or {"cases": [...]})')
        if "cases" not in doc:
            return [self.case(doc, "")]
        for key in doc:
            if key != "cases":
                raise CaseFileError(key, "unknown field")
        _check_duplicate_key(doc, "cases", "cases")
        items = doc["cases"]
        if not isinstance(items, list):
            raise CaseFileError("cases", "must be a list")
        return [self.case(item, f"cases[{i}]") for i, item in enumerate(items)]

    # Objects ---------------------------------------------------------------------------------

    def fields(
        self, value: Any, path: str, parsers: dict[str, _Parser], required: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """Parse an object's keys in document order; null or missing optional keys are left out."""
        if not isinstance(value, dict):
            raise CaseFileError(path, "must be an object")
        out: dict[str, Any] = {}
        for key, item in value.items():
            key_path = _join(path, key)
            parser = parsers.get(key)
            if parser is None:
                raise CaseFileError(key_path, "unknown field")
            _check_duplicate_key(value, key, key_path)
            if item is None:
                if key in required:
                    raise CaseFileError(key_path, "required")
                continue
            parsed = parser(item, key_path)
            if parsed is not None:
                out[key] = parsed
        for key in required:
            if key not in out:
                raise CaseFileError(_join(path, key), "required")
        return out

    def case(self, value: Any, path: str) -> CaseData:
        self.case_path = path
        values = self.fields(
            value,
            path,
            {
                "reference": self.reference,
                "patient": self.patient,
                "procedure": self.procedure,
                "appointment": self.appointment,
                "medications": self.list_of(self.medication),
                "allergies": self.list_of(self.allergy),
                "intake": self.intake,
                "driver": self.driver,
                "labs": self.list_of(self.lab),
                "verifications": self.signoffs,
            },
            required=("reference", "patient", "procedure"),
        )
        # The file calls sign-offs "verifications" (CASE_FORMAT.md); the code calls them sign-offs.
        if "verifications" in values:
            values["signoffs"] = values.pop("verifications")
        case = CaseData(**values)
        # Checked once the whole case is read, since the parts may come in any order.
        if case.intake is not None and case.intake.no_known_allergies and case.allergies:
            raise CaseFileError(
                _join(path, "intake.no_known_allergies"), "must be false when allergies are listed"
            )
        names = {m.name for m in case.medications}
        for i, v in enumerate(case.signoffs):
            if v.medication is not None and v.medication not in names:
                raise CaseFileError(
                    _join(path, f"verifications[{i}].medication"), "names no medication of this case"
                )
        return case

    def patient(self, value: Any, path: str) -> PatientData:
        values = self.fields(
            value,
            path,
            {
                "first_name": _text(NAME_MAX, required=True),
                "last_name": _text(NAME_MAX, required=True),
                "date_of_birth": self.date_of_birth,
                "sex": _choice(SEXES),
                "email": _email,
                "phone": self.phone,
                "language": _choice(LANGUAGES),
            },
            required=("first_name", "last_name", "date_of_birth"),
        )
        return PatientData(**values)

    def procedure(self, value: Any, path: str) -> ProcedureData:
        values = self.fields(
            value,
            path,
            {
                "kind": _choice(PROCEDURE_KINDS),
                "levels": _levels,
                "anesthesia": _choice(ANESTHESIA),
                "contrast_planned": _bool,
            },
            required=("levels",),
        )
        return ProcedureData(**values)

    def appointment(self, value: Any, path: str) -> AppointmentData:
        values = self.fields(
            value,
            path,
            {"start": _datetime, "room": _text(ROOM_MAX, required=True)},
            required=("start", "room"),
        )
        problem = outside_appointment_window(values["start"].astimezone(self.time_zone).date(), self.today)
        if problem:
            raise CaseFileError(_join(path, "start"), problem)
        return AppointmentData(**values)

    def medication(self, value: Any, path: str) -> MedicationData:
        values = self.fields(
            value,
            path,
            {
                "name": _text(TEXT_MAX, required=True),
                "dose": _text(TEXT_MAX),
                "frequency": _text(TEXT_MAX),
                "last_dose_planned": _date,
            },
            required=("name",),
        )
        return MedicationData(**values)

    def allergy(self, value: Any, path: str) -> AllergyData:
        values = self.fields(
            value,
            path,
            {
                "category": _choice(ALLERGY_CATEGORIES),
                "substance": _text(TEXT_MAX),
                "reaction": _text(TEXT_MAX),
                "severity": _choice(ALLERGY_SEVERITIES),
            },
            required=("category",),
        )
        return AllergyData(**values)

    def intake(self, value: Any, path: str) -> IntakeData:
        values = self.fields(
            value,
            path,
            {
                "submitted_at": _datetime,
                **{name: _choice(DIABETES) if name == "diabetes" else _bool for name in INTAKE_ANSWERS},
            },
            required=("submitted_at",),
        )
        return IntakeData(**values)

    def driver(self, value: Any, path: str) -> DriverData:
        values = self.fields(
            value,
            path,
            {
                "name": _text(NAME_MAX, required=True),
                "relationship": _text(RELATIONSHIP_MAX),
                "phone": self.phone,
                "confirmed_at": _datetime,
                "confirmed_by": _text(BY_MAX),
                "declined_at": _datetime,
            },
            required=("name", "phone"),
        )
        if "confirmed_at" in values and "declined_at" in values:
            raise CaseFileError(_join(path, "declined_at"), "a confirmed driver cannot also have declined")
        if "confirmed_by" in values and "confirmed_at" not in values:
            raise CaseFileError(_join(path, "confirmed_by"), "needs confirmed_at")
        return DriverData(**values)

    def lab(self, value: Any, path: str) -> LabData:
        values = self.fields(
            value,
            path,
            {"test": _choice(LAB_TESTS), "value": _lab_value, "taken_on": self.taken_on},
            required=("test", "value", "taken_on"),
        )
        return LabData(**values)

    def signoff(self, value: Any, path: str) -> SignOffData:
        values = self.fields(
            value,
            path,
            {
                "item": _choice(SIGNOFF_ITEMS),
                "by": _text(BY_MAX, required=True),
                "at": _datetime,
                "note": _text(NOTE_MAX),
                "medication": _text(TEXT_MAX),
                "last_dose_on": _date,
                "continue": _bool,
                "for_start": _datetime,
            },
            required=("item", "by", "at"),
        )
        item = values["item"]
        per_line = item in PER_MEDICATION_ITEMS
        if per_line and "medication" not in values:
            raise CaseFileError(_join(path, "medication"), f"required for {item}")
        if not per_line and "medication" in values:
            raise CaseFileError(_join(path, "medication"), f"not allowed for {item} (a case-wide sign-off)")
        for key in ("last_dose_on", "continue", "for_start"):
            if key in values and item not in PLAN_ITEMS:
                raise CaseFileError(
                    _join(path, key), "allowed only for anticoagulant_plan_approved and nsaid_plan_given"
                )
        if values.get("continue") and "last_dose_on" in values:
            raise CaseFileError(_join(path, "last_dose_on"), "not allowed with continue: true")
        values["keep_taking"] = values.pop("continue", False)
        return SignOffData(**values)

    def signoffs(self, value: Any, path: str) -> tuple[SignOffData, ...]:
        items = self.list_of(self.signoff)(value, path)
        # The database keeps one active sign-off per item (and line); a second would fail the import.
        first: dict[tuple[str, str | None], int] = {}
        for i, item in enumerate(items):
            key = (item.item, item.medication)
            if key in first:
                what = "item for this medication" if item.medication else "item"
                raise CaseFileError(f"{path}[{i}].item", f"duplicate {what} (also {path}[{first[key]}])")
            first[key] = i
        return items

    @staticmethod
    def list_of(parser: _Parser) -> Callable[[Any, str], tuple[Any, ...]]:
        def parse(value: Any, path: str) -> tuple[Any, ...]:
            if not isinstance(value, list):
                raise CaseFileError(path, "must be a list")
            return tuple(parser(item, f"{path}[{i}]") for i, item in enumerate(value))

        return parse

    # Values that need the reader's state -----------------------------------------------------

    def reference(self, value: Any, path: str) -> str:
        reference = _text(REFERENCE_MAX, required=True)(value, path)
        if not _REFERENCE.fullmatch(reference):
            raise CaseFileError(path, "may contain only letters, digits, '.', '_' and '-'")
        if reference in self.references:
            raise CaseFileError(path, f"duplicate reference (also {self.references[reference]})")
        self.references[reference] = self.case_path
        return reference

    def date_of_birth(self, value: Any, path: str) -> dt.date:
        born = _date(value, path)
        if born >= self.today:
            raise CaseFileError(path, "must be in the past")
        return born

    def taken_on(self, value: Any, path: str) -> dt.date:
        taken = _date(value, path)
        if taken > self.today:
            raise CaseFileError(path, "after the evaluation date")
        return taken

    def phone(self, value: Any, path: str) -> str | None:
        text = _text(PHONE_INPUT_MAX)(value, path)
        if text is None:
            return None
        try:
            return phones.to_e164(text, self.phone_region)
        except phones.PhoneError as exc:
            message = (
                "extensions are not supported"
                if exc.reason == phones.EXTENSION
                else "not a valid phone number"
            )
            raise CaseFileError(path, message) from exc


# --- stateless value parsers ---------------------------------------------------------------


def _check_duplicate_key(obj: dict[str, Any], key: str, path: str) -> None:
    if key in getattr(obj, "duplicates", ()):
        raise CaseFileError(path, "given more than once")


def _text(max_length: int, *, required: bool = False) -> Callable[[Any, str], str | None]:
    """A string, stripped; blank is "required" or, for an optional field, absent."""

    def parse(value: Any, path: str) -> str | None:
        if not isinstance(value, str):
            raise CaseFileError(path, "must be a string")
        text = value.strip()
        if not text:
            if required:
                raise CaseFileError(path, "required")
            return None
        if len(text) > max_length:
            raise CaseFileError(path, f"too long (max {max_length} characters)")
        if "\x00" in text:
            # PostgreSQL text cannot store NUL; fail here rather than mid-import.
            raise CaseFileError(path, "must not contain NUL characters")
        hidden = hidden_character(text)
        if hidden:
            raise CaseFileError(
                path, f"contains an invisible character ({hidden}) that changes how text reads"
            )
        return text

    return parse


def _choice(values: tuple[str, ...]) -> Callable[[Any, str], str]:
    def parse(value: Any, path: str) -> str:
        if not isinstance(value, str) or value not in values:
            raise CaseFileError(path, _one_of(values))
        return value

    return parse


def _bool(value: Any, path: str) -> bool:
    # `type` rather than isinstance: JSON 1/0 are not booleans here.
    if type(value) is not bool:
        raise CaseFileError(path, "must be true or false")
    return value


def _email(value: Any, path: str) -> str | None:
    text = _text(EMAIL_MAX)(value, path)
    if text is None:
        return None
    try:
        validate_email(text)
    except ValidationError as exc:
        raise CaseFileError(path, "not a valid email address") from exc
    return text


def _date(value: Any, path: str) -> dt.date:
    # fullmatch first: 3.11's date.fromisoformat also takes "20261121" and "2026-W47-5".
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise CaseFileError(path, "must be a date YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CaseFileError(path, "not a real date") from exc


def _datetime(value: Any, path: str) -> dt.datetime:
    """An ISO 8601 date-time with "Z" or ±HH:MM, returned as an aware datetime in UTC."""
    if not isinstance(value, str):
        raise CaseFileError(path, "must be a date-time YYYY-MM-DDTHH:MM:SS with a UTC offset")
    match = _DATETIME.fullmatch(value)
    if match is None:
        raise CaseFileError(path, "must be a date-time YYYY-MM-DDTHH:MM:SS with a UTC offset")
    if match["offset"] is None:
        raise CaseFileError(path, "must be a date-time with a UTC offset")
    try:
        return dt.datetime.fromisoformat(value).astimezone(dt.UTC)
    except (ValueError, OverflowError) as exc:
        raise CaseFileError(path, "not a real date-time") from exc


def _levels(value: Any, path: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise CaseFileError(path, "must be a list")
    if not 1 <= len(value) <= LEVELS_MAX:
        raise CaseFileError(path, f"must list 1 to {LEVELS_MAX} levels")
    seen: set[str] = set()
    for i, level in enumerate(value):
        if not isinstance(level, str) or level not in LEVELS:
            raise CaseFileError(f"{path}[{i}]", "must be a vertebral level: C1-C7, T1-T12, L1-L5 or S1")
        if level in seen:
            raise CaseFileError(f"{path}[{i}]", f"duplicate level {level}")
        seen.add(level)
    return sort_levels(value)


def _lab_value(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CaseFileError(path, "must be a number")
    try:
        number = float(value)
    except OverflowError as exc:  # an integer beyond float range
        raise CaseFileError(path, "must be a finite number") from exc
    # Python's json accepts NaN and Infinity although JSON does not.
    if not math.isfinite(number):
        raise CaseFileError(path, "must be a finite number")
    if number < 0:
        raise CaseFileError(path, "must not be negative")
    return number


# --- serializing ---------------------------------------------------------------------------


def _datetime_to_json(value: dt.datetime, time_zone: dt.tzinfo) -> str:
    local = value.astimezone(time_zone)
    offset = local.utcoffset()
    # Historical local mean times have second offsets (-04:56:02) that ±HH:MM cannot carry.
    if offset is not None and offset.seconds % 60:
        local = value.astimezone(dt.UTC)
    return local.isoformat()


def _document(cases: list[Any]) -> dict[str, Any]:
    return {"cases": cases}


def _dumps(value: Any, *, margin: str = "") -> str:
    """`json.dumps(value, indent=2, ensure_ascii=False)`, every line after the first indented by
    `margin` more. Twice as fast for an export: with an indent the standard library encodes in
    pure Python, token by token; here strings go through its C encoder and the rest is joined."""
    parts: list[str] = []
    _write_json(value, "\n" + margin, parts)
    return "".join(parts)


def _write_json(value: Any, newline: str, parts: list[str]) -> None:
    if isinstance(value, str):
        parts.append(encode_basestring(value))
    elif isinstance(value, dict):
        if not value:
            parts.append("{}")
            return
        inner, separator = newline + "  ", "{"
        for key, item in value.items():
            parts.append(f"{separator}{inner}{encode_basestring(key)}: ")
            _write_json(item, inner, parts)
            separator = ","
        parts.append(newline + "}")
    elif isinstance(value, list):
        if not value:
            parts.append("[]")
            return
        inner, separator = newline + "  ", "["
        for item in value:
            parts.append(separator + inner)
            _write_json(item, inner, parts)
            separator = ","
        parts.append(newline + "]")
    elif value is None:
        parts.append("null")
    elif value is True:
        parts.append("true")
    elif value is False:
        parts.append("false")
    else:  # numbers (NaN and infinities as json writes them); anything else is json's TypeError
        parts.append(json.dumps(value))


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _case_to_json(case: CaseData, time_zone: dt.tzinfo) -> dict[str, Any]:
    def when(value: dt.datetime | None) -> str | None:
        return None if value is None else _datetime_to_json(value, time_zone)

    def day(value: dt.date | None) -> str | None:
        return None if value is None else value.isoformat()

    p, proc = case.patient, case.procedure
    doc: dict[str, Any] = {
        "reference": case.reference,
        "patient": _drop_none(
            {
                "first_name": p.first_name,
                "last_name": p.last_name,
                "date_of_birth": day(p.date_of_birth),
                "sex": p.sex,
                "email": p.email,
                "phone": p.phone,
                "language": p.language,
            }
        ),
        "procedure": {
            "kind": proc.kind,
            "levels": list(sort_levels(proc.levels)),
            "anesthesia": proc.anesthesia,
            "contrast_planned": proc.contrast_planned,
        },
    }
    if case.appointment is not None:
        doc["appointment"] = {"start": when(case.appointment.start), "room": case.appointment.room}
    doc["medications"] = [
        _drop_none(
            {
                "name": m.name,
                "dose": m.dose,
                "frequency": m.frequency,
                "last_dose_planned": day(m.last_dose_planned),
            }
        )
        for m in case.medications
    ]
    doc["allergies"] = [
        _drop_none(
            {"category": a.category, "substance": a.substance, "reaction": a.reaction, "severity": a.severity}
        )
        for a in case.allergies
    ]
    if case.intake is not None:
        i = case.intake
        doc["intake"] = _drop_none(
            {
                "submitted_at": when(i.submitted_at),
                **{name: getattr(i, name) for name in INTAKE_ANSWERS},
            }
        )
    if case.driver is not None:
        d = case.driver
        doc["driver"] = _drop_none(
            {
                "name": d.name,
                "relationship": d.relationship,
                "phone": d.phone,
                "confirmed_at": when(d.confirmed_at),
                "confirmed_by": d.confirmed_by,
                "declined_at": when(d.declined_at),
            }
        )
    doc["labs"] = [
        {"test": lab.test, "value": float(lab.value), "taken_on": day(lab.taken_on)} for lab in case.labs
    ]
    doc["verifications"] = [
        _drop_none(
            {
                "item": v.item,
                "by": v.by,
                "at": when(v.at),
                "note": v.note,
                "medication": v.medication,
                "last_dose_on": day(v.last_dose_on),
                "continue": True if v.keep_taking else None,
                "for_start": when(v.for_start),
            }
        )
        for v in case.signoffs
    ]
    return doc
