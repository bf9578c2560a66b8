"""The demo staff: who logs in to the demo, with which role (``demo_logins`` prints them)."""

from typing import NamedTuple

from churnops.core.roles import Role

DEMO_PASSWORD = "churnops-demo"


class DemoUser(NamedTuple):
    username: str
    role: str
    password: str


DEMO_USERS = (
    DemoUser("admin", Role.ADMIN.value, DEMO_PASSWORD),
    DemoUser("lead", Role.TEAM_LEAD.value, DEMO_PASSWORD),
    DemoUser("am1", Role.ACCOUNT_MANAGER.value, DEMO_PASSWORD),
    DemoUser("am2", Role.ACCOUNT_MANAGER.value, DEMO_PASSWORD),
    DemoUser("am3", Role.ACCOUNT_MANAGER.value, DEMO_PASSWORD),
    DemoUser("cs1", Role.CUSTOMER_SERVICE.value, DEMO_PASSWORD),
    DemoUser("cs2", Role.CUSTOMER_SERVICE.value, DEMO_PASSWORD),
)
TEAM_LEAD_USERNAME = "lead"
OWNER_USERNAMES = tuple(u.username for u in DEMO_USERS if u.role == Role.ACCOUNT_MANAGER)
