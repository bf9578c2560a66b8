"""Refusals: what a service raises when it will not do what it was asked.

Each carries a stable machine-readable `code` (clients branch on it, not on the English message), the HTTP
status the API answers with, and optionally the field it is about. The API's one exception handler
(churnops.core.api.exception_handler) renders them; pages show the message.
"""


class Refusal(Exception):
    """A refused request; subclasses set `status`: 400 invalid in this state (default), 403 not allowed,
    404 not found, 409 in conflict."""

    status = 400
    code = "refused"

    def __init__(self, message: str = "", *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field = field


class Conflict(Refusal):
    status = 409
    code = "conflict"
