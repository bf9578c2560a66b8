"""Helpers for report tests that build no data (rows come from tests.factories): local times, a fixed model."""

from datetime import datetime

import numpy as np
from django.utils import timezone


def local(year, month, day, hour=0, minute=0) -> datetime:
    """An aware datetime in the configured time zone (Europe/Berlin)."""
    return timezone.make_aware(datetime(year, month, day, hour, minute))


class FixedModel:
    """A stand-in estimator: P(churn) = 0.9 for customers without a visit in the last 30 days, else 0.1."""

    def predict_proba(self, X):
        p = np.where(X["visits_30d"].to_numpy() > 0, 0.1, 0.9)
        return np.column_stack([1 - p, p])
