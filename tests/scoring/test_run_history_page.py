"""Issue 12: the run-history page (admins only) shows every night with its counts and error, and retries a failed
or stalled one."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from nightly.pipeline import run_start
from scoring.models import ScoreRun
from tests.factories import customer, events_on_days

from .builders import every

pytestmark = pytest.mark.django_db
AS_OF = date(2025, 6, 30)


def failed_run():
    c = customer("A")
    events_on_days(c, "visit", every(AS_OF - timedelta(days=300), AS_OF, 7))
    run = run_start(as_of=AS_OF)  # one chunk, not done
    finished = timezone.now()
    ScoreRun.objects.filter(pk=run.pk).update(
        status=ScoreRun.Status.FAILED,
        finished_at=finished,
        error="chunk 0: RuntimeError('disk on fire')",
        started_at=finished - timedelta(minutes=3, seconds=7),
    )
    ScoreRun.objects.create(
        as_of=AS_OF - timedelta(days=1),
        status=ScoreRun.Status.DONE,
        chunks_total=0,
        stats={"customers": 41, "no_activity": 3, "at_risk": 7, "work_orders_opened": 5, "alerts_closed": 2},
        finished_at=timezone.now(),
    )
    run.refresh_from_db()
    return run


def test_admin_sees_each_night_with_status_chunks_duration_counts_and_error(client, admin_user):
    failed_run()
    client.force_login(admin_user)
    response = client.get("/scoring/runs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "2025-06-30" in html
    assert "2025-06-29" in html
    assert "disk on fire" in html
    assert "0:03:07" in html
    assert "<td>0 / 1</td>" in html
    assert html.count(">Retry</button>") == 1  # only the failed night
    for count in ("41", "7", "5", "2"):
        assert f"<td>{count}</td>" in html


@pytest.mark.parametrize("who", ["am_user", "lead_user"])
def test_others_may_neither_see_nor_retry(client, request, who):
    run = failed_run()
    client.force_login(request.getfixturevalue(who))
    assert client.get("/scoring/runs/").status_code == 403
    assert client.post(f"/scoring/runs/{run.pk}/retry/").status_code == 403
    run.refresh_from_db()
    assert run.status == ScoreRun.Status.FAILED


def test_retry_runs_the_failed_night_again(client, admin_user):
    run = failed_run()
    client.force_login(admin_user)
    response = client.post(f"/scoring/runs/{run.pk}/retry/", follow=True)
    run.refresh_from_db()
    assert run.status == ScoreRun.Status.DONE
    assert run.error == ""
    assert "The run for 2025-06-30 was sent again." in response.content.decode()


def test_a_done_night_cannot_be_retried(client, admin_user):
    failed_run()
    client.force_login(admin_user)
    done = ScoreRun.objects.get(status=ScoreRun.Status.DONE)
    assert client.post(f"/scoring/runs/{done.pk}/retry/").status_code == 404
