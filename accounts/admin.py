"""Two-factor devices in the admin: an admin resets a person's two-factor sign-in (lost phone) by
deleting their devices, and never sees or sets anyone's key or backup codes (with the keys
hidden by OTP_ADMIN_HIDE_SENSITIVE_DATA, nobody but the owner can hold their second factor)."""

from django.contrib import admin
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice


class NoAddMixin:
    """Devices are added by their owner at /accounts/two-factor/setup/, with the owner's phone."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class AppAdmin(NoAddMixin, TOTPDeviceAdmin):
    pass


class BackupCodesAdmin(NoAddMixin, StaticDeviceAdmin):
    inlines = []  # the codes themselves stay unseen

    def has_change_permission(self, request, obj=None) -> bool:
        return False


admin.site.unregister(TOTPDevice)
admin.site.register(TOTPDevice, AppAdmin)
admin.site.unregister(StaticDevice)
admin.site.register(StaticDevice, BackupCodesAdmin)
