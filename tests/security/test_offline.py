"""Self-hosted installs often have no internet: no page may load anything from another host."""

import re
from urllib.parse import urlparse

import pytest
from django.contrib.staticfiles import finders

from tests.factories import alert_for, customer, work_order_for

pytestmark = pytest.mark.django_db

# Every attribute or CSS reference that makes a browser fetch something (or that a user follows).
REFERENCE = re.compile(r"""(?:src|href|action|poster|data)\s*=\s*["']([^"']+)["']|url\(\s*["']?([^"')]+)""", re.I)
# Swagger UI's bundle names hosts in its code without fetching them (validator, spec links); a CDN script tag or
# a stylesheet from another host is what would break offline, and that is what REFERENCE finds.
PAGES = [
    "/work/",
    "/work/?team=1",
    "/work/team/",
    "/work/notifications/",
    "/work/alerts/",
    "/scoring/rules/",
    "/scoring/policy/",
    "/scoring/history/",
    "/reports/",
    "/api/docs/",
    "/accounts/login/",
]


def external_references(html: str) -> list[str]:
    found = []
    for match in REFERENCE.finditer(html):
        url = match.group(1) or match.group(2)
        host = urlparse(url.strip()).netloc
        if host and host != "testserver":
            found.append(url)
    return found


def test_the_check_finds_a_cdn_reference():
    html = '<script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@latest/swagger-ui-bundle.js"></script>'
    assert external_references(html) == ["https://cdn.jsdelivr.net/npm/swagger-ui-dist@latest/swagger-ui-bundle.js"]
    assert external_references('<a href="/work/">x</a><style>b{background:url(/static/x.png)}</style>') == []


def test_no_page_references_another_host(client, admin_user, am_user):
    # given a customer with an alert and a work order, and an admin who sees every page
    c = customer("C1", owner=am_user)
    wo = work_order_for(c, assignee=am_user, alert=alert_for(c))
    client.force_login(admin_user)

    for path in [*PAGES, f"/work/{wo.pk}/", f"/customers/{c.pk}/"]:
        # when the page is rendered
        response = client.get(path, follow=True)

        # then it renders and fetches nothing from anywhere but this server
        assert response.status_code == 200, path
        assert external_references(response.content.decode()) == [], path


def test_api_docs_load_swagger_ui_from_the_installed_package(client, admin_user):
    client.force_login(admin_user)
    html = client.get("/api/docs/").content.decode()
    scripts = re.findall(r'<script src="/static/([^"]+)"', html)
    assert any("swagger-ui-bundle" in s for s in scripts)
    assert all(finders.find(s) for s in scripts)  # every script the page loads is a file this server has
