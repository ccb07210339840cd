"""The one field of two-factor sign-in: a code from the app, or a backup code."""

from __future__ import annotations

from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone
from django_otp.models import Device

from accounts.devices import code_check


class CodeForm(forms.Form):
    """Checks the code against `device`, or against all of the user's devices; `self.device` is
    the one that matched."""

    code = forms.CharField(
        label="Code",
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "none",
                "spellcheck": "false",
                "autofocus": True,
                "class": "form-control-lg font-monospace",
            }
        ),
    )

    def __init__(
        self, *args, user: AbstractBaseUser, device: Device | None = None, help_text: str = "", **kw
    ):
        super().__init__(*args, **kw)
        self.user, self.device = user, device
        self.fields["code"].help_text = help_text

    def clean_code(self) -> str:
        code = self.cleaned_data["code"]
        check = code_check(self.user, code, device=self.device)
        if check.locked_until is not None:
            wait = max(1, round((check.locked_until - timezone.now()).total_seconds()))
            seconds = f"{wait} second{'s' if wait != 1 else ''}"
            raise forms.ValidationError(f"Too many wrong codes. Wait {seconds}, then try the newest code.")
        if check.device is None:
            raise forms.ValidationError(
                "That code is not right. Type the 6 digits your app shows now, or one of your backup codes."
                if self.device is None
                else "That code is not right. Type the 6 digits your app shows now for this account."
            )
        self.device = check.device
        return code
