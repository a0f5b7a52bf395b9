from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from scorecard import views

urlpatterns = [
    path("", views.region_overview, name="region-overview"),
    path("councils/", views.council_list, name="council-list"),
    path("councils/<slug:slug>/", views.council_detail, name="council-detail"),
    path("indicators/", views.indicator_list, name="indicator-list"),
    path("indicators/<slug:slug>/", views.indicator_detail, name="indicator-detail"),
    path("compare/", views.compare, name="compare"),
    path("about/", views.about, name="about"),
    path("healthz/", views.health, name="health"),
    path("returns/", include("returns.urls")),
    # Password reset by e-mail (templates/registration/). Named admin_password_reset too, so
    # the admin's login page links to it.
    path(
        "accounts/password-reset/",
        auth_views.PasswordResetView.as_view(),
        name="admin_password_reset",
    ),
    path("accounts/password-reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("admin/", admin.site.urls),
]
