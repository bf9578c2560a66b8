"""Helpers for API tests that build no data (rows come from tests.factories)."""

from rest_framework.test import APIClient


def login(client: APIClient, user) -> APIClient:
    client.force_authenticate(user=user)
    return client
