"""The OpenAPI schema class: every operation also declares the errors the shared machinery can give.

Views declare their successes (and their own special cases, such as a stale box's 409) with
`extend_schema`; the errors that come from authentication, the permission checks, the
throttles, the parsers and the one exception handler are added here, judged from the view
itself, so the published schema is honest about every status the API answers
(tests/test_api_fuzz.py holds it to that with schemathesis' `status_code_conformance`).
"""

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers
from rest_framework.permissions import AllowAny

WRITES = {"POST", "PUT", "PATCH", "DELETE"}


class ErrorOutput(serializers.Serializer):
    """`{"detail": …}`, with field errors alongside for a 400."""

    detail = serializers.CharField()


class ApiSchema(AutoSchema):
    def _error_codes(self) -> dict[str, str]:
        view, codes = self.view, {}
        takes_input = self.method in WRITES and self.method != "DELETE" or self._get_filter_parameters()
        if takes_input or any(p.get("in") in ("query", "header") for p in self._get_parameters()):
            codes["400"] = "Invalid input: `detail`, plus the field errors."
        if not all(isinstance(p, AllowAny) for p in view.get_permissions()):
            codes["401"] = "Not authenticated."
            codes["403"] = "The caller's role does not allow it (or the session's CSRF token is missing)."
        if "{" in self.path:
            codes["404"] = "Not found, or outside the caller's projects (the two are never told apart)."
        if self.method in WRITES:
            codes["409"] = "Conflicts with the current state or with existing data."
            codes["415"] = "The body's media type is not one the operation accepts."
        if view.get_throttles():
            codes["429"] = "Too many requests; `Retry-After` says when to try again."
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, description in self._error_codes().items():
            if code not in responses:
                responses[code] = self._get_response_for_code(ErrorOutput, code, ["application/json"], direction)
                responses[code]["description"] = description
        return responses
