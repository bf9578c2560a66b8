"""Page chrome and the one way a page refuses: every HTML view is built from these."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .roles import sees_team, user_roles


def nav_context(user, roles: set[str] | None, active: str) -> dict:
    """What the header needs: which entries to show and which one is current."""
    if roles is None:
        roles = user_roles(user)
    return {"nav_team": sees_team(user, roles), "nav_active": active}


def render_page(request, template: str, context: dict, *, active: str, status: int = 200):
    """A page in the site's layout, with the header's navigation for this user."""
    user = request.user
    return render(request, template, {**context, **nav_context(user, user_roles(user), active)}, status=status)


def page(
    allowed: Callable | None = None, *, hide: bool = False, message: str = gettext_lazy("you may not open this page")
):
    """A page for signed-in users (else the login page) that the role predicate `allowed(user)` lets in.

    A refused user gets 403 with `message`; with `hide=True` a 404, for pages whose existence should not leak
    (another person's record). Nothing is read or written before the check.
    """

    def decorate(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            user_roles(request.user)  # read once: the predicate and the header reuse them
            if allowed is not None and not allowed(request.user):
                if hide:
                    raise Http404(_("No such page."))
                raise PermissionDenied(message)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def form_errors(form) -> str:
    """All of a bound form's errors as one line for a flash message."""
    parts = []
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        label = (field.label or name.replace("_", " ").capitalize()) if field else ""
        parts.append(f"{label}: {' '.join(errors)}" if label else " ".join(errors))
    return "; ".join(parts)
