"""Outbound webhooks against a real HTTP receiver on 127.0.0.1: once per event, signed, retried on 5xx only."""

import json
import time
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from alerts.services import alerts_upsert
from interventions.choices import Role, WorkOrderStatus
from nightly.pipeline import run_finish, run_start
from reports.services import weekly_report_build
from reports.weeks import IsoWeek
from tests.factories import agent_user, customer, user_with_role, work_order_with_clocks
from webhooks.models import EVENT_TYPES, DeliveryStatus, WebhookDelivery, WebhookEndpoint
from webhooks.services import WebhookInputError, webhook_emit, webhook_endpoint_save, webhooks_retry_due
from webhooks.signing import SIGNATURE_HEADER, signature_is_valid
from webhooks.tasks import webhook_deliver_task

pytestmark = pytest.mark.django_db

SECRET = "s3cret-for-tests"


def endpoint(receiver, events=EVENT_TYPES, **extra):
    return webhook_endpoint_save(
        name="crm", url=receiver.url, events=list(events), allows_private=True, secret=SECRET, **extra
    )


def signed(headers: dict, body: bytes) -> bool:
    return signature_is_valid(SECRET, headers[SIGNATURE_HEADER], body, now=int(time.time()))


def test_every_event_reaches_the_receiver_once_with_a_valid_signature(receiver, django_capture_on_commit_callbacks):
    # given an endpoint subscribed to every event
    endpoint(receiver)
    am = agent_user("am1", capacity=10)
    c = customer("C1", owner=am)
    run = lambda fn, *a, **kw: _committed(django_capture_on_commit_callbacks, fn, *a, **kw)  # noqa: E731

    # when each service that announces something runs (twice where a re-run must not announce again)
    for _ in range(2):
        run(
            alerts_upsert,
            as_of=date(2025, 7, 1),
            control_share=0.0,
            rows=[
                {
                    "customer_id": c.id,
                    "probability": 0.7,
                    "tier": 2,
                    "rules_fired": [],
                    "is_rule_high_risk": False,
                    "factors": [],
                }
            ],
        )
        run(
            alerts_upsert,
            as_of=date(2025, 7, 2),
            control_share=0.0,
            rows=[
                {
                    "customer_id": c.id,
                    "probability": 0.9,
                    "tier": 1,
                    "rules_fired": [],
                    "is_rule_high_risk": False,
                    "factors": [],
                }
            ],
        )
    from interventions.services import work_order_resolve, work_orders_open_for_alerts
    from interventions.tasks import sla_sweep_task
    from scoring.ml.policy import default_policy

    alert = c.alerts.get()
    candidates = [{"customer": c, "alert": alert, "tier": 2, "probability": 0.7}]
    run(work_orders_open_for_alerts, as_of=date(2025, 7, 2), candidates=candidates, policy=default_policy())
    late = work_order_with_clocks(
        "C2", assignee=am, opened_at=datetime.now(UTC) - timedelta(days=30), resolution_hours=1000
    )
    run(sla_sweep_task.delay)
    run(sla_sweep_task.delay)
    run(work_order_resolve, work_order=c.work_orders.get(), outcome="retained", reason="price", by=am)
    score_run = run(run_start, as_of=date(2025, 7, 2))
    run(run_finish, run_id=score_run.pk)
    run(weekly_report_build, week=IsoWeek.parse("2025-W27"), notify=False)

    # then the receiver got each event once, signed, as JSON with id, type and timestamp
    events = [json.loads(body) for body in receiver.bodies()]
    assert sorted(e["type"] for e in events) == sorted(EVENT_TYPES)
    assert all(signed(headers, body) for headers, body in receiver.requests)
    assert all({"id", "type", "timestamp", "data"} <= set(e) for e in events)
    by_type = {e["type"]: e for e in events}
    assert by_type["alert.escalated"]["data"]["tier"] == 1
    assert by_type["work_order.resolved"]["data"]["outcome"] == "retained"
    assert by_type["work_order.breached"]["data"]["work_order_id"] == late.pk
    assert by_type["score_run.finished"]["data"]["run_id"] == score_run.pk
    assert by_type["weekly_report.built"]["data"]["week"] == "2025-W27"
    assert set(WebhookDelivery.objects.values_list("status", "attempts")) == {(DeliveryStatus.DELIVERED, 1)}


def _committed(capture, fn, *args, **kwargs):
    with capture(execute=True):
        return fn(*args, **kwargs)


def test_a_503_is_retried_until_it_succeeds_with_the_same_body(receiver, django_capture_on_commit_callbacks):
    endpoint(receiver)
    receiver.script = [503, 503]
    with django_capture_on_commit_callbacks(execute=True):
        webhook_emit(event_type="alert.opened", payload={"alert_id": 1}, key="alert.opened:1")

    assert len(receiver.requests) == 3
    assert len(set(receiver.bodies())) == 1
    assert all(signed(h, b) for h, b in receiver.requests)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == (DeliveryStatus.DELIVERED, 3, 200)
    assert delivery.latency_ms is not None


def test_a_time_out_is_retried(receiver, django_capture_on_commit_callbacks):
    endpoint(receiver)
    receiver.script = [("sleep", 1.0)]
    with django_capture_on_commit_callbacks(execute=True):
        webhook_emit(event_type="alert.opened", payload={}, key="alert.opened:1")
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)
    assert len(receiver.requests) == 2


def test_a_400_is_not_retried(receiver, django_capture_on_commit_callbacks):
    endpoint(receiver)
    receiver.script = [400]
    with django_capture_on_commit_callbacks(execute=True):
        webhook_emit(event_type="alert.opened", payload={}, key="alert.opened:1")
    with django_capture_on_commit_callbacks(execute=True):
        assert webhooks_retry_due() == 0

    assert len(receiver.requests) == 1
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == (DeliveryStatus.FAILED, 1, 400)


def test_5xx_stops_after_the_last_attempt(receiver, django_capture_on_commit_callbacks):
    endpoint(receiver)
    receiver.script = [500] * 10
    with django_capture_on_commit_callbacks(execute=True):
        webhook_emit(event_type="alert.opened", payload={}, key="alert.opened:1")
    assert len(receiver.requests) == 4
    assert WebhookDelivery.objects.get().status == DeliveryStatus.FAILED


def test_a_duplicated_task_and_a_re_emitted_event_send_once(receiver, django_capture_on_commit_callbacks):
    endpoint(receiver)
    with django_capture_on_commit_callbacks(execute=True):
        webhook_emit(event_type="alert.opened", payload={}, key="alert.opened:7")
    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_emit(event_type="alert.opened", payload={}, key="alert.opened:7") == 0
    delivery = WebhookDelivery.objects.get()

    # when the broker delivers the task again (at-least-once)
    webhook_deliver_task.delay(delivery.pk)
    webhook_deliver_task.delay(delivery.pk)

    assert len(receiver.requests) == 1
    assert WebhookDelivery.objects.get().attempts == 1


def test_an_endpoint_not_subscribed_or_inactive_gets_nothing(receiver, django_capture_on_commit_callbacks):
    endpoint(receiver, events=["weekly_report.built"])
    endpoint(receiver, events=["alert.opened"], is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_emit(event_type="alert.opened", payload={}) == 0
    assert receiver.requests == []


def test_slack_compatible_body_has_text_and_link(receiver, django_capture_on_commit_callbacks):
    endpoint(receiver, is_slack_compatible=True)
    with django_capture_on_commit_callbacks(execute=True):
        webhook_emit(
            event_type="work_order.breached",
            key="k1",
            payload={"summary": "WO-5 breached its first-contact SLA", "url": "http://x/work/5/"},
        )
    body = json.loads(receiver.bodies()[0])
    assert body["text"] == "WO-5 breached its first-contact SLA http://x/work/5/"


def test_an_endpoint_failing_for_a_day_is_switched_off_and_its_admins_told(
    receiver, django_capture_on_commit_callbacks
):
    user_with_role("admin1", Role.ADMIN)
    hook = endpoint(receiver)
    WebhookEndpoint.objects.filter(pk=hook.pk).update(failing_since=datetime.now(UTC) - timedelta(hours=25))
    receiver.script = [410]
    with django_capture_on_commit_callbacks(execute=True):
        webhook_emit(event_type="alert.opened", payload={}, key="a")
    hook.refresh_from_db()
    assert (hook.is_active, hook.disabled_reason != "") == (False, True)
    assert [m.to for m in mail.outbox] == [["admin1@example.com"]]
    # a success after re-activation clears the failure record
    webhook_endpoint_save(name="crm", url=receiver.url, events=list(EVENT_TYPES), allows_private=True, endpoint=hook)
    hook.refresh_from_db()
    assert (hook.is_active, hook.failing_since, hook.disabled_at) == (True, None, None)


def test_a_recent_failure_only_marks_the_endpoint_failing(receiver, django_capture_on_commit_callbacks):
    hook = endpoint(receiver)
    receiver.script = [404]
    with (
        time_machine.travel(datetime(2030, 1, 1, tzinfo=UTC), tick=True),
        django_capture_on_commit_callbacks(execute=True),
    ):
        webhook_emit(event_type="alert.opened", payload={}, key="a")
    hook.refresh_from_db()
    assert hook.is_active is True
    assert hook.failing_since.date() == date(2030, 1, 1)


# --- bad input -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "allows_private", "field"),
    [
        ("ftp://example.com/hook", False, "url"),
        ("javascript:alert(1)", False, "url"),
        ("http://127.0.0.1:9000/hook", False, "url"),
        ("http://10.1.2.3/hook", False, "url"),
        ("http://[::1]/hook", False, "url"),
        ("http://169.254.169.254/latest/meta-data", False, "url"),
        ("http://localhost/hook", False, "url"),
    ],
)
def test_bad_endpoint_urls_are_refused_with_the_field_named(url, allows_private, field):
    with pytest.raises(WebhookInputError) as refused:
        webhook_endpoint_save(name="x", url=url, events=["alert.opened"], allows_private=allows_private)
    assert [f for f, _ in refused.value.errors] == [field]
    assert WebhookEndpoint.objects.count() == 0


def test_a_private_address_is_accepted_when_allowed_and_unknown_events_are_refused():
    assert webhook_endpoint_save(
        name="x", url="http://10.1.2.3/hook", events=["alert.opened"], allows_private=True
    ).secret
    with pytest.raises(WebhookInputError) as refused:
        webhook_endpoint_save(name="y", url="http://10.1.2.3/hook", events=["alert.closed"], allows_private=True)
    assert refused.value.errors[0][0] == "events"


def test_the_webhooks_page_and_api_are_for_admins_only(client, api_client, admin_user, am_user):
    hook = webhook_endpoint_save(name="crm", url="http://10.0.0.9/h", events=["alert.opened"], allows_private=True)
    WebhookDelivery.objects.create(
        endpoint=hook,
        idempotency_key="k",
        event_type="alert.opened",
        created_at=datetime.now(UTC),
        next_attempt_at=datetime.now(UTC),
    )
    client.force_login(am_user)
    assert client.get("/webhooks/").status_code == 403
    api_client.force_authenticate(am_user)
    assert api_client.get("/api/webhook-deliveries/").status_code == 403
    assert WebhookEndpoint.objects.count() == 1

    client.force_login(admin_user)
    assert "crm" in client.get("/webhooks/").content.decode()
    response = client.post("/webhooks/", {"name": "bad", "url": "http://127.0.0.1/x", "events": ["alert.opened"]})
    assert response.status_code == 400
    assert "private or loopback" in response.content.decode()
    api_client.force_authenticate(admin_user)
    rows = api_client.get("/api/webhook-deliveries/").json()["results"]
    assert [(r["idempotency_key"], r["status"]) for r in rows] == [("k", "pending")]
    assert "secret" not in api_client.get("/api/webhook-endpoints/").json()["results"][0]


def test_a_status_change_sends_no_event(receiver):
    # a status change is not an event: nothing is written
    endpoint(receiver)
    am = agent_user("am1")
    wo = work_order_with_clocks("C1", assignee=am)
    from interventions.services import work_order_set_status

    work_order_set_status(work_order=wo, status=WorkOrderStatus.WAITING, by=am)
    assert WebhookDelivery.objects.count() == 0
