"""Pure parsing and validation of contact rows (CSV or JSON); the database side is customers.services.

Rows come in as ``(line, mapping)`` pairs like customers and events (CSV: file line; API: 0-based index).
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from .choices import ContactChannel
from .importers import Row, RowError, _Invalid, _RowChecker, parse_text

CONTACT_FIELDS = ("customer_external_id", "name", "role", "phone", "email", "preferred_channel")
CONTACT_REQUIRED = ("customer_external_id", "name")
# A phone number as people write it: an optional +, digits and the usual separators; 5 to 20 digits.
PHONE_SHAPE = re.compile(r"^\+?[0-9(][0-9 ()./-]*$")
PHONE_DIGITS = (5, 20)
_CHANNELS = {value: value for value in ContactChannel.values} | {"phone": "call", "e-mail": "email", "sms": "message"}


@dataclass
class ContactRecord:
    """A validated contact row; ``fields`` holds only the columns present in the input."""

    line: int
    customer_external_id: str
    name: str
    fields: dict[str, Any] = field(default_factory=dict)


def phone_digits(phone: str) -> str:
    return re.sub(r"\D", "", phone or "")


def parse_phone(value) -> str:
    phone = parse_text(value, max_length=40)
    if not phone:
        return ""
    digits = phone_digits(phone)
    if not PHONE_SHAPE.match(phone) or not PHONE_DIGITS[0] <= len(digits) <= PHONE_DIGITS[1]:
        raise _Invalid(
            _("'%(phone)s' is not a phone number (digits, spaces, + ( ) - . /; %(low)s to %(high)s digits)")
            % {"phone": phone, "low": PHONE_DIGITS[0], "high": PHONE_DIGITS[1]}
        )
    return phone


def parse_email(value) -> str:
    email = parse_text(value, max_length=200)
    if not email:
        return ""
    try:
        validate_email(email)
    except ValidationError:
        raise _Invalid(_("'%(email)s' is not an e-mail address") % {"email": email}) from None
    return email.lower()


def parse_channel(value) -> str:
    channel = parse_text(value, max_length=12).lower()
    if channel and channel not in _CHANNELS:
        raise _Invalid(
            _("unknown channel '%(value)s'; allowed: %(allowed)s")
            % {"value": value, "allowed": ", ".join(ContactChannel.values)}
        )
    return _CHANNELS.get(channel, "")


_CONTACT_PARSERS = {
    "role": partial(parse_text, max_length=80),
    "phone": parse_phone,
    "email": parse_email,
    "preferred_channel": parse_channel,
}


def validate_contact_rows(rows: Iterable[Row]) -> tuple[list[ContactRecord], list[RowError]]:
    """Parse contact rows; return (records, errors). Unknown columns and a repeated (customer, name) are errors."""
    records, errors, first_line = [], [], {}
    for line, row in rows:
        check = _RowChecker(line, row)
        customer = check.get("customer_external_id", parse_text, required=True, max_length=64)
        name = check.get("name", parse_text, required=True, max_length=120)
        fields = {key: check.get(key, parse) for key, parse in _CONTACT_PARSERS.items() if key in check.row}
        for key in sorted((k for k in check.row if k is not None and k not in CONTACT_FIELDS), key=str):
            check.fail(str(key), _("unknown column; allowed: %(allowed)s") % {"allowed": ", ".join(CONTACT_FIELDS)})
        key = (customer, (name or "").casefold())
        if customer and name and key in first_line:
            check.fail(
                "name",
                _("duplicate contact '%(name)s' for customer '%(customer)s' (first on line %(line)s)")
                % {"name": name, "customer": customer, "line": first_line[key]},
            )
        elif customer and name:
            first_line[key] = line
        errors.extend(check.errors)
        if not check.errors:
            records.append(ContactRecord(line, customer, name, fields))
    return records, errors
