"""The queue's filter selects are built in Python: the same HTML as Django's select, whitespace aside."""

import re

import pytest
from django import forms

from interventions.forms import PlainSelect

CHOICES = [("", "All <tiers>"), (1, "1 · Urgent & co"), (2, "2 · High")]


@pytest.mark.parametrize("value", ["", "2", 2, "x", None])
def test_a_plain_select_is_django_s_select(value):
    django_html = forms.Select(choices=CHOICES).render("tier", value, {"id": "id_tier"})
    plain_html = PlainSelect(choices=CHOICES).render("tier", value, {"id": "id_tier"})
    assert plain_html == re.sub(r">\s+<", "><", django_html)
