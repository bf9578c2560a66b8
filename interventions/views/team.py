"""The signed-in user's notifications, and the team: people, capacity and leave."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from churnops.core.pages import nav_context, page
from churnops.core.roles import Role, is_admin, sees_team, user_roles

from ..forms import AgentForm
from ..permissions import can_manage_agent
from ..selectors import agent_list, notification_list
from ..services import WorkOrderError, agent_update, capacity_of, is_on_leave, notifications_mark_read

NOTIFICATION_PAGE_SIZE = 50


@page()
@require_GET
def notifications(request):
    """The signed-in user's notifications, newest first, unread ones marked."""
    user = request.user
    page = Paginator(notification_list(user=user), NOTIFICATION_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, **nav_context(user, user_roles(user), "notifications")}
    return render(request, "interventions/notification_list.html", context)


@page()
@require_POST
def notifications_read(request):
    marked = notifications_mark_read(user=request.user)
    messages.success(
        request,
        ngettext("%(count)s notification marked as read.", "%(count)s notifications marked as read.", marked)
        % {"count": marked},
    )
    return redirect("interventions:notifications")


@page(sees_team, hide=True)
@require_GET
def team(request):
    """The people a team lead or admin manages: role, capacity, open load and leave."""
    user = request.user
    roles = user_roles(user)
    today = timezone.localdate()
    people = [(u, capacity_of(u), is_on_leave(u, today)) for u in agent_list(user=user).prefetch_related("groups")]
    labels = dict(Role.choices)  # a group's name is the role's code; people read its label
    for person, _capacity, _away in people:
        person.role_labels = [str(labels.get(g.name, g.name)) for g in person.groups.all()]
    context = {"people": people, "can_edit": is_admin(user), **nav_context(user, roles, "people")}
    return render(request, "interventions/agent_list.html", context)


@page()
@require_http_methods(["GET", "POST"])
def agent_edit(request, user_id: int):
    """Capacity and leave of one person; a leave starting today hands their open work to others at once."""
    user = request.user
    person = get_object_or_404(get_user_model().objects.select_related("agent"), pk=user_id)
    if not can_manage_agent(user, person):
        raise Http404(_("No such person."))
    agent = getattr(person, "agent", None)
    initial = {
        "capacity": capacity_of(person),
        "leave_from": agent and agent.leave_from,
        "leave_until": agent and agent.leave_until,
    }
    form = AgentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            moved = agent_update(user=person, by=user, **form.cleaned_data)
        except WorkOrderError as exc:
            messages.error(request, _("Not saved: %(error)s") % {"error": exc})
        else:
            saved = _("Saved %(person)s.") % {"person": person.get_full_name() or person.username}
            if moved:
                saved += " " + ngettext(
                    "%(count)s open work order reassigned.", "%(count)s open work orders reassigned.", moved
                ) % {"count": moved}
            messages.success(request, saved)
            return redirect("interventions:team")
    context = {"person": person, "form": form, **nav_context(user, user_roles(user), "people")}
    return render(request, "interventions/agent_form.html", context)
