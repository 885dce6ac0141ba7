"""The site's own page: nothing here knows about edge-auth."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def account(request):
    return render(request, "account.html")
