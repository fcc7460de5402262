"""The one JSON decoder for request bodies and websocket frames: depth is bounded, errors are a 400.

Python's decoder recurses once per nesting level, so a body of 100,000 `[` raised RecursionError
(a 500), and a body just under the interpreter's limit parsed but then broke whatever recursed
over it next (validation, rendering). Nothing the API takes nests beyond a few levels.
"""

import json

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_JSON_DEPTH = 64
TOO_DEEP = f"JSON nested more than {MAX_JSON_DEPTH} levels deep."


def _too_deep(data) -> bool:
    """Whether containers nest past MAX_JSON_DEPTH (walked with a stack: no recursion here either)."""
    stack = [(data, 1)] if isinstance(data, (dict, list)) else []
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return True
        children = value.values() if isinstance(value, dict) else value
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON.")


def loads(text: str | bytes):
    """`json.loads` refusing NaN/Infinity and nesting past MAX_JSON_DEPTH; every failure is a ValueError."""
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise ValueError(TOO_DEEP) from None
    opening = (b"[", b"{") if isinstance(text, bytes) else ("[", "{")
    if sum(map(text.count, opening)) > MAX_JSON_DEPTH and _too_deep(data):  # counting is cheap, walking is not
        raise ValueError(TOO_DEEP)
    return data


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser on `loads`: a body too deep or malformed is a ParseError (400)."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return loads(stream.read().decode(encoding))
        except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            raise ParseError(f"JSON parse error - {exc}") from None
