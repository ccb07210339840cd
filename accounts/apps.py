from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Staff sign-in beyond the password: two-factor (TOTP) setup, verification and backup codes."""

    name = "accounts"
    verbose_name = "Staff sign-in"
