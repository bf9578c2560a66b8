from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo: a generated population, a staff roster, a replay of weeks of operation, the logins."""

    name = "demo"
