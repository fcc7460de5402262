"""Content-Security-Policy with the site's own websocket origin in `connect-src`.

`'self'` covers `ws:`/`wss:` to the same host only in CSP level 3 browsers; naming `ws:` and
`wss:` outright would let a page connect to any host. So each response names exactly one
websocket origin: the host this request was made to (already checked against
ALLOWED_HOSTS), `wss://` when the request is secure (behind the TLS proxy too), else `ws://`.
"""

from dataclasses import replace

from csp.middleware import CSPMiddleware
from django.core.exceptions import DisallowedHost


def websocket_origin(request) -> str | None:
    try:
        host = request.get_host()
    except DisallowedHost:  # the response is a 400 already; it needs no websocket
        return None
    return f"{'wss' if request.is_secure() else 'ws'}://{host}"


class SiteCSPMiddleware(CSPMiddleware):
    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only=report_only)
        origin = websocket_origin(request)
        if report_only or origin is None:
            return parts
        update = dict(parts.update or {})
        update["connect-src"] = [*update.get("connect-src", ()), origin]
        return replace(parts, update=update)
