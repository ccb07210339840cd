"""The case page: everything known about a case, its open flags by owner, and the actions that clear them.

GET renders the page (and logs the view). Every action is a POST that calls one service in
`checklists.services` (case_page, signoffs, catalogue) and redirects back with a message; a bad
form re-renders the page with the error next to its field. Sign-off record/withdraw answer an htmx
request with the flags partial.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.forms import BaseFormSet, Form
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.views.decorators.http import require_GET, require_POST

from checklists import casedata as cd
from checklists import permissions, rules
from checklists.catalog import RuleConfig
from checklists.forms.answers import intake_initial
from checklists.forms.case_page import (
    AllergyFormSet,
    DriverForm,
    IntakeForm,
    LabResultForm,
    MedicationFormSet,
    ResolveMedicationForm,
    SignOffForm,
    VersionForm,
    WithdrawSignOffForm,
)
from checklists.forms.rows import formset_initial, formset_rows
from checklists.models import Case
from checklists.selectors import cases
from checklists.selectors.catalogue import load_rule_config
from checklists.services import case_page, catalogue, edits, signoffs
from checklists.views.common import staff_required

PAGE = "checklists/case_detail/page.html"
EDITOR_PAGE = "checklists/case_detail/editor_page.html"
# The page's edit forms by section, each shown in a closed <details> and rendered only when opened
# (`case_editor`) or when it comes back refused; `EDITOR_TITLES` heads an editor's own page.
EDITORS = {
    "medications": ("medications_version", "medications_formset"),
    "allergies": ("allergies_version", "allergies_formset"),
    "intake": ("intake_form",),
    "driver": ("driver_form", "driver_remove_form"),
    "labs": ("lab_form",),
}
EDITOR_TITLES = {
    "medications": "Add, change or remove medicines",
    "allergies": "Add, change or remove allergies",
    "intake": "Record answers for the patient (phone intake)",
    "driver": "Driver home",
    "labs": "Add a lab result",
}
FLAGS_PARTIAL = "checklists/case_detail/partials/flags.html"
OWNERS = ((rules.PATIENT, "Patient"), (rules.COORDINATOR, "Coordinator"), (rules.CLINICIAN, "Clinician"))
INTAKE_CODES = frozenset(
    {"INTAKE_NOT_SUBMITTED", "MEDICATIONS_UNCONFIRMED", "ALLERGIES_UNANSWERED", "FASTING_NOT_ACKNOWLEDGED"}
)


def _case(case_uuid: UUID) -> Case:
    return get_object_or_404(cases.case_page_queryset(), uuid=case_uuid)


def _case_row(case_uuid: UUID) -> Case:
    """The case row alone, for an action: the service reads what it needs itself."""
    return get_object_or_404(Case.objects.select_related("intake", "driver"), uuid=case_uuid)


def _url(name: str, case: Case, *args: str) -> str:
    return reverse(f"checklists:{name}", args=[case.uuid, *args])


@dataclass
class FlagRow:
    """A flag with what can be done about it from this page."""

    flag: rules.Flag
    signoff_form: SignOffForm | None = None
    cleared_by: str = ""  # the sign-off item's label, when a sign-off clears it
    only_clinician: bool = False  # a sign-off clears it, but this user may not record it
    confirm_form: VersionForm | None = None
    links: list[tuple[str, str]] = field(default_factory=list)  # (href, label)


def _flag_row(
    index: int,
    flag: rules.Flag,
    case: Case,
    user: AbstractBaseUser,
    edit_url: str | None,
    ctx: rules.Context,
) -> FlagRow:
    row = FlagRow(flag=flag)
    item = rules.CLEARED_BY.get(flag.code)
    if item is not None:
        row.cleared_by = signoffs.item_label(item)
        if permissions.can_record_signoff(user, item):
            name = flag.data.get("medication") if item in cd.PER_MEDICATION_ITEMS else None
            line = next((m for m in case.medications.all() if m.name == name), None)
            row.signoff_form = SignOffForm(
                initial={"item": item},
                items=[item],
                action=_url("case_signoff_record", case),
                hidden_item=True,
                medication_id=line.pk if line else None,
                medication_name=name or "",
                plan=item in cd.PLAN_ITEMS,
                computed_last_dose_on=rules.computed_last_dose(ctx, name) if name else None,
                auto_id=f"id_flag{index}_%s",
            )
        else:
            row.only_clinician = True
        if flag.code == "MEDICATION_UNRECOGNISED":
            row.links.append(("#medicine-readings", "Say which drug it is"))
    elif flag.code == "DRIVER_UNCONFIRMED":
        row.confirm_form = VersionForm(
            initial={"version": case.version},
            action=_url("case_driver_confirm", case),
            button="Driver confirmed by phone",
            css_class="btn-success",
            auto_id=f"id_flag{index}_%s",
        )
    elif flag.code == "DRIVER_MISSING":
        row.links.append(("#driver", "Record the driver"))
    elif flag.code == "DRIVER_DECLINED":
        row.links.append(("#driver", "Record another driver"))
    elif flag.code == "LAB_MISSING":
        row.links.append(("#labs", "Add the lab result"))
    elif flag.code in INTAKE_CODES:
        row.links.append(("#intake", "Record the intake answers (phone intake)"))
        if flag.code == "ALLERGIES_UNANSWERED":
            row.links.append(("#allergies", "Add allergies"))
    elif flag.code == "NOT_SCHEDULED" and edit_url:
        row.links.append((edit_url, "Schedule it (edit case)"))
    return row


def _owners_for(user: AbstractBaseUser) -> tuple[tuple[str, str], ...]:
    """The flag groups in page order: a clinician's own items first."""
    if permissions.has_role(user, rules.CLINICIAN) and not permissions.has_role(user, rules.COORDINATOR):
        return tuple(sorted(OWNERS, key=lambda owner: owner[0] != rules.CLINICIAN))
    return OWNERS


def _flags_context(request: HttpRequest, case: Case, config: RuleConfig, now: dt.datetime) -> dict:
    """What the flags partial shows: open flags by owner, and every sign-off."""
    user = request.user
    ctx = rules.build_context(cases.case_to_data(case), config, now)
    flags = rules.flags_for(ctx)
    edit_url = _url("case_edit", case)
    rows = [_flag_row(i, flag, case, user, edit_url, ctx) for i, flag in enumerate(flags)]
    active = {s.item for s in case.all_signoffs if s.withdrawn_at is None and not s.medication_name}
    # Per-medicine sign-offs are recorded from the medicine's flag or line, which name the line.
    recordable = [
        i
        for i in cd.SIGNOFF_ITEMS
        if i not in active and i not in cd.PER_MEDICATION_ITEMS and permissions.can_record_signoff(user, i)
    ]
    line_names = {m.pk: m.name for m in case.medications.all()}
    return {
        "case": case,
        "ready": rules.is_ready(flags),
        "blocker_count": sum(f.severity == rules.BLOCKER for f in flags),
        "flag_groups": [
            {"owner": owner, "label": label, "rows": [r for r in rows if r.flag.owner == owner]}
            for owner, label in _owners_for(user)
        ],
        "signoffs": [
            {
                "signoff": s,
                "label": signoffs.item_label(s.item),
                "void": _void_reason(s, line_names, ctx),
                "withdraw_form": (
                    WithdrawSignOffForm(
                        action=_url("case_signoff_withdraw", case, s.item),
                        item=s.item,
                        signoff_id=s.pk if s.medication_name else None,
                    )
                    if s.withdrawn_at is None and permissions.can_record_signoff(user, s.item)
                    else None
                ),
            }
            for s in case.all_signoffs
        ],
        "readings": _readings(request, case, ctx),
        "pregnancy_asked": rules.pregnancy_question_applies(ctx),
        "pregnancy_age_below": config.pregnancy_age_below,
        "signoff_form": (
            SignOffForm(items=recordable, action=_url("case_signoff_record", case)) if recordable else None
        ),
    }


def _void_reason(signoff, line_names: dict[int, str], ctx: rules.Context) -> str:
    """Why an active per-medicine sign-off no longer counts, or ''."""
    if signoff.withdrawn_at is not None or not signoff.medication_name:
        return ""
    if line_names.get(signoff.medication_id) != signoff.medication_name:
        return "No longer counts: the medicine line was changed or removed."
    if (signoff.item, signoff.medication_name) in ctx.moved_plans:
        return "No longer counts: the appointment moved to another day."
    return ""


@dataclass
class ReadingRow:
    """A medicine line as the catalogue read it, with what a clinician can do about it here."""

    line: object
    reading: object
    reviewed: bool = False
    resolve_form: ResolveMedicationForm | None = None
    review_form: SignOffForm | None = None


def _readings(request: HttpRequest, case: Case, ctx: rules.Context) -> list[ReadingRow]:
    """Every line and how it was read; unrecognised or probable lines offer the clinician's fixes."""
    user = request.user
    may_resolve = permissions.has_role(user, permissions.CLINICIAN)
    drug_choices = [(d.name, f"{d.name} ({d.drug_class.replace('_', ' ')})") for d in ctx.config.drugs]
    rows = []
    for index, (line, m) in enumerate(zip(case.medications.all(), ctx.medications, strict=True)):
        row = ReadingRow(line=line, reading=m.reading)
        row.reviewed = ("medication_reviewed", line.name) in ctx.line_signoffs
        unsure = not m.reading.recognised or any(x.how == "probable" for x in m.reading.matches)
        if may_resolve and unsure and not row.reviewed:
            row.resolve_form = ResolveMedicationForm(
                action=_url("case_medication_resolve", case),
                line_id=line.pk,
                drugs=drug_choices,
                suggestion=(m.reading.suggestion or next(iter(m.reading.matches), None)),
                typed=line.name,
                auto_id=f"id_resolve{index}_%s",
            )
            if not m.reading.recognised:
                row.review_form = SignOffForm(
                    initial={"item": "medication_reviewed"},
                    items=["medication_reviewed"],
                    action=_url("case_signoff_record", case),
                    hidden_item=True,
                    medication_id=line.pk,
                    medication_name=line.name,
                    auto_id=f"id_review{index}_%s",
                )
        rows.append(row)
    return rows


def _intake_form(case: Case, config: RuleConfig, data: QueryDict | None = None) -> IntakeForm:
    intake = getattr(case, "intake", None)
    initial = {"version": 0, "can_lie_prone": "unsure", "pregnant": "unsure", "diabetes": "none"}
    if intake is not None:
        initial = {**intake_initial(intake, IntakeForm.TRI_STATE), "version": intake.version}
    return IntakeForm(
        data,
        initial=initial,
        action=_url("case_intake_save", case),
        allergies_listed=bool(case.allergies.all()),
        submitted=intake is not None and intake.submitted_at is not None,
        pregnancy_age_below=config.pregnancy_age_below,
    )


def _forms(case: Case, config: RuleConfig) -> dict:
    """Every edit form of the page, unbound, showing the current values and version."""
    version = {"version": case.version}
    driver = getattr(case, "driver", None)
    driver_initial = (
        {
            "name": driver.name,
            "relationship": driver.relationship,
            "phone": driver.phone,
            "email": driver.email,
        }
        if driver
        else {}
    )
    return {
        "medications_version": VersionForm(initial=version, prefix="medications"),
        "medications_formset": MedicationFormSet(
            prefix="medications",
            initial=formset_initial(case.medications.all(), case_page.MedicationRow),
        ),
        "allergies_version": VersionForm(initial=version, prefix="allergies"),
        "allergies_formset": AllergyFormSet(
            prefix="allergies",
            initial=formset_initial(case.allergies.all(), case_page.AllergyRow),
        ),
        "driver_form": DriverForm(
            initial={**driver_initial, **version}, action=_url("case_driver_save", case)
        ),
        "driver_remove_form": VersionForm(
            initial=version,
            action=_url("case_driver_remove", case),
            button="Remove driver",
            css_class="btn-outline-danger",
            prefix="remove",
        ),
        "lab_form": LabResultForm(initial=version, action=_url("case_lab_add", case)),
        "intake_form": _intake_form(case, config),
    }


def _page_context(request: HttpRequest, case: Case, config: RuleConfig, **bound) -> dict:
    now = timezone.now()
    timeline = rules.timeline_for(cases.case_to_data(case), config)
    editors = {}
    if bound:  # a refused form comes back in place, with the rest of its section
        forms = _forms(case, config)
        for names in EDITORS.values():
            if any(name in bound for name in names):
                editors.update({name: bound.get(name, forms[name]) for name in names})
    return {
        **_flags_context(request, case, config, now),
        **editors,
        **bound,
        "patient": case.patient,
        "appointment": getattr(case, "appointment", None),
        "timeline": timeline,
        "intake": getattr(case, "intake", None),
        "driver": getattr(case, "driver", None),
        "labs": sorted(case.labs.all(), key=lambda lab: (lab.taken_on, lab.pk), reverse=True),
        "edit_url": _url("case_edit", case),
        "sheet_url": _url("case_sheet", case),
        "time_zone": config.time_zone.key,
        "case_panels": [import_string(path)(request, case) for path in settings.CASE_PAGE_PANELS],
    }


def _rerender(request: HttpRequest, case_uuid: UUID, config: RuleConfig, **bound) -> HttpResponse:
    """The page again with a bound form and its errors; re-read, as a refused edit may have
    changed the in-memory case before it rolled back."""
    case = _case(case_uuid)
    return render(request, PAGE, _page_context(request, case, config, **bound))


def _add_errors(form: Form, exc: ValidationError | edits.StaleEdit) -> None:
    """A service's refusal shown on the form: next to the field it names, else above the form."""
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages if isinstance(exc, ValidationError) else str(exc))


def _done(request: HttpRequest, case: Case, message: str, anchor: str = "") -> HttpResponse:
    messages.success(request, message)
    return redirect(_url("case_detail", case) + anchor)


# --- The page ------------------------------------------------------------------------------------


@require_GET
@staff_required
def case_detail(request: HttpRequest, case_uuid: UUID) -> HttpResponse:
    config = load_rule_config()
    case = request.case_shown = _case(case_uuid)  # the access log's too
    return render(request, PAGE, _page_context(request, case, config))


@require_GET
@staff_required
def case_editor(request: HttpRequest, case_uuid: UUID, section: str) -> HttpResponse:
    """One section's edit form: the fragment htmx puts in the page when its <details> opens, or
    (without JavaScript) a page of its own; the forms post to the same actions either way."""
    if section not in EDITORS:
        raise Http404("No such editor.")
    case = _case(case_uuid)
    forms = _forms(case, load_rule_config())
    context = {
        "case": case,
        "driver": getattr(case, "driver", None),
        "section": section,
        "title": EDITOR_TITLES[section],
        **{name: forms[name] for name in EDITORS[section]},
    }
    if request.htmx:
        return render(request, f"checklists/case_detail/partials/editor_{section}.html", context)
    return render(request, EDITOR_PAGE, context)


# --- Sign-offs (htmx or full page) ---------------------------------------------------------------


def _after_flag_action(request: HttpRequest, case_uuid: UUID, config: RuleConfig) -> HttpResponse:
    """htmx: the re-rendered flags and sign-offs; otherwise back to the page."""
    case = _case(case_uuid)
    if request.htmx:
        context = {**_flags_context(request, case, config, timezone.now()), "is_htmx": True}
        return render(request, FLAGS_PARTIAL, context)
    return redirect(_url("case_detail", case) + "#case-flags")


@require_POST
@staff_required
def signoff_record(request: HttpRequest, case_uuid: UUID) -> HttpResponse:
    config = load_rule_config()
    case = _case_row(case_uuid)
    form = SignOffForm(request.POST, items=list(cd.SIGNOFF_ITEMS), action="")
    if not form.is_valid():
        messages.error(request, "Choose which sign-off to record.")
        return _after_flag_action(request, case_uuid, config)
    item = form.cleaned_data["item"]
    line_id = form.cleaned_data.get("medication")
    line = case.medications.filter(pk=line_id).first() if line_id else None
    # The plan's fields are only on a plan's form; read them whichever form posted.
    plan_form = SignOffForm(request.POST, items=[item], action="", plan=item in cd.PLAN_ITEMS)
    if not plan_form.is_valid():
        messages.error(request, " ".join(e for errors in plan_form.errors.values() for e in errors))
        return _after_flag_action(request, case_uuid, config)
    last_dose_on, keep_taking = plan_form.plan_values()
    try:
        # Refuses (403) an item this user may not record, whatever the form offered.
        signoffs.signoff_record(
            case=case,
            item=item,
            note=form.cleaned_data["note"],
            user=request.user,
            at=timezone.now(),
            config=config,
            medication=line,
            last_dose_on=last_dose_on,
            keep_taking=keep_taking,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        what = f" for {line.name}" if line else ""
        messages.success(request, f"Sign-off recorded: {signoffs.item_label(item)}{what}.")
    return _after_flag_action(request, case_uuid, config)


@require_POST
@staff_required
def signoff_withdraw(request: HttpRequest, case_uuid: UUID, item: str) -> HttpResponse:
    if item not in cd.SIGNOFF_ITEMS:
        raise Http404("No such sign-off item.")
    config = load_rule_config()
    case = _case_row(case_uuid)
    form = WithdrawSignOffForm(request.POST, action="", item=item)
    signoff_id = form.cleaned_data.get("signoff") if form.is_valid() else None
    try:
        signoffs.signoff_withdraw(
            case=case, item=item, user=request.user, at=timezone.now(), signoff_id=signoff_id
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, f"Sign-off withdrawn: {signoffs.item_label(item)}. Its flags are open again."
        )
    return _after_flag_action(request, case_uuid, config)


@require_POST
@staff_required
def medication_resolve(request: HttpRequest, case_uuid: UUID) -> HttpResponse:
    """'This is <drug>': the line's words become a clinic-wide name of that drug (clinicians)."""
    config = load_rule_config()
    case = _case_row(case_uuid)
    drugs = [(d.name, d.name) for d in config.drugs]
    form = ResolveMedicationForm(request.POST, action="", drugs=drugs, suggestion=None, typed="")
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return _after_flag_action(request, case_uuid, config)
    line = get_object_or_404(case.medications, pk=form.cleaned_data["line"])
    drug = form.cleaned_data["drug"]
    try:
        catalogue.drug_name_add(drug_name=drug, name=line.name, user=request.user, config=config)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"“{line.name}” is now read as {drug}, on every case.")
    return _after_flag_action(request, case_uuid, load_rule_config())


# --- Driver --------------------------------------------------------------------------------------


@require_POST
@staff_required
def driver_save(request: HttpRequest, case_uuid: UUID) -> HttpResponse:
    config = load_rule_config()
    case = _case_row(case_uuid)
    form = DriverForm(request.POST, action=_url("case_driver_save", case))
    if form.is_valid():
        data = form.cleaned_data
        try:
            case_page.driver_save(
                case=case,
                version=data["version"],
                name=data["name"],
                relationship=data["relationship"],
                phone=data["phone"],
                email=data["email"],
                config=config,
            )
        except (ValidationError, edits.StaleEdit) as exc:
            _add_errors(form, exc)
        else:
            return _done(request, case, "Driver saved.", "#driver")
    return _rerender(request, case_uuid, config, driver_form=form)


@require_POST
@staff_required
def driver_confirm(request: HttpRequest, case_uuid: UUID) -> HttpResponse:
    config = load_rule_config()
    case = _case_row(case_uuid)
    form = VersionForm(request.POST)
    if form.is_valid():
        try:
            case_page.driver_confirm(
                case=case,
                version=form.cleaned_data["version"],
                user=request.user,
                at=timezone.now(),
                config=config,
            )
        except (ValidationError, edits.StaleEdit) as exc:
            messages.error(request, " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))
        else:
            messages.success(request, "Driver confirmed by phone.")
    return redirect(_url("case_detail", case) + "#driver")


@require_POST
@staff_required
def driver_remove(request: HttpRequest, case_uuid: UUID) -> HttpResponse:
    config = load_rule_config()
    case = _case_row(case_uuid)
    form = VersionForm(request.POST, prefix="remove")
    if form.is_valid():
        try:
            case_page.driver_remove(case=case, version=form.cleaned_data["version"], config=config)
        except edits.StaleEdit as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Driver removed.")
    return redirect(_url("case_detail", case) + "#driver")


# --- Labs, medicines, allergies, intake ----------------------------------------------------------


@require_POST
@staff_required
def lab_add(request: HttpRequest, case_uuid: UUID) -> HttpResponse:
    config = load_rule_config()
    case = _case_row(case_uuid)
    form = LabResultForm(request.POST, action=_url("case_lab_add", case))
    if form.is_valid():
        data = form.cleaned_data
        try:
            lab = case_page.lab_result_add(
                case=case,
                version=data["version"],
                test=data["test"],
                value=data["value"],
                taken_on=data["taken_on"],
                today=timezone.localdate(timezone.now(), config.time_zone),
                config=config,
            )
        except (ValidationError, edits.StaleEdit) as exc:
            _add_errors(form, exc)
        else:
            return _done(request, case, f"Lab result added: {lab}.", "#labs")
    return _rerender(request, case_uuid, config, lab_form=form)


def _lines_save(
    request: HttpRequest,
    case_uuid: UUID,
    *,
    prefix: str,
    formset_class: type[BaseFormSet],
    row_class: type,
    service: Callable[..., object],
    what: str,
) -> HttpResponse:
    config = load_rule_config()
    case = _case_row(case_uuid)
    version_form = VersionForm(request.POST, prefix=prefix)
    formset = formset_class(request.POST, prefix=prefix)
    if version_form.is_valid() and formset.is_valid():
        try:
            service(
                case=case,
                version=version_form.cleaned_data["version"],
                rows=formset_rows(formset, row_class),
                config=config,
            )
        except (ValidationError, edits.StaleEdit) as exc:
            _add_errors(version_form, exc)
        else:
            return _done(request, case, f"{what} saved.", f"#{prefix}")
    return _rerender(
        request, case_uuid, config, **{f"{prefix}_version": version_form, f"{prefix}_formset": formset}
    )


@require_POST
@staff_required
def medications_save(request: HttpRequest, case_uuid: UUID) -> HttpResponse:
    return _lines_save(
        request,
        case_uuid,
        prefix="medications",
        formset_class=MedicationFormSet,
        row_class=case_page.MedicationRow,
        service=case_page.medications_save,
        what="Medicines",
    )


@require_POST
@staff_required
def allergies_save(request: HttpRequest, case_uuid: UUID) -> HttpResponse:
    return _lines_save(
        request,
        case_uuid,
        prefix="allergies",
        formset_class=AllergyFormSet,
        row_class=case_page.AllergyRow,
        service=case_page.allergies_save,
        what="Allergies",
    )


@require_POST
@staff_required
def intake_save(request: HttpRequest, case_uuid: UUID) -> HttpResponse:
    config = load_rule_config()
    case = _case_row(case_uuid)
    form = _intake_form(case, config, request.POST)
    submit = "submit" in request.POST
    if form.is_valid():
        data = form.cleaned_data
        answers = cd.IntakeAnswers(**{k: v for k, v in data.items() if k != "version"})
        try:
            case_page.intake_record_for_patient(
                case=case,
                version=data["version"],
                answers=answers,
                submit=submit,
                at=timezone.now(),
                config=config,
            )
        except (ValidationError, edits.StaleEdit) as exc:
            _add_errors(form, exc)
        else:
            return _done(request, case, "Intake submitted." if submit else "Intake answers saved.", "#intake")
    return _rerender(request, case_uuid, config, intake_form=form)
