"""Throttled logins: the address the deployment trusts, the lockout backend, the lockout answer.

django-axes counts failed logins (the `/accounts/login/` form and `POST /api/auth/token/`,
which both go through `authenticate(request=…)`) per username and per client address, in
the database, so every Daphne process sees the same counts and an admin unlocks by deleting
the attempt in Django admin (Axes › Access attempts). After `LOGIN_FAILURE_LIMIT` (5)
failures a username or an address is refused for `LOGIN_LOCKOUT_MINUTES` (10) after its
last attempt, the right password included. The token endpoint also has DRF's per-address
rate (`token`: 20/min) in the cache, Redis in team mode.

The client address is DRF's rule with `NUM_PROXIES` from the environment: 0 (default) uses
the socket's peer and ignores `X-Forwarded-For`, which any client can write; N takes the
N-th address from the right, the one the N trusted proxies saw. Anything that is not an IP
address falls back to the peer, so a forged header can neither dodge the count nor break it.
"""

import ipaddress
import math
from datetime import UTC

from axes.backends import AxesStandaloneBackend
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from django.contrib.auth.signals import user_login_failed
from django.shortcuts import render
from django.utils import timezone
from rest_framework.throttling import BaseThrottle, ScopedRateThrottle


def client_address(request) -> str:
    """The client's address as the deployment can vouch for it (see the module docstring)."""
    address = BaseThrottle().get_ident(request)
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return request.META.get("REMOTE_ADDR") or "0.0.0.0"


class ClientAddressThrottle(ScopedRateThrottle):
    """DRF's scoped rate, keyed by `client_address`."""

    def get_ident(self, request):
        return client_address(request)


class LoginThrottleBackend(AxesStandaloneBackend):
    """Axes' lockout check, for the logins that come with a request (every login over HTTP).

    A call without one (a management command, a test's `authenticate(username=…)`) is not a
    network attempt and is left to the next backend instead of failing with axes' ValueError.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def retry_after(request=None) -> tuple[int, str]:
    """(seconds, "HH:MM UTC") until a lockout ends: each refused attempt restarts the cool-off."""
    cool_off = get_cool_off(request)
    seconds = math.ceil(cool_off.total_seconds())
    at = timezone.now() + cool_off
    return seconds, at.astimezone(UTC).strftime("%H:%M UTC")


def lockout_message(request=None) -> str:
    seconds, at = retry_after(request)
    minutes = max(1, math.ceil(seconds / 60))
    return (
        "Too many failed logins for this account or from this address. "
        f"Try again after {at} (in {minutes} minute{'s' if minutes != 1 else ''}), "
        "or ask an administrator to unlock it."
    )


def login_locked_out(request, original_response=None, credentials=None):
    """Axes' answer to a locked-out login form: the login page with when to retry (429, Retry-After)."""
    seconds, _ = retry_after(request)
    response = render(request, "registration/locked_out.html", {"message": lockout_message(request)}, status=429)
    response["Retry-After"] = str(seconds)
    return response


# --- sign-up through an invite -----------------------------------------------------------------
# The same two locks as a login: a per-address rate in the cache (`invite` scope) on every invite
# page, and axes' failure counts: a sign-up refused for an unknown or dead token, or for a taken
# username, is recorded as a failed login for that username and address, and a username or address
# locked out by failed logins (or sign-ups) cannot sign up until its cool-off ends.


class _InviteScope:
    throttle_scope = "invite"


def invite_rate_refusal(request):
    """None while the client address is within the invite pages' rate, else a 429 page saying when to retry."""
    throttle = ClientAddressThrottle()
    if throttle.allow_request(request, _InviteScope()):
        return None
    seconds = math.ceil(throttle.wait() or 60)
    message = f"Too many requests from this address. Try again in {seconds} second{'s' if seconds != 1 else ''}."
    response = render(request, "registration/locked_out.html", {"message": message, "title": "Invite"}, status=429)
    response["Retry-After"] = str(seconds)
    return response


def _sign_up_credentials(username: str) -> dict:
    # Never empty: axes reads request.POST when given no credentials at all.
    return {"username": (username or "").strip()[:150]}


def sign_up_locked_out(request, *, username: str) -> bool:
    """Whether this username or client address is locked out by failed logins or sign-ups."""
    return not AxesProxyHandler.is_allowed(request, credentials=_sign_up_credentials(username))


SIGN_UP_PATH = "/invites/(token)/"


def sign_up_failed(request, *, username: str) -> None:
    """Count a refused sign-up as axes counts a failed login (the lockout answer follows at the limit).

    Axes keeps the path of every failure (Axes › Access attempts, and its log): the invite's token
    is replaced there, or a refused sign-up would store a live link in clear. The passwords are
    masked by AXES_SENSITIVE_PARAMETERS.
    """
    AxesProxyHandler.update_request(request)
    request.axes_path_info = SIGN_UP_PATH
    user_login_failed.send(sender=__name__, credentials=_sign_up_credentials(username), request=request)
