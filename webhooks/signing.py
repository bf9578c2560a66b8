"""Webhook signatures, Stripe-style: HMAC-SHA256 of "<timestamp>.<body>" with the endpoint's secret.

Header: `ChurnOps-Signature: t=<unix seconds>,v1=<hex digest>`. A receiver recomputes the digest over the raw
body, compares in constant time and refuses a timestamp too far from its clock (replays).
"""

import hashlib
import hmac

SIGNATURE_HEADER = "ChurnOps-Signature"
TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def signature_is_valid(secret: str, header: str, body: bytes, now: int, tolerance: int = TOLERANCE_SECONDS) -> bool:
    """What a receiver does: parse the header, check the age and compare the digest in constant time."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(parts.get("v1", ""), signature(secret, timestamp, body))
