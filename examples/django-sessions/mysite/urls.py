"""Django's own sign-in, sign-out and password-change views, and one page of the site's."""

from django.contrib.auth import views as auth_views
from django.urls import path

from accounts.views import account

urlpatterns = [
    # Public behind edge-auth (PUBLIC_PATHS=/accounts/login,/static): no session yet.
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    # Private: edge-auth verifies the session first, then Django's views run as they always do.
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password_change/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("account/", account, name="account"),
]
