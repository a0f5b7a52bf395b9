from django.contrib import admin
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
    path("admin/", admin.site.urls),
]
