"""Writes for the offer kit: offers (admins), and the approval of an offer above the giver's limit.

An offer whose cost is above the limit of every role the giver holds is logged only with a lead's approval:
the account manager asks (the lead is notified), the lead approves or declines (the manager is notified), and
the approved offer can then be logged once.
"""

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from churnops.core.errors import Conflict, Refusal
from churnops.core.roles import Role, is_admin, is_team_lead, user_roles
from interventions.choices import NotificationKind, OfferApprovalStatus
from interventions.defaults import DEFAULT_OFFERS
from interventions.models import Offer, OfferApproval, WorkOrder
from interventions.permissions import can_view_work_order, can_work_on

from .notifications import Notice, in_locale_of, notifications_send

OFFER_FIELDS = ("name", "description", "cost", "approval_limits", "is_active")


class OfferRefused(Refusal):
    code = "offer_refused"


class OfferNeedsApproval(Refusal):
    """The offer costs more than the giver may give alone; ask a lead's approval first."""

    status = 403
    code = "approval_required"


def offer_limit(user, offer: Offer) -> float | None:
    """The highest cost `user` gives without approval (None: no limit, for admins)."""
    if is_admin(user):
        return None
    limits = [float(offer.approval_limits[r]) for r in user_roles(user) if r in (offer.approval_limits or {})]
    return max(limits, default=0.0)


def offer_needs_approval(user, offer: Offer) -> bool:
    limit = offer_limit(user, offer)
    return limit is not None and offer.cost > limit


def offer_problems(data: dict) -> list[tuple[str, str]]:
    problems = [(k, _("unknown field")) for k in sorted(set(data) - set(OFFER_FIELDS))]
    if not str(data.get("name") or "").strip():
        problems.append(("name", _("an offer needs a name")))
    cost = data.get("cost")
    if isinstance(cost, bool) or not isinstance(cost, int | float) or cost < 0:
        problems.append(("cost", _("must be a number >= 0, got %(value)s") % {"value": repr(cost)}))
    limits = data.get("approval_limits", {})
    if not isinstance(limits, dict):
        problems.append(("approval_limits", _("must map roles to the highest cost they give without approval")))
    else:
        for role, limit in limits.items():
            if role not in Role.values:
                problems.append(
                    (f"approval_limits.{role}", _("unknown role; one of %(roles)s") % {"roles": ", ".join(Role.values)})
                )
            elif isinstance(limit, bool) or not isinstance(limit, int | float) or limit < 0:
                problems.append(
                    (f"approval_limits.{role}", _("must be a number >= 0, got %(value)s") % {"value": repr(limit)})
                )
    return problems


@transaction.atomic
def offer_save(*, data: dict, by, offer: Offer | None = None) -> Offer:
    """Create or change an offer of the kit (admins). Offers already given keep the cost they were given at."""
    if by is not None and not is_admin(by):
        raise OfferRefused(_("only admins may change the offer kit"), code="not_allowed")
    problems = offer_problems(data)
    if problems:
        field, message = problems[0]
        raise OfferRefused(f"{field}: {message}", code="invalid_offer", field=field)
    offer = offer or Offer()
    for key in OFFER_FIELDS:
        if key in data:
            setattr(offer, key, data[key].strip() if isinstance(data[key], str) else data[key])
    try:
        with transaction.atomic():
            offer.save()
    except IntegrityError:
        raise Conflict(_("another offer has this name"), code="duplicate_name", field="name") from None
    return offer


def offer_approvers(requester: User) -> list[User]:
    """Who decides the requester's offers: their team lead, or the admins when they have none."""
    lead_id = getattr(getattr(requester, "agent", None), "team_lead_id", None)
    if lead_id:
        return list(User.objects.filter(pk=lead_id, is_active=True))
    return list(User.objects.filter(Q(is_superuser=True) | Q(groups__name=Role.ADMIN), is_active=True).distinct())


def can_decide_offer(user, approval: OfferApproval) -> bool:
    if approval.requested_by_id == user.id and not is_admin(user):
        return False
    return is_admin(user) or (is_team_lead(user) and can_view_work_order(user, approval.work_order))


@transaction.atomic
def offer_approval_request(*, work_order: WorkOrder, offer: Offer, by, note: str = "") -> OfferApproval:
    """Ask a lead to approve an offer above the requester's limit; the approvers are notified once."""
    if not can_work_on(by, work_order):
        raise OfferRefused(_("you may not work on this work order"), code="not_allowed")
    if not offer.is_active:
        raise OfferRefused(_("the offer '%(offer)s' is no longer in the kit") % {"offer": offer.name}, field="offer")
    live = OfferApproval.objects.filter(
        work_order=work_order, offer=offer, status__in=[OfferApprovalStatus.PENDING, OfferApprovalStatus.APPROVED]
    ).first()
    if live is not None:
        return live
    approval = OfferApproval.objects.create(
        work_order=work_order, offer=offer, requested_by=by, requested_at=timezone.now(), note=note[:300]
    )
    notifications_send(
        [_approval_notice(approver, approval, note) for approver in offer_approvers(by) if approver.id != by.id]
    )
    return approval


def _approval_notice(approver, approval: OfferApproval, note: str) -> Notice:
    offer, pk, by = approval.offer, approval.work_order_id, approval.requested_by
    with in_locale_of(approver):
        return Notice(
            recipient_id=approver.id,
            kind=NotificationKind.OFFER_APPROVAL,
            work_order_id=pk,
            subject=_("Approve %(offer)s (%(cost)s) for WO-%(pk)s?")
            % {"offer": offer.name, "cost": f"{offer.cost:,.0f}", "pk": pk},
            body=(
                _("%(who)s asks to give %(offer)s (cost %(cost)s) on WO-%(pk)s.")
                % {
                    "who": by.get_full_name() or by.username,
                    "offer": offer.name,
                    "cost": f"{offer.cost:,.2f}",
                    "pk": pk,
                }
                + f" {note}"
            ).strip(),
        )


@transaction.atomic
def offer_approval_decide(*, approval: OfferApproval, approve: bool, by, note: str = "") -> OfferApproval:
    """Approve or decline a pending request (the requester's lead or an admin); the requester is notified."""
    approval = (
        OfferApproval.objects.select_for_update(of=("self",))
        .select_related("work_order__assignee__agent", "offer", "requested_by")
        .get(pk=approval.pk)
    )
    if not can_decide_offer(by, approval):
        raise OfferRefused(_("only the requester's team lead or an admin may decide this offer"), code="not_allowed")
    if approval.status != OfferApprovalStatus.PENDING:
        raise Conflict(
            _("this request is already %(status)s") % {"status": approval.get_status_display().lower()},
            code="already_decided",
        )
    approval.status = OfferApprovalStatus.APPROVED if approve else OfferApprovalStatus.DECLINED
    approval.decided_by, approval.decided_at = by, timezone.now()
    approval.save(update_fields=["status", "decided_by", "decided_at"])
    with in_locale_of(approval.requested_by):
        values = {"offer": approval.offer.name, "pk": approval.work_order_id, "who": by.get_full_name() or by.username}
        if approve:
            subject, body = _("%(offer)s for WO-%(pk)s approved") % values, _("%(who)s approved %(offer)s.") % values
        else:
            subject, body = _("%(offer)s for WO-%(pk)s declined") % values, _("%(who)s declined %(offer)s.") % values
    notifications_send(
        [
            Notice(
                recipient_id=approval.requested_by_id,
                kind=NotificationKind.OFFER_DECIDED,
                work_order_id=approval.work_order_id,
                subject=subject,
                body=f"{body} {note}".strip(),
            )
        ]
    )
    return approval


def offer_for_action(*, work_order: WorkOrder, offer: Offer, by) -> OfferApproval | None:
    """Check `by` may give `offer` now: within their limit, or with an approval of it for this work order.

    Returns the approval to mark used, or None when none is needed. Raises OfferNeedsApproval otherwise.
    """
    if not offer.is_active:
        raise OfferRefused(_("the offer '%(offer)s' is no longer in the kit") % {"offer": offer.name}, field="offer")
    if not offer_needs_approval(by, offer):
        return None
    approval = (
        OfferApproval.objects.select_for_update()
        .filter(work_order=work_order, offer=offer, status=OfferApprovalStatus.APPROVED)
        .first()
    )
    if approval is None:
        limit = offer_limit(by, offer)
        raise OfferNeedsApproval(
            _("%(offer)s costs %(cost)s, above your limit of %(limit)s: ask your team lead to approve it first")
            % {"offer": offer.name, "cost": f"{offer.cost:,.0f}", "limit": f"{limit:,.0f}"},
            field="offer",
        )
    return approval


def offer_approval_use(*, approval: OfferApproval, action) -> None:
    OfferApproval.objects.filter(pk=approval.pk).update(status=OfferApprovalStatus.USED, action=action)


@transaction.atomic
def offers_install_defaults() -> int:
    """Install the default offer kit on an installation that has no offers (idempotent); returns how many."""
    if Offer.objects.exists():
        return 0
    for data in DEFAULT_OFFERS:
        offer_save(data={**data, "approval_limits": {str(k): v for k, v in data["approval_limits"].items()}}, by=None)
    return len(DEFAULT_OFFERS)
