from django.db import models


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


class DriftBaseline(models.Model):
    """Binned feature and score distributions of a model's training data: the reference for drift (PSI)."""

    model_version = models.OneToOneField(
        "scoring.ModelVersion", on_delete=models.CASCADE, related_name="drift_baseline"
    )
    bins = models.JSONField()  # {"features": {name: {"edges", "shares"}}, "score": {"edges", "shares"}}
    rows = models.PositiveIntegerField()
    cutoffs = models.JSONField(default=list)
    built_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"drift baseline of model #{self.model_version_id}"


class RetrainRun(models.Model):
    """One scheduled retraining: the candidate model, and whether it replaced the model in force."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        PROMOTED = "promoted", "Promoted"
        KEPT = "kept", "Kept the active model"
        FAILED = "failed", "Failed"

    as_of = models.DateField(unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    candidate = models.ForeignKey(
        "scoring.ModelVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    active_before = models.ForeignKey(
        "scoring.ModelVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)
    metrics = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-as_of"]

    def __str__(self):
        return f"retrain {self.as_of} ({self.status})"
