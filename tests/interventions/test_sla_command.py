from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command

from interventions.models import WorkOrder
from tests.factories import agent_user, work_order_with_clocks


@pytest.mark.django_db
def test_sla_sweep_command_marks_the_breach_and_reports_it(capsys):
    # given a tier-2 work order whose first contact was due an hour ago
    am = agent_user("am1")
    wo = work_order_with_clocks("C1", assignee=am)

    # when
    with time_machine.travel(wo.first_contact_due_at + timedelta(hours=1), tick=False):
        call_command("sla_sweep")

    # then
    assert WorkOrder.objects.get(pk=wo.pk).is_breached is True
    assert "1 breached" in capsys.readouterr().out
