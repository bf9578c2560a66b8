"""Log-in throttling (django-axes): a username and address pair is locked out after repeated failures, for a while."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

pytestmark = pytest.mark.django_db

PASSWORD = "pw-Test-12345"  # tests/conftest.make_user


def log_in(client, username, password, **extra):
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


def test_lockout_after_repeated_failures_then_again_after_the_cool_off(client, am_user):
    # given the failure limit is 5
    assert settings.AXES_FAILURE_LIMIT == 5
    start = timezone.now()

    with time_machine.travel(start, tick=False) as clock:
        # when the password is wrong four times, then a fifth
        early = [log_in(client, "am1", "wrong").status_code for _ in range(4)]
        fifth = log_in(client, "am1", "wrong")
        # and then the right password is tried during the lockout
        locked = log_in(client, "am1", PASSWORD)

        # then the first four get the form again, the fifth and the right password get the lockout page
        assert early == [200, 200, 200, 200]
        assert fifth.status_code == locked.status_code == 429
        assert "Too many failed log-ins" in locked.content.decode()
        assert "Try again in 15 minutes" in locked.content.decode()
        assert "_auth_user_id" not in client.session

        # when the cool-off has passed
        clock.move_to(start + timedelta(minutes=16))
        after = log_in(client, "am1", PASSWORD)

    # then the right password works again
    assert after.status_code == 302
    assert client.session["_auth_user_id"] == str(am_user.pk)


def test_lockout_is_per_username_and_address(client, am_user, other_am_user):
    # given am1 is locked out from 10.0.0.1
    for _ in range(5):
        log_in(client, "am1", "wrong", REMOTE_ADDR="10.0.0.1")

    # when am2 logs in from the same address, and am1 from another one
    other_user = log_in(client, "am2", PASSWORD, REMOTE_ADDR="10.0.0.1")
    client.logout()
    other_address = log_in(client, "am1", PASSWORD, REMOTE_ADDR="10.0.0.2")

    # then neither is locked
    assert other_user.status_code == 302
    assert other_address.status_code == 302


def test_success_resets_the_failure_count(client, am_user):
    # given four failures, then a success
    for _ in range(4):
        log_in(client, "am1", "wrong")
    assert log_in(client, "am1", PASSWORD).status_code == 302
    client.logout()

    # when four more failures follow
    statuses = [log_in(client, "am1", "wrong").status_code for _ in range(4)]

    # then none is locked out (the count started again)
    assert statuses == [200, 200, 200, 200]


def test_django_admin_login_is_throttled_too(client, admin_user):
    # when the admin log-in fails five times
    for _ in range(5):
        client.post("/admin/login/", {"username": "admin1", "password": "wrong"})
    response = client.post("/admin/login/", {"username": "admin1", "password": PASSWORD})

    # then it is locked like the main log-in
    assert response.status_code == 429


def test_login_page_says_when_it_locks(client):
    response = client.get("/accounts/login/")
    assert "After 5 failed attempts, logging in is locked for 15 minutes." in response.content.decode()
