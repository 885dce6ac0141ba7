from django.urls import path

from . import views

urlpatterns = [
    # Public through edge-auth (PUBLIC_PATHS=/login,/static): the one page reached without a session.
    path("login", views.login_view, name="login"),
    path("account/", views.account_view, name="account"),
    path("logout", views.logout_view, name="logout"),
    path("logout/everywhere", views.logout_everywhere_view, name="logout-everywhere"),
]
