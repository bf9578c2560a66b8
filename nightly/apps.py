from django.apps import AppConfig


class NightlyConfig(AppConfig):
    """The nightly loop: features -> rules + model -> tier -> alert -> work order, in chunks over workers."""

    name = "nightly"
