"""The report's alarm thresholds: read them (the stored row, else the settings' defaults) and change them."""

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from churnops.core.errors import Refusal

from .models import AlarmSettings


class AlarmSettingsRefused(Refusal):
    code = "invalid_alarm_settings"


@dataclass(frozen=True)
class Thresholds:
    psi_warning: float
    psi_alarm: float
    drift_weeks: int


def thresholds() -> Thresholds:
    """The thresholds in force: the admins' stored row if any, else the defaults from settings."""
    row = AlarmSettings.objects.filter(pk=1).first()
    if row is not None:
        return Thresholds(row.psi_warning, row.psi_alarm, row.drift_weeks)
    return Thresholds(settings.REPORT_PSI_WARNING, settings.REPORT_PSI_ALARM, settings.REPORT_DRIFT_WEEKS)


@transaction.atomic
def alarm_settings_save(*, psi_warning: float, psi_alarm: float, drift_weeks: int, by=None) -> AlarmSettings:
    """Store the thresholds; refuses (naming the field) a PSI threshold <= 0 or a warning above the alarm."""
    row = AlarmSettings.objects.select_for_update().filter(pk=1).first() or AlarmSettings(pk=1)
    row.psi_warning, row.psi_alarm, row.drift_weeks = psi_warning, psi_alarm, drift_weeks
    problems = row.problems()
    if problems:
        field, message = next(iter(problems.items()))
        raise AlarmSettingsRefused(message, field=field)
    row.updated_at, row.updated_by = timezone.now(), by
    row.save()
    return row
