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
    DemoUser("maria.keller", Role.TEAM_LEAD.value, DEMO_PASSWORD),
    DemoUser("james.okafor", Role.ACCOUNT_MANAGER.value, DEMO_PASSWORD),
    DemoUser("sofia.rossi", Role.ACCOUNT_MANAGER.value, DEMO_PASSWORD),
    DemoUser("daniel.weber", Role.ACCOUNT_MANAGER.value, DEMO_PASSWORD),
    DemoUser("li.wei", Role.CUSTOMER_SERVICE.value, DEMO_PASSWORD),
    DemoUser("anna.nowak", Role.CUSTOMER_SERVICE.value, DEMO_PASSWORD),
)
# First and last names shown in the app (the admin is the CS-ops account).
FULL_NAMES = {
    "admin": ("Priya", "Shah"),
    "maria.keller": ("Maria", "Keller"),
    "james.okafor": ("James", "Okafor"),
    "sofia.rossi": ("Sofia", "Rossi"),
    "daniel.weber": ("Daniel", "Weber"),
    "li.wei": ("Li", "Wei"),
    "anna.nowak": ("Anna", "Nowak"),
}
TEAM_LEAD_USERNAME = "maria.keller"
FIRST_ACCOUNT_MANAGER = "james.okafor"  # the login the README suggests for a first look at a queue
OWNER_USERNAMES = tuple(u.username for u in DEMO_USERS if u.role == Role.ACCOUNT_MANAGER)
