from django.urls import path

from returns import changelog, upload_views, views

app_name = "returns"

urlpatterns: list = [
    path("", views.tracker, name="tracker"),
    path("changes/", changelog.change_log, name="changes"),
    path("ascof/upload/", upload_views.ascof_upload, name="ascof_upload"),
    path("ascof/upload/<str:token>/", upload_views.ascof_preview, name="ascof_preview"),
    path("<slug:slug>/<str:period>/", views.return_screen, name="return"),
    path(
        "<slug:slug>/<str:period>/template/", upload_views.return_template, name="upload_template"
    ),
    path("<slug:slug>/<str:period>/upload/", upload_views.return_upload, name="upload"),
    path(
        "<slug:slug>/<str:period>/upload/<str:token>/",
        upload_views.return_preview,
        name="upload_preview",
    ),
]
