"""API tokens in the admin: an admin adds one (name and scope), sees it once, and revokes it.

The token is never stored: after the add it waits in the server-side session for the one page
that shows it and is dropped there (never in a cookie, as a redirected message would be). Its
hash is never shown. Tokens are revoked, not deleted: the row keeps saying whose token read what.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from fhir_r4.auth import token_create, token_revoke
from fhir_r4.models import ApiToken

JUST_CREATED = "fhir_api_token_just_created"
SHOWN = ("name", "prefix", "scope", "created_at", "created_by", "last_used_at", "revoked_at")


@admin.register(ApiToken)
class ApiTokenAdmin(SimpleHistoryAdmin):
    list_display = ("name", "prefix", "scope", "created_at", "last_used_at", "revoked_at")
    list_filter = ("scope", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "prefix")
    actions = ("revoke",)

    def get_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> tuple[str, ...]:
        return ("name", "scope") if obj is None else SHOWN

    def get_readonly_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> tuple[str, ...]:
        # Only the name can change: a wider scope is a new token.
        return () if obj is None else SHOWN[1:]

    def has_delete_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ApiToken, form, change: bool) -> None:
        if change:
            return super().save_model(request, obj, form, change)
        token, plain = token_create(name=obj.name, scope=obj.scope, user=request.user, now=timezone.now())
        for field in ApiToken._meta.concrete_fields:  # the admin goes on with `obj`
            setattr(obj, field.attname, getattr(token, field.attname))
        obj._state.adding, obj._state.db = False, token._state.db
        request.session[JUST_CREATED] = {"pk": token.pk, "token": plain}

    def response_add(self, request: HttpRequest, obj: ApiToken, post_url_continue=None) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:fhir_r4_apitoken_change", args=[obj.pk]))

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        created = request.session.get(JUST_CREATED)
        if request.method == "GET" and created and str(created["pk"]) == object_id:
            del request.session[JUST_CREATED]
            # Added and shown in this same answer, so the message is never stored anywhere.
            messages.success(
                request, f"The API token is {created['token']} — Copy it now: it is not shown again."
            )
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description="Revoke selected tokens", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset) -> None:
        now = timezone.now()
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True):
            token_revoke(token=token, now=now)
            revoked += 1
        self.message_user(request, f"{revoked} token{'s' if revoked != 1 else ''} revoked.")
