from django.urls import path

import views

urlpatterns = [
    path("api/orders", views.orders),
    path("ready", views.ready),
]
