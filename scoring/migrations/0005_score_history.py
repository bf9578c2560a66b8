"""Bounded score history: the latest score per customer and a packed nightly history, partitioned by month on
PostgreSQL, in place of a full score row per customer per night. Existing scores move into both."""

import django.db.models.deletion
from django.db import migrations, models

from scoring.history import history_pack

HISTORY_TABLE = "scoring_scoreday"
# The packed history as the model describes it, partitioned by month of as_of (partitions: scoring/score_writes.py).
POSTGRES_TABLE = f"""
CREATE TABLE {HISTORY_TABLE} (
    as_of date NOT NULL,
    block bigint NOT NULL,
    part smallint NOT NULL CHECK (part >= 0),
    probability bytea NOT NULL,
    tier bytea NOT NULL,
    PRIMARY KEY (as_of, block, part)
) PARTITION BY RANGE (as_of);
CREATE INDEX scoreday_block_asof ON {HISTORY_TABLE} (block, as_of);
"""


def create_history(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_TABLE)
    else:
        schema_editor.create_model(apps.get_model("scoring", "ScoreDay"))


def drop_history(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE {HISTORY_TABLE}")


def _month_bounds(d):
    first = d.replace(day=1)
    return first, first.replace(year=first.year + first.month // 12, month=first.month % 12 + 1)


def copy_scores(apps, schema_editor):
    """Every stored night into the packed history, and each customer's newest score into the latest scores."""
    CustomerScore = apps.get_model("scoring", "CustomerScore")
    ScoreDay = apps.get_model("scoring", "ScoreDay")
    LatestScore = apps.get_model("scoring", "LatestScore")
    nights = CustomerScore.objects.values_list("as_of", flat=True).distinct().order_by("as_of")
    for as_of in nights:
        if schema_editor.connection.vendor == "postgresql":
            first, following = _month_bounds(as_of)
            schema_editor.execute(
                f"CREATE TABLE IF NOT EXISTS {HISTORY_TABLE}_p{first:%Y%m} PARTITION OF {HISTORY_TABLE} "
                f"FOR VALUES FROM ('{first.isoformat()}') TO ('{following.isoformat()}')"
            )
        rows = list(
            CustomerScore.objects.filter(as_of=as_of)
            .order_by("customer_id", "-run_id")
            .values_list("customer_id", "probability", "tier", "is_rule_high_risk")
        )
        seen, unique = set(), []
        for r in rows:
            if r[0] not in seen:
                seen.add(r[0])
                unique.append(r)
        packed = history_pack([r[0] for r in unique], [r[1] for r in unique], [r[2] or 0 for r in unique],
                              [r[3] for r in unique])
        ScoreDay.objects.bulk_create(
            [
                ScoreDay(as_of=as_of, block=int(b), part=int(p), probability=pb, tier=tb)
                for b, p, pb, tb in zip(packed.block, packed.part, packed.probability, packed.tier, strict=True)
            ],
            batch_size=1000,
        )
    latest = CustomerScore.objects.order_by("customer_id", "-as_of", "-run_id")
    if schema_editor.connection.vendor == "postgresql":
        latest = latest.distinct("customer_id")
    batch, seen = [], set()
    for s in latest.iterator(chunk_size=2000):
        if s.customer_id in seen:
            continue
        seen.add(s.customer_id)
        batch.append(
            LatestScore(
                customer_id=s.customer_id,
                run_id=s.run_id,
                as_of=s.as_of,
                probability=s.probability,
                tier=s.tier,
                rules_fired=s.rules_fired,
                is_rule_high_risk=s.is_rule_high_risk,
                factors=s.factors,
            )
        )
        if len(batch) >= 1000:
            LatestScore.objects.bulk_create(batch)
            batch = []
    LatestScore.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0001_initial"),
        ("scoring", "0004_run_liveness"),
    ]

    operations = [
        migrations.CreateModel(
            name="LatestScore",
            fields=[
                (
                    "customer",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="latest_score",
                        serialize=False,
                        to="customers.customer",
                    ),
                ),
                ("as_of", models.DateField()),
                ("probability", models.FloatField()),
                ("tier", models.PositiveSmallIntegerField(blank=True, null=True)),
                ("rules_fired", models.JSONField(default=list)),
                ("is_rule_high_risk", models.BooleanField(default=False)),
                ("factors", models.JSONField(default=list)),
                (
                    "run",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="scoring.scorerun"
                    ),
                ),
            ],
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ScoreDay",
                    fields=[
                        ("pk", models.CompositePrimaryKey("as_of", "block", "part", blank=True, editable=False,
                                                          primary_key=True, serialize=False)),
                        ("as_of", models.DateField()),
                        ("block", models.BigIntegerField()),
                        ("part", models.PositiveSmallIntegerField()),
                        ("probability", models.BinaryField()),
                        ("tier", models.BinaryField()),
                    ],
                    options={
                        "indexes": [models.Index(fields=["block", "as_of"], name="scoreday_block_asof")],
                    },
                ),
            ],
        ),
        # The table itself: partitioned by month on PostgreSQL, plain elsewhere (after the state knows the model).
        migrations.RunPython(create_history, drop_history),
        migrations.RunPython(copy_scores, migrations.RunPython.noop),
        migrations.DeleteModel(name="CustomerScore"),
    ]
