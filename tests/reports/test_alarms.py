"""Issue 16: drift alarms with thresholds and memory; the thresholds refuse nonsense, naming the field."""

import pytest
from django.urls import reverse

from reports.alarms import AlarmSettingsRefused, alarm_settings_save, thresholds
from reports.models import AlarmSettings
from reports.services import weekly_report_build
from scoring.models import ScoreRun
from tests.factories import ScoreRunFactory, customer, event_at

from .builders import local
from .conftest import W43
from .test_health import drifted, model_version  # noqa: F401  (the shifted population and its model)

WEEKS = (W43.shift(-2), W43.shift(-1), W43)


@pytest.fixture
def stable(db):
    """Ten customers with the same visits before the training cut-off (30 Jun) as in every reported week."""
    for i in range(10):
        c = customer(f"S{i}", ltv=1000.0 * (i + 1))
        event_at(c, local(2025, 5, 15, 12), kind="login")
        event_at(c, local(2025, 10, 1, 12), kind="login")
        for d in range(i):
            event_at(c, local(2025, 6, 2 + d, 12), n=d)
            event_at(c, local(2025, 10, 2 + d, 12), n=100 + d)
    return model_version(is_active=True)


def drift_of(week) -> dict:
    report, _ = weekly_report_build(week=week, notify=False)
    return report.data["health"]


def test_the_drift_alarm_stays_off_on_a_stable_population(stable):
    # when
    healths = [drift_of(w) for w in WEEKS]

    # then
    assert [h["drift"]["flagged"] for h in healths] == [[], [], []]
    assert [{f["level"] for f in h["drift"]["features"]} for h in healths] == [{"ok"}, {"ok"}, {"ok"}]
    assert [h["suggest_retrain"] for h in healths] == [False, False, False]
    assert healths[-1]["drift"]["text"] == "No feature drifted past PSI 0.1."


def test_the_drift_alarm_fires_on_a_shifted_population_after_the_configured_weeks(drifted):  # noqa: F811
    # given: three weeks in a row before the alarm
    alarm_settings_save(psi_warning=0.1, psi_alarm=0.25, drift_weeks=3)

    # when
    healths = [drift_of(w) for w in WEEKS]

    # then: visits_30d is at the alarm level every week; the alarm fires in the third
    visits = [next(f for f in h["drift"]["features"] if f["name"] == "visits_30d") for h in healths]
    assert [(f["level"], f["streak"], f["is_alarm"]) for f in visits] == [
        ("alarm", 1, False),
        ("alarm", 2, False),
        ("alarm", 3, True),
    ]
    assert [h["drift"]["flagged"] for h in healths] == [[], [], ["visits_30d"]]
    assert [h["suggest_retrain"] for h in healths] == [False, False, True]
    assert healths[0]["drift"]["text"] == ("Above PSI 0.25 this week, no alarm until 3 weeks in a row: visits_30d.")
    # the evidence: the feature's two histograms, training vs this week
    histogram = visits[-1]["histogram"]
    assert histogram["training"] == [0.1] * 10 + [0.0]
    assert histogram["current"] == [1.0] + [0.0] * 10
    # the unused-by-nobody feature stays quiet: only the model's features are checked
    assert [f["name"] for f in healths[-1]["drift"]["features"]] == ["visits_30d", "lifetime_value"]


def test_the_retrain_banner_is_only_for_the_model_in_force(drifted):  # noqa: F811
    # given: the drifted model scored the week, but another model has been put in force since
    alarm_settings_save(psi_warning=0.1, psi_alarm=0.25, drift_weeks=1)
    ScoreRunFactory(as_of=W43.monday, status=ScoreRun.Status.DONE, model_version=drifted)
    drifted.is_active = False
    drifted.save(update_fields=["is_active"])
    model_version(is_active=True)

    # when
    health = drift_of(W43)

    # then: the drift of the week's model is shown, the banner is not raised for a model no longer in force
    assert health["drift"]["model_version"] == drifted.pk
    assert health["drift"]["flagged"] == ["visits_30d"]
    assert health["suggest_retrain"] is False


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"psi_warning": 0.0, "psi_alarm": 0.25, "drift_weeks": 2},
            "psi_warning",
            "The PSI warning threshold must be above 0.",
        ),
        (
            {"psi_warning": 0.1, "psi_alarm": -1.0, "drift_weeks": 2},
            "psi_alarm",
            "The PSI alarm threshold must be above 0.",
        ),
        (
            {"psi_warning": 0.3, "psi_alarm": 0.25, "drift_weeks": 2},
            "psi_warning",
            "The PSI warning threshold (0.3) must not be above the alarm threshold (0.25).",
        ),
        (
            {"psi_warning": 0.1, "psi_alarm": 0.25, "drift_weeks": 0},
            "drift_weeks",
            "Weeks in a row must be between 1 and 12.",
        ),
    ],
)
def test_bad_thresholds_are_refused_with_the_field_named(db, fields, field, message):
    # when
    with pytest.raises(AlarmSettingsRefused) as refused:
        alarm_settings_save(**fields)

    # then: nothing stored, the defaults still in force
    assert (refused.value.field, refused.value.message, refused.value.code) == (
        field,
        message,
        "invalid_alarm_settings",
    )
    assert not AlarmSettings.objects.exists()
    assert (thresholds().psi_warning, thresholds().psi_alarm, thresholds().drift_weeks) == (0.1, 0.25, 2)


def test_the_admin_form_names_the_bad_field_and_saves_a_good_one(client, staff):
    # given
    client.force_login(staff["admin"])
    url = reverse("admin:reports_alarmsettings_add")

    # when
    refused = client.post(url, {"psi_warning": "0.3", "psi_alarm": "0.25", "drift_weeks": "2"})
    saved = client.post(url, {"psi_warning": "0.15", "psi_alarm": "0.3", "drift_weeks": "3"})

    # then
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors == {
        "psi_warning": ["The PSI warning threshold (0.3) must not be above the alarm threshold (0.25)."]
    }
    assert saved.status_code == 302
    row = AlarmSettings.objects.get()
    assert (row.psi_warning, row.psi_alarm, row.drift_weeks, row.updated_by) == (0.15, 0.3, 3, staff["admin"])
