from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Rule(models.Model):
    """An admin-defined early-warning rule: a named AND of `feature operator value` conditions."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    conditions = models.JSONField(default=list)
    is_enabled = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return self.name


class RuleSetVersion(models.Model):
    """A snapshot of all rules, written on every rule change, with author, comment and diff."""

    number = models.PositiveIntegerField(unique=True)
    rules = models.JSONField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    comment = models.TextField(blank=True)
    diff = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]

    def __str__(self):
        return f"rules v{self.number}"


class PolicyVersion(models.Model):
    """One version of the risk policy (tiers, SLAs, costs, churn definition); the newest is in force."""

    number = models.PositiveIntegerField(unique=True)
    data = models.JSONField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    comment = models.TextField(blank=True)
    diff = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]

    def __str__(self):
        return f"policy v{self.number}"


class ModelVersion(models.Model):
    """A trained churn model with its features, training window, metrics and serialized pipeline."""

    created_at = models.DateTimeField(auto_now_add=True)
    algorithm = models.CharField(max_length=64)
    features = models.JSONField()
    horizon_days = models.PositiveIntegerField()
    train_from = models.DateField(null=True, blank=True)
    train_to = models.DateField(null=True, blank=True)
    sklearn_version = models.CharField(max_length=20)
    metrics = models.JSONField(default=dict)
    artifact = models.BinaryField()
    is_active = models.BooleanField(default=False)
    promoted_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=models.Q(is_active=True), name="one_active_model")
        ]

    def __str__(self):
        return f"model #{self.pk} {self.algorithm}"


class ScoreRun(models.Model):
    """One nightly scoring run for an as-of date; re-running the same date updates it in place.

    At most one run is active (running or stalled) at a time, whatever its date: `run_start` claims that under a
    database lock, so runs of different dates are serialised, never interleaved.
    """

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        STALLED = "stalled", _("Stalled")  # no chunk progressed for SCORING_STALL_SECONDS; pending chunks re-sent
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    ACTIVE = (Status.RUNNING, Status.STALLED)

    as_of = models.DateField(unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    model_version = models.ForeignKey(ModelVersion, null=True, blank=True, on_delete=models.SET_NULL)
    policy_version = models.ForeignKey(PolicyVersion, null=True, on_delete=models.PROTECT)
    ruleset_version = models.ForeignKey(RuleSetVersion, null=True, on_delete=models.PROTECT)
    chunks_total = models.PositiveIntegerField(default=0)
    stats = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Last sign of life: the run (re)started or a chunk started or finished. The sweep compares it with the
    # stall timeout.
    progress_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-as_of"]

    def __str__(self):
        return f"run {self.as_of} ({self.status})"


class ScoreChunk(models.Model):
    """A slice of customers (by id range) scored by one task; `done_at` makes retries no-ops."""

    run = models.ForeignKey(ScoreRun, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    id_from = models.BigIntegerField()
    id_to = models.BigIntegerField()
    done_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)  # a task started (or finished) this chunk
    attempts = models.PositiveIntegerField(default=0)
    stats = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "index"], name="chunk_unique_index")]


class LatestScore(models.Model):
    """A customer's newest score: rewritten in place only when it moved by SCORE_EPSILON or more, or its tier or
    rules changed (scoring/history.py), so an unchanged night writes nothing here. Factors only when tiered; a calm
    customer no rule ever fired for has no row (the history's last night is their latest score)."""

    customer = models.OneToOneField(
        "customers.Customer", primary_key=True, on_delete=models.CASCADE, related_name="latest_score"
    )
    run = models.ForeignKey(ScoreRun, on_delete=models.CASCADE, related_name="+")
    as_of = models.DateField()  # the run that last changed it; the nightly history has every night
    probability = models.FloatField()
    tier = models.PositiveSmallIntegerField(null=True, blank=True)
    rules_fired = models.JSONField(default=list)
    is_rule_high_risk = models.BooleanField(default=False)
    factors = models.JSONField(default=list)

    def __str__(self):
        return f"latest score of customer {self.customer_id}"


class ScoreDay(models.Model):
    """One night's scores of a block of HISTORY_BLOCK consecutive customer ids, packed (scoring/history.py).

    `probability`: little-endian int16 per slot, in hundredths of a percent, -1 for a customer not scored;
    `tier`: one byte per slot, the tier (0: none) plus 0x80 when the rules call the customer high risk. Two chunks
    that share a block write a row each (`part` is the first slot a row holds). On PostgreSQL the table is
    partitioned by month of `as_of` (migration 0005) and old months are dropped whole.
    """

    pk = models.CompositePrimaryKey("as_of", "block", "part")
    as_of = models.DateField()
    block = models.BigIntegerField()
    part = models.PositiveSmallIntegerField()
    probability = models.BinaryField()
    tier = models.BinaryField()

    class Meta:
        indexes = [models.Index(fields=["block", "as_of"], name="scoreday_block_asof")]


class DriftBaseline(models.Model):
    """Binned feature and score distributions of a model's training data: the reference for drift (PSI)."""

    model_version = models.OneToOneField(ModelVersion, on_delete=models.CASCADE, related_name="drift_baseline")
    bins = models.JSONField()  # {"features": {name: {"edges", "shares"}}, "score": {"edges", "shares"}}
    rows = models.PositiveIntegerField()
    cutoffs = models.JSONField(default=list)
    built_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"drift baseline of model #{self.model_version_id}"


class RetrainRun(models.Model):
    """One scheduled retraining: the candidate model, and whether it replaced the model in force."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        PROMOTED = "promoted", _("Promoted")
        KEPT = "kept", _("Kept the active model")
        FAILED = "failed", _("Failed")

    as_of = models.DateField(unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    candidate = models.ForeignKey(ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    active_before = models.ForeignKey(ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.TextField(blank=True)
    metrics = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-as_of"]

    def __str__(self):
        return f"retrain {self.as_of} ({self.status})"
