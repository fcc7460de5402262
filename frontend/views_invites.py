"""The invite page: whoever holds a live link signs up (or joins with the account they are logged
in with) and lands in the project with the invite's role. A dead link (unknown, used, revoked,
expired) gets a page saying which and what to do, never an error.

Throttled like the login form (annotations.login_throttle): a per-address rate on every request
here, and axes' lockout on every sign-up; a sign-up refused for a dead link or a taken username
counts as a failed login. Whether a username exists is only ever said to the holder of a live
invite, inside those limits.
"""

from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from annotations.errors import InvalidInput
from annotations.login_throttle import invite_rate_refusal, login_locked_out, sign_up_failed, sign_up_locked_out
from annotations.services.invites import InviteUnusable, invite_accept, invite_find, invite_sign_up

DEAD_LINK = {
    "unknown": ("This invite link does not work", "Check that the whole link was copied, or ask for a new one.", 404),
    "used": ("This invite was already used", "If you used it, log in. Otherwise ask a manager for a new link.", 410),
    "revoked": ("This invite was revoked", "A manager of the project withdrew it. Ask them for a new link.", 410),
    "expired": ("This invite has expired", "Ask a manager of the project for a new link.", 410),
}
BACKEND = "django.contrib.auth.backends.ModelBackend"


def _dead_link(request, reason: str):
    title, advice, status = DEAD_LINK[reason]
    context = {"title": title, "advice": advice, "reason": reason}
    return render(request, "frontend/invite_unusable.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def invite(request, token: str):
    refusal = invite_rate_refusal(request)
    if refusal is not None:
        return refusal
    username = request.POST.get("username", "") if request.method == "POST" else ""
    anonymous_post = request.method == "POST" and not request.user.is_authenticated
    if anonymous_post and sign_up_locked_out(request, username=username):
        return login_locked_out(request)
    try:
        found = invite_find(token)
    except InviteUnusable as exc:
        if anonymous_post:
            sign_up_failed(request, username=username)
        return _dead_link(request, exc.reason)
    if request.method == "GET":
        return _page(request, found, status=200)
    if request.user.is_authenticated:
        return _join(request, token)
    return _sign_up(request, found, token, username)


def _page(request, found, *, status: int, errors=None, values=None):
    errors = errors or {}
    password_only = not errors.get("username") and (errors.get("password") or errors.get("password2"))
    context = {
        "invite": found,
        "errors": errors,
        "values": values or {"email": found.email},
        "focus": "password1" if password_only else "username",  # the field to fix first
    }
    return render(request, "frontend/invite.html", context, status=status)


def _join(request, token: str):
    try:
        membership = invite_accept(token=token, user=request.user)
    except InviteUnusable as exc:  # used or revoked between the check and the lock
        return _dead_link(request, exc.reason)
    return redirect("frontend:project-detail", pk=membership.project_id)


def _sign_up(request, found, token: str, username: str):
    values = {"username": username, "email": request.POST.get("email", "")}
    password = request.POST.get("password1", "")
    if password != request.POST.get("password2", ""):
        return _page(request, found, status=400, values=values, errors={"password2": ["The passwords differ."]})
    try:
        user, membership = invite_sign_up(token=token, username=username, password=password, email=values["email"])
    except InviteUnusable as exc:
        sign_up_failed(request, username=username)
        return _dead_link(request, exc.reason)
    except InvalidInput as exc:
        if exc.extra.get("taken"):
            sign_up_failed(request, username=username)
        errors = {key: value for key, value in exc.extra.items() if isinstance(value, list)}
        return _page(request, found, status=400, values=values, errors=errors)
    login(request, user, backend=BACKEND)
    return redirect("frontend:project-detail", pk=membership.project_id)
