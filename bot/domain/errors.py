"""Errors a user can cause, each carrying a message written for that user."""


class UserError(Exception):
    """A problem with what the user asked for; `message` is shown to them as is."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(UserError):
    """The thing the user referred to does not exist in their workspace."""


class NotAllowed(UserError):
    """The user may not do this."""
