from django.apps import AppConfig


class CouncilsConfig(AppConfig):
    verbose_name = "Councils and comparator groups"
    name = "councils"
