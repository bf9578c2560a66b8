import pytest
from rest_framework.test import APIClient

from churnops.core.roles import Role
from tests.factories import user_with_role


@pytest.fixture
def am_user(db):
    return user_with_role("am1", Role.ACCOUNT_MANAGER)


@pytest.fixture
def other_am_user(db):
    return user_with_role("am2", Role.ACCOUNT_MANAGER)


@pytest.fixture
def lead_user(db):
    return user_with_role("lead1", Role.TEAM_LEAD)


@pytest.fixture
def cs_user(db):
    return user_with_role("cs1", Role.CUSTOMER_SERVICE)


@pytest.fixture
def admin_user(db):
    return user_with_role("admin1", Role.ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture
def api_client():
    return APIClient()
