from django.urls import path

from returns import views

app_name = "returns"

urlpatterns: list = [
    path("", views.tracker, name="tracker"),
    path("<slug:slug>/<str:period>/", views.return_screen, name="return"),
]
