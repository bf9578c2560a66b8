import pytest
from django.contrib.auth.models import Group, User
from rest_framework.test import APIClient

from interventions.choices import Role


def make_user(username, role, **extra):
    user = User.objects.create_user(username=username, password="pw-Test-12345", email=f"{username}@example.com",
                                    **extra)
    group, _ = Group.objects.get_or_create(name=role)
    user.groups.add(group)
    return user


@pytest.fixture
def am_user(db):
    return make_user("am1", Role.ACCOUNT_MANAGER)


@pytest.fixture
def other_am_user(db):
    return make_user("am2", Role.ACCOUNT_MANAGER)


@pytest.fixture
def lead_user(db):
    return make_user("lead1", Role.TEAM_LEAD)


@pytest.fixture
def cs_user(db):
    return make_user("cs1", Role.CUSTOMER_SERVICE)


@pytest.fixture
def admin_user(db):
    return make_user("admin1", Role.ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture
def api_client():
    return APIClient()
