"""Every form's text answers are plain text: no invisible characters that change how they read."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _

from checklists.casedata import hidden_character


class PlainTextForm(forms.Form):
    """A form that refuses, next to the field, text holding a bidirectional override, a
    zero-width space or a control character (a name that displays as someone else's)."""

    def full_clean(self) -> None:
        super().full_clean()
        if not self.is_bound or not hasattr(self, "cleaned_data"):
            return
        for name, value in list(self.cleaned_data.items()):
            hidden = hidden_character(value) if isinstance(value, str) else ""
            if hidden:
                self.add_error(
                    name,
                    _("Please type this again: it contains a hidden character (%(code)s).")
                    % {"code": hidden},
                )
