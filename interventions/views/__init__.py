"""Pages of the retention workflow: the queue, a work order, notifications and the team.

Views read through selectors, decide access with the predicates in permissions.py, validate with
forms.py and write only through services (post/redirect/get, errors as flash messages).
"""

from .offers import digest_preference, offer_decide
from .preferences import language_set, preferences
from .queue import bulk_reassign, queue
from .team import agent_edit, notifications, notifications_read, team
from .work_order import log_action, resolve, set_status, work_order

__all__ = [
    "agent_edit",
    "bulk_reassign",
    "digest_preference",
    "language_set",
    "log_action",
    "notifications",
    "notifications_read",
    "offer_decide",
    "preferences",
    "queue",
    "resolve",
    "set_status",
    "team",
    "work_order",
]
