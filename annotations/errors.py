"""Domain errors raised by services; the API's exception handler turns them into JSON."""


class DomainError(Exception):
    status_code = 400
    default_detail = "The request could not be carried out."

    def __init__(self, detail: str | None = None, **extra):
        self.detail = detail or self.default_detail
        self.extra = extra
        super().__init__(self.detail)


class NotFound(DomainError):
    """Missing, or outside the caller's projects: the two are never told apart."""

    status_code = 404
    default_detail = "Not found."


class Forbidden(DomainError):
    """A member whose role does not allow the operation."""

    status_code = 403
    default_detail = "Your role in this project does not allow this."


class InvalidInput(DomainError):
    status_code = 400


class Conflict(DomainError):
    status_code = 409
    default_detail = "The request conflicts with the current state."


class StaleVersion(Conflict):
    """The client edited a version of a box that is no longer current."""

    default_detail = "This box was changed by someone else since you loaded it."

    def __init__(self, *, current, detail: str | None = None):
        self.current = current
        super().__init__(detail)


class PayloadTooLarge(DomainError):
    status_code = 413
    default_detail = "The upload is over the size limits."
