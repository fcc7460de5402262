"""The path converters for ids in every route (HTTP and websocket): every id a route takes is bounded.

Django's `int` converter accepts any number of digits, so `/api/boxes/99999999999999999999/`
reached the ORM and overflowed the database driver (a 500 on SQLite). Ids are positive
64-bit integers (BigAutoField); anything else matches no route, which is a 404.
"""

from django.urls import register_converter

MAX_ID = 2**63 - 1


def is_id(value) -> bool:
    """The same bound for an id that arrives inside JSON (a websocket message) instead of a path."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


class BoundedIdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 0 < number <= MAX_ID:
            raise ValueError(f"{value} is not an id")  # Django treats it as "no match"
        return number

    def to_url(self, value) -> str:
        return str(int(value))


class HexKeyConverter:
    """A server-made random key (uuid4 hex, e.g. a chunked upload's id): exactly 32 lowercase hex digits."""

    regex = "[0-9a-f]{32}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return str(value)


class InviteTokenConverter:
    """An invite's token (`secrets.token_urlsafe(32)`): exactly 43 URL-safe base64 characters."""

    regex = "[A-Za-z0-9_-]{43}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return str(value)


BOUNDED_CONVERTERS = (BoundedIdConverter, HexKeyConverter, InviteTokenConverter)


def register() -> None:
    register_converter(BoundedIdConverter, "id")
    register_converter(HexKeyConverter, "key")
    register_converter(InviteTokenConverter, "invite")
