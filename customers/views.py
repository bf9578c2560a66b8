"""The customer page: profile, latest score and why, score history, activity and past work orders."""

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from alerts.models import Alert
from churnops.core.pages import nav_context, page
from churnops.core.roles import user_roles
from interventions.access import can_view_customer, customer_list, work_order_list
from scoring.explain import factor_rows, score_factors
from scoring.history import ScorePoint
from scoring.ml.policy import tier_names
from scoring.models import Rule
from scoring.selectors import policy_tiers, score_history, score_latest

from .choices import EventKind
from .forms import CustomerSearchForm
from .models import Customer
from .selectors import contact_list, customers_filter, customers_search, segments

EVENT_LIMIT = 50
CUSTOMER_PAGE_SIZE = 50
HISTORY_LIMIT = 90

# Geometry of the score history chart, in SVG user units. The SVG scales to its container; this width
# is about the card's width on a laptop, so the 11px labels render at roughly their nominal size.
CHART_WIDTH, CHART_HEIGHT = 1200, 200
CHART_LEFT, CHART_RIGHT, CHART_TOP, CHART_BOTTOM = 44, 12, 10, 26


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    right: int
    axis_y: int
    plot_width: int
    label_x: int
    points: list[dict]
    polyline: str
    grid: list[dict]
    bands: list[dict]
    x_labels: list[dict]


def _y(probability: float) -> float:
    plot = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    return round(CHART_TOP + (1 - min(max(probability, 0.0), 1.0)) * plot, 1)


def _day(d) -> str:
    return f"{d.day} {d:%b %Y}"


def history_chart(scores: list[ScorePoint], tiers: list[dict]) -> Chart | None:
    """A server-side SVG line chart of probability over time (the nightly history, oldest first), with the tier
    thresholds as bands."""
    if not scores:
        return None
    first, last = scores[0].as_of, scores[-1].as_of
    span = max((last - first).days, 1)
    plot_w = CHART_WIDTH - CHART_LEFT - CHART_RIGHT
    points = []
    for s in scores:
        x = CHART_LEFT + plot_w / 2 if first == last else CHART_LEFT + (s.as_of - first).days / span * plot_w
        points.append({"x": round(x, 1), "y": _y(s.probability), "as_of": s.as_of, "p": s.probability, "tier": s.tier})
    grid = [{"y": _y(v / 100), "label": f"{v}%"} for v in (0, 20, 40, 60, 80, 100)]
    bands, upper = [], 1.0
    for t in sorted(tiers, key=lambda t: t["tier"]):
        lower = float(t["min_probability"])
        bands.append({"tier": t["tier"], "y": _y(upper), "height": round(_y(lower) - _y(upper), 1)})
        upper = lower
    x_labels = [{"x": points[0]["x"], "text": _day(first), "anchor": "start"}]
    if first != last:
        x_labels.append({"x": points[-1]["x"], "text": _day(last), "anchor": "end"})
    return Chart(
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
        left=CHART_LEFT,
        right=CHART_WIDTH - CHART_RIGHT,
        axis_y=CHART_HEIGHT - 6,
        plot_width=plot_w,
        label_x=CHART_LEFT - 6,
        points=points,
        polyline=" ".join(f"{p['x']},{p['y']}" for p in points),
        grid=grid,
        bands=bands,
        x_labels=x_labels,
    )


def _kind_label(kind: str) -> str:
    """The event kind's label without its parenthetical data hint ("Satisfaction / NPS survey")."""
    return dict(EventKind.choices).get(kind, kind).split(" (")[0]


@page()
@require_GET
def customer_detail(request, pk: int):
    customer = get_object_or_404(Customer.objects.select_related("owner__agent"), pk=pk)
    user = request.user
    if not can_view_customer(user, customer):
        raise Http404(_("No customer matches the given query."))
    roles = user_roles(user)
    tiers = policy_tiers()
    names = tier_names(tiers)
    history = list(reversed(score_history(customer_id=customer.pk, limit=HISTORY_LIMIT)))
    # The last night's score from the history; rules and factors from the latest score (rewritten only when it
    # changed, so its own date can be older than last night's).
    stored = score_latest(customer_id=customer.pk)
    latest = history[-1] if history else stored
    rules_fired = list(stored.rules_fired) if stored else []
    descriptions = dict(Rule.objects.filter(name__in=rules_fired).values_list("name", "description"))
    factors = factor_rows(score_factors(stored) if stored else [])
    work_orders = list(customer.work_orders.select_related("assignee").order_by("-opened_at", "-id"))
    openable = set(work_order_list(user=user).filter(customer=customer).values_list("id", flat=True))
    context = {
        "customer": customer,
        "latest": latest,
        "latest_tier_name": names.get(latest.tier, "") if latest and latest.tier else "",
        "rules": [(name, descriptions.get(name, "")) for name in rules_fired],
        "factors": factors,
        "chart": history_chart(history, tiers),
        "history_count": len(history),
        "events": [(e, _kind_label(e.kind)) for e in customer.events.order_by("-occurred_at", "-id")[:EVENT_LIMIT]],
        "event_limit": EVENT_LIMIT,
        "work_orders": [(wo, names.get(wo.tier, ""), wo.id in openable) for wo in work_orders],
        "contacts": list(contact_list(customer=customer)),
        **nav_context(user, roles, ""),
    }
    return render(request, "customers/customer_detail.html", context)


@page()
@require_GET
def customer_list_page(request):
    """Find a customer: search by name, external id or a contact's name, phone or e-mail; filter by segment, tier,
    owner. Everyone sees only the customers they may see (customer service: all of them, read-only)."""
    user = request.user
    roles = user_roles(user)
    tiers = policy_tiers()
    visible = customer_list(user=user)
    owners = User.objects.filter(pk__in=visible.exclude(owner=None).values("owner_id")).order_by("username")
    form = CustomerSearchForm(
        request.GET,
        segments=segments(),
        tiers=[(t["tier"], f"{t['tier']} · {t['name']}") for t in tiers],
        owners=[(o.pk, o.get_full_name() or o.username) for o in owners],
    )
    form.is_valid()  # invalid filters are dropped
    data = form.cleaned_data
    customers = customers_filter(
        customers_search(visible, data.get("q") or ""), segment=data.get("segment") or "", owner_id=data.get("owner")
    )
    if tier := data.get("tier"):
        customers = customers.filter(
            Exists(Alert.objects.filter(customer=OuterRef("pk"), open_key__isnull=False, tier=tier))
        )
    customers_page = Paginator(customers.order_by("name", "external_id"), CUSTOMER_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "form": form,
        "page": customers_page,
        "searched": any(data.get(k) for k in ("q", "segment", "tier", "owner")),
        **nav_context(user, roles, "customers"),
    }
    return render(request, "customers/customer_list.html", context)
