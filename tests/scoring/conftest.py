import pytest

from scoring.selectors import policy_current
from scoring.services import defaults_install, policy_save


def policy_with(**changes):
    """Save a new policy version with top-level fields changed."""
    defaults_install()
    data = policy_current().data
    data.update(changes)
    return policy_save(data=data, comment="test")


@pytest.fixture(autouse=True)
def no_control_group(db):
    """Scoring tests see every flagged customer worked, unless a test sets a control share itself."""
    policy_with(control_share=0.0)
