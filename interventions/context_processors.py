"""Template context for every page: the signed-in user's unread notification count for the top bar."""

from django.utils.functional import SimpleLazyObject

from .selectors import unread_count


def notifications(request) -> dict:
    """Lazy: the count query runs only when a page's top bar renders it (never on the login page)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user=user))}
