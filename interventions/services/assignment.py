"""Who gets a work order: the owner when available and under capacity, else the least-loaded member of a role."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from interventions.models import DEFAULT_CAPACITY
from interventions.selectors import open_load, role_members

NEVER = datetime.min.replace(tzinfo=UTC)


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
        """The owner if available with room, else the least-loaded available member of `role` with room.

        With `over_capacity`, a full team still gets the work (the least loaded member): used where the work
        must land on someone (an escalation), never for new work.
        """
        if owner is not None and owner.id not in exclude and is_available(owner, self.on) and self._has_room(owner):
            return self._give(owner, now)
        eligible = [u for u in self.members.get(role, []) if u.id not in exclude]
        free = [u for u in eligible if self._has_room(u)] or (eligible if over_capacity else [])
        if not free:
            return None
        chosen = min(free, key=lambda u: (self.loads.get(u.id, 0), self.last_assigned.get(u.id, NEVER),
                                          self.handed.get(u.id, 0), u.id))
        return self._give(chosen, now)

    def _give(self, user, now: datetime):
        self.loads[user.id] = self.loads.get(user.id, 0) + 1
        self.last_assigned[user.id] = now
        self.handed[user.id] = max(self.handed.values(), default=0) + 1
        return user
