"""Top-level URLs."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from checklists.views.home import healthz

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("accounts/two-factor/", include("accounts.urls")),
    path("healthz/", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", include("intake.urls")),
    path("", include("fhir_r4.urls")),
    path("", include("notifications.urls")),
    path("", include("checklists.urls")),
]
