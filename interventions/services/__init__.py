"""Every write of the retention workflow; import from here (`from interventions.services import ...`)."""

from .agents import agent_update, work_orders_reassign_absent
from .assignment import (
    ASSIGNMENT_ORDER,
    DEFAULT_CAPACITY,
    Assigner,
    capacity_of,
    free_capacity_by_role,
    is_available,
    is_on_leave,
    team_capacity,
)
from .budget import OVER_CAPACITY, work_orders_allocate
from .clocks import CalendarInputError, calendar_holidays_import, calendar_save, clock_book
from .common import WorkOrderError
from .digest import Digest, digest_for, digest_preference_set, digests_send
from .notifications import (
    Notice,
    notifications_email,
    notifications_mark_read,
    notifications_release,
    notifications_send,
)
from .offers import (
    OfferNeedsApproval,
    OfferRefused,
    can_decide_offer,
    offer_approval_decide,
    offer_approval_request,
    offer_needs_approval,
    offer_save,
    offers_install_defaults,
)
from .opening import priority_of, value_text, work_orders_open_for_alerts, work_orders_open_within_capacity
from .playbooks import (
    PlaybookInvalid,
    PlaybookRefused,
    playbook_delete,
    playbook_save,
    playbooks_install_defaults,
    work_order_step_tick,
    work_order_steps_open,
)
from .preferences import PreferenceInvalid, preferences_set
from .reassign import reassign_rows, work_order_assign, work_orders_reassign
from .sla import sla_sweep, work_orders_breached_announce
from .work_orders import (
    work_order_log_action,
    work_order_resolve,
    work_order_set_status,
)

__all__ = [
    "ASSIGNMENT_ORDER",
    "DEFAULT_CAPACITY",
    "OVER_CAPACITY",
    "PreferenceInvalid",
    "preferences_set",
    "Assigner",
    "CalendarInputError",
    "Notice",
    "WorkOrderError",
    "agent_update",
    "calendar_holidays_import",
    "calendar_save",
    "capacity_of",
    "clock_book",
    "free_capacity_by_role",
    "is_available",
    "is_on_leave",
    "notifications_email",
    "notifications_mark_read",
    "notifications_release",
    "notifications_send",
    "priority_of",
    "reassign_rows",
    "sla_sweep",
    "team_capacity",
    "value_text",
    "work_orders_breached_announce",
    "work_order_assign",
    "work_order_log_action",
    "work_order_resolve",
    "work_order_set_status",
    "work_orders_allocate",
    "work_orders_open_for_alerts",
    "work_orders_open_within_capacity",
    "work_orders_reassign",
    "work_orders_reassign_absent",
    "OfferNeedsApproval",
    "OfferRefused",
    "can_decide_offer",
    "offer_approval_decide",
    "offer_approval_request",
    "offer_needs_approval",
    "offer_save",
    "PlaybookInvalid",
    "PlaybookRefused",
    "playbook_delete",
    "playbook_save",
    "playbooks_install_defaults",
    "work_order_step_tick",
    "work_order_steps_open",
    "Digest",
    "digest_for",
    "digest_preference_set",
    "digests_send",
    "offers_install_defaults",
]
