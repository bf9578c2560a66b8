from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class WeeklyReport(models.Model):
    """The outcome report of one ISO week, frozen when built; only an explicit rebuild changes it."""

    week = models.CharField(max_length=8, unique=True)  # "2026-W47"
    week_start = models.DateField(unique=True)  # its Monday
    data = models.JSONField()
    model_version = models.ForeignKey(
        "scoring.ModelVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    built_at = models.DateTimeField()
    build_count = models.PositiveIntegerField(default=1)
    emailed_at = models.DateTimeField(null=True, blank=True)
    health_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-week_start"]

    def __str__(self):
        return f"weekly report {self.week}"


class AlarmSettings(models.Model):
    """The report's alarm thresholds (drift PSI warning/alarm, weeks in a row), edited by admins; one row."""

    psi_warning = models.FloatField(
        _("PSI warning"), default=0.1, help_text=_("A feature's PSI from which it is shown as a warning.")
    )
    psi_alarm = models.FloatField(
        _("PSI alarm"), default=0.25, help_text=_("A feature's PSI from which it counts towards an alarm.")
    )
    drift_weeks = models.PositiveSmallIntegerField(
        _("weeks in a row"),
        default=2,
        help_text=_("Weeks in a row a feature must be at the alarm level before the alarm fires."),
    )
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = verbose_name_plural = _("report alarm settings")

    def __str__(self):
        return f"PSI warning {self.psi_warning:g}, alarm {self.psi_alarm:g}, {self.drift_weeks} week(s) in a row"

    def problems(self) -> dict[str, str]:
        """Field -> what is wrong with it; empty when the thresholds make sense."""
        errors = {}
        if self.psi_warning is None or self.psi_warning <= 0:
            errors["psi_warning"] = gettext("The PSI warning threshold must be above 0.")
        if self.psi_alarm is None or self.psi_alarm <= 0:
            errors["psi_alarm"] = gettext("The PSI alarm threshold must be above 0.")
        if not errors and self.psi_warning > self.psi_alarm:
            errors["psi_warning"] = gettext(
                "The PSI warning threshold (%(warning)s) must not be above the alarm threshold (%(alarm)s)."
            ) % {"warning": f"{self.psi_warning:g}", "alarm": f"{self.psi_alarm:g}"}
        if self.drift_weeks is None or not 1 <= self.drift_weeks <= 12:
            errors["drift_weeks"] = gettext("Weeks in a row must be between 1 and 12.")
        return errors

    def clean(self):
        if errors := self.problems():
            raise ValidationError(errors)
