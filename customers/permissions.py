"""Who may change customers and their activity; shared by the API and the import services' callers.

Who may *see* a customer depends on the work they hold: that rule lives in interventions.access.
"""

from churnops.core.roles import is_admin

# Accounts of other systems that push customers and events in (a Django group).
INTEGRATION_GROUP = "integration"


def can_bulk_upsert(user) -> bool:
    """Admins and integration accounts may load customers and events."""
    return is_admin(user) or bool(
        user and user.is_authenticated and user.groups.filter(name=INTEGRATION_GROUP).exists()
    )
