from django.urls import path

from returns import changelog, views

app_name = "returns"

urlpatterns: list = [
    path("", views.tracker, name="tracker"),
    path("changes/", changelog.change_log, name="changes"),
    path("<slug:slug>/<str:period>/", views.return_screen, name="return"),
]
