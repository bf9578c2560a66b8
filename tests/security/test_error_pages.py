"""Refusals and errors are pages in the site's layout with a way back, and never list the application's URLs."""

import pytest
from django.test import RequestFactory

from churnops.urls import server_error

pytestmark = pytest.mark.django_db


def test_404_is_a_page_with_a_way_back_and_no_url_list(client, am_user):
    client.force_login(am_user)
    response = client.get("/no/such/page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "Back to my queue" in html
    assert 'class="topbar"' in html
    assert "URLconf" not in html
    assert "work/&lt;int:pk&gt;" not in html


def test_403_says_why_and_offers_a_way_back(client, am_user):
    client.force_login(am_user)
    response = client.get("/scoring/rules/")
    html = response.content.decode()
    assert response.status_code == 403
    assert "only admins may view or change the scoring configuration" in html
    assert "Back to my queue" in html
    assert "Log out" in html


def test_500_page_stands_alone():
    response = server_error(RequestFactory().get("/work/"))
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
