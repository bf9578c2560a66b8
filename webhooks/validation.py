"""Endpoint input checks: http(s) only, and no private, loopback or link-local target unless allowed."""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.utils.translation import gettext

from .models import EVENT_TYPES


def _blocked(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast or ip.is_unspecified


def resolved_addresses(host: str, port: int) -> list[str]:
    """Every address the host name resolves to (empty when it does not resolve)."""
    try:
        return sorted({info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)})
    except (socket.gaierror, UnicodeError):
        return []


def url_errors(url: str, *, allows_private: bool) -> list[tuple[str, str]]:
    """(field, message) pairs; empty when the URL may be used."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https"):
        return [("url", gettext("must be an http:// or https:// URL"))]
    if not parts.hostname:
        return [("url", gettext("has no host"))]
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return [("url", gettext("has an invalid port"))]
    if allows_private:
        return []
    private = [a for a in resolved_addresses(parts.hostname, port) if _blocked(a)]
    if private:
        return [
            (
                "url",
                gettext(
                    "points to a private or loopback address (%(addresses)s); "
                    "allow private targets on this endpoint to use it"
                )
                % {"addresses": ", ".join(private)},
            )
        ]
    return []


def endpoint_errors(*, name: str, url: str, events, allows_private: bool) -> list[tuple[str, str]]:
    errors = [] if (name or "").strip() else [("name", gettext("an endpoint needs a name"))]
    errors += url_errors(url, allows_private=allows_private)
    if not isinstance(events, list | tuple) or not events:
        errors.append(("events", gettext("choose at least one of %(events)s") % {"events": ", ".join(EVENT_TYPES)}))
    else:
        unknown = [e for e in events if e not in EVENT_TYPES]
        if unknown:
            errors.append(("events", gettext("unknown event(s) %(events)s") % {"events": ", ".join(map(str, unknown))}))
    return errors
