"""The one page both arms serve: the signed-in user's orders, as a small JSON answer."""

from django.http import HttpResponse, JsonResponse


def orders(request):
    if not request.user.is_authenticated:
        return JsonResponse({"error": "not signed in"}, status=401)
    response = JsonResponse({"user": request.user.username, "orders": [1, 2, 3]})
    # The benchmark counts an answer as the view's only with this mark (bench/measure.ts).
    response["X-Demo-Origin"] = "yes"
    return response


def ready(request):
    return HttpResponse("ready")
