"""Every write of the retention workflow; import from here (`from interventions.services import ...`)."""

from .agents import agent_update, work_orders_reassign_absent
from .assignment import DEFAULT_CAPACITY, Assigner, capacity_of, is_available, is_on_leave
from .common import WorkOrderError
from .digest import Digest, digest_for, digest_preference_set, digests_send
from .notifications import Notice, notifications_email, notifications_mark_read, notifications_send
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
from .playbooks import (
    PlaybookInvalid,
    PlaybookRefused,
    playbook_delete,
    playbook_save,
    playbooks_install_defaults,
    work_order_step_tick,
    work_order_steps_open,
)
from .sla import sla_sweep
from .work_orders import (
    priority_of,
    reassign_rows,
    work_order_assign,
    work_order_log_action,
    work_order_resolve,
    work_order_set_status,
    work_orders_open_for_alerts,
    work_orders_reassign,
)

__all__ = [
    "DEFAULT_CAPACITY", "Assigner", "Notice", "WorkOrderError", "agent_update", "capacity_of", "is_available",
    "is_on_leave", "notifications_email", "notifications_mark_read", "notifications_send", "priority_of",
    "reassign_rows", "sla_sweep", "work_order_assign", "work_order_log_action", "work_order_resolve",
    "work_order_set_status", "work_orders_open_for_alerts", "work_orders_reassign", "work_orders_reassign_absent",
    "OfferNeedsApproval", "OfferRefused", "can_decide_offer", "offer_approval_decide", "offer_approval_request",
    "offer_needs_approval", "offer_save", "PlaybookInvalid", "PlaybookRefused", "playbook_delete", "playbook_save",
    "playbooks_install_defaults", "work_order_step_tick", "work_order_steps_open", "Digest", "digest_for",
    "digest_preference_set", "digests_send", "offers_install_defaults",
]
