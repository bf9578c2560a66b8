"""Who gets a work order: a member of the tier's role, the customer's own first, else the least loaded with room.

The order (stated on the policy page by `ASSIGNMENT_ORDER`): the customer's owner when the owner holds the tier's
role, is available and has room; for a team-lead tier, the owner's team lead likewise; else the least-loaded
available member of the role with room. Nobody with room: no person gets it (the capacity budget keeps it in the
automated lane).
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from interventions.models import DEFAULT_CAPACITY
from interventions.selectors import AGENT_ROLES, open_load, role_members

NEVER = datetime.min.replace(tzinfo=UTC)
ASSIGNMENT_ORDER = (
    "the customer's owner, when the owner holds the tier's role, is not on leave and has room",
    "for a team-lead tier, the owner's team lead, when not on leave and with room",
    "else the least-loaded member of the tier's role who is not on leave and has room (ties round-robin)",
    'nobody with room: the alert stays in the automated lane, reason "over capacity", reconsidered next night',
)


def _agent(user):
    return getattr(user, "agent", None)


def is_on_leave(user, on: date) -> bool:
    agent = _agent(user)
    return bool(agent and agent.leave_from and agent.leave_from <= on <= (agent.leave_until or date.max))


def is_available(user, on: date) -> bool:
    """Active and not on leave on that day."""
    return bool(user is not None and user.is_active and not is_on_leave(user, on))


def capacity_of(user) -> int:
    agent = _agent(user)
    return agent.capacity if agent else DEFAULT_CAPACITY


@dataclass
class Assigner:
    """Picks assignees for a batch: owner first, else the least-loaded member of the tier's role.

    Loads are read once per batch and counted up as work is handed out; ties go round-robin
    (the member assigned longest ago, then lowest id).
    """

    on: date
    loads: dict
    members: dict
    last_assigned: dict
    handed: dict = field(default_factory=dict)  # order of hand-outs within this batch (all share one `now`)

    @classmethod
    def for_roles(cls, roles, owners, on: date) -> "Assigner":
        members = {role: [u for u in role_members(role) if is_available(u, on)] for role in set(roles)}
        users = {u.id: u for group in members.values() for u in group} | {u.id: u for u in owners if u}
        loads = open_load(users)
        last = {uid: (_agent(u) and u.agent.last_assigned_at) or NEVER for uid, u in users.items()}
        return cls(on, loads, members, last)

    def _has_room(self, user) -> bool:
        return self.loads.get(user.id, 0) < capacity_of(user)

    def pick(self, *, owner, role: str, now: datetime, exclude=frozenset(), over_capacity: bool = False):
        """The customer's own member of `role` with room (ASSIGNMENT_ORDER), else the least-loaded available
        member of `role` with room.

        With `over_capacity`, a full team still gets the work (the least loaded member): used where the work
        must land on someone (an escalation), never for new work.
        """
        eligible = [u for u in self.members.get(role, []) if u.id not in exclude]
        for own in self._own(owner, role, eligible):
            if self._has_room(own):
                return self._give(own, now)
        free = [u for u in eligible if self._has_room(u)] or (eligible if over_capacity else [])
        if not free:
            return None
        chosen = min(
            free,
            key=lambda u: (
                self.loads.get(u.id, 0),
                self.last_assigned.get(u.id, NEVER),
                self.handed.get(u.id, 0),
                u.id,
            ),
        )
        return self._give(chosen, now)

    @staticmethod
    def _own(owner, role: str, eligible: list) -> list:
        """The customer's own people among the role's eligible members: the owner, and for team leads theirs."""
        if owner is None:
            return []
        by_id = {u.id: u for u in eligible}
        lead_id = _agent(owner) and owner.agent.team_lead_id
        wanted = [owner.id, *([lead_id] if role == "team_lead" and lead_id else [])]
        return [by_id[uid] for uid in wanted if uid in by_id]

    def _give(self, user, now: datetime):
        self.loads[user.id] = self.loads.get(user.id, 0) + 1
        self.last_assigned[user.id] = now
        self.handed[user.id] = max(self.handed.values(), default=0) + 1
        return user


def team_capacity(roles, on: date) -> dict[str, dict]:
    """Per role: members, those on leave (or inactive) who add nothing, and the free capacity of the rest (the sum
    over available members of capacity minus open load, never below 0 per member): the budget of new work."""
    out = {}
    for role in dict.fromkeys(str(r) for r in roles):
        members = list(role_members(role))
        available = [u for u in members if is_available(u, on)]
        loads = open_load(u.id for u in available)
        out[role] = {
            "members": len(members),
            "available": len(available),
            "capacity": sum(capacity_of(u) for u in available),
            "load": sum(loads.get(u.id, 0) for u in available),
            "free": sum(max(capacity_of(u) - loads.get(u.id, 0), 0) for u in available),
        }
    return out


def free_capacity_by_role(on: date) -> dict[str, int]:
    """Free capacity of every role that can take work: what a policy preview weighs a change against."""
    return {role: c["free"] for role, c in team_capacity(AGENT_ROLES, on).items()}
