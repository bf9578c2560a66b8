from django.apps import AppConfig


class InterventionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "interventions"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from churnops.middleware import preferences_on_login

        # The profile's language and time zone go into the session at sign-in, so pages need not read them.
        user_logged_in.connect(preferences_on_login, dispatch_uid="churnops_preferences_on_login")
