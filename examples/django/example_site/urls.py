"""Routes. /login is in edge-auth's PUBLIC_PATHS; every other path needs a live session."""

from django.urls import include, path

urlpatterns = [
    path("", include("accounts.urls")),
]
