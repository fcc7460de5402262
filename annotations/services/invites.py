"""Invites: a manager makes a single-use link; whoever opens it joins the project with its role,
signing up on the way if they have no account.

The token is 32 random bytes (`secrets.token_urlsafe`, 43 characters) and only its SHA-256 is
stored, so a token cannot be guessed and a leaked database holds no working link. Using an
invite locks its row: two people opening the same link at the same instant cannot both join.
Who may create or revoke an invite (managers of the project, staff) is checked by the view,
like every other membership write; these functions check the invite itself.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from annotations.errors import Conflict, InvalidInput
from annotations.models import ROLE_RANK, Invite, Membership, Project, Role
from annotations.services.members import members_changed_on_commit

TOKEN_BYTES = 32
MAX_EXPIRY_DAYS = 30
# One answer whether the name belongs to an active account, an inactive one, or differs only in case.
USERNAME_TAKEN = "This username is not available; choose another."
BAD_EMAIL = "Enter a valid e-mail address, or none."


class InviteUnusable(Exception):
    """The link cannot be used: `reason` is `unknown`, `used`, `revoked` or `expired`."""

    def __init__(self, reason: str, invite: Invite | None = None):
        self.reason = reason
        self.invite = invite
        super().__init__(reason)


def _email_valid(email: str) -> bool:
    """An e-mail address is optional everywhere here: empty is valid."""
    if not email:
        return True
    try:
        validate_email(email)
    except ValidationError:
        return False
    return True


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def invite_create(
    *, project: Project, user, role: str = Role.ANNOTATOR, email: str = "", expires_in_days: int | None = None
) -> tuple[Invite, str]:
    """Make an invite; returns it and its token, which is never stored and cannot be shown again."""
    if role not in Role.values:
        raise InvalidInput(f"The role must be one of {', '.join(Role.values)}.", role=["Unknown role."])
    email = (email or "").strip()
    if not _email_valid(email):
        raise InvalidInput(BAD_EMAIL, email=[BAD_EMAIL])
    days = settings.INVITE_EXPIRY_DAYS if expires_in_days is None else expires_in_days
    if not 1 <= days <= MAX_EXPIRY_DAYS:
        message = f"An invite lasts from 1 to {MAX_EXPIRY_DAYS} days."
        raise InvalidInput(message, expires_in_days=[message])
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = timezone.now()
    invite = Invite.objects.create(
        project=project,
        role=role,
        email=email,
        token_hash=token_hash(token),
        created_by=user,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    return invite, token


@transaction.atomic
def invite_revoke(*, invite: Invite, user) -> Invite:
    """Revoke an invite so its link stops working; revoking twice is harmless, a used one is a 409."""
    invite = Invite.objects.select_for_update().get(pk=invite.pk)
    if invite.used_at is not None:
        raise Conflict("This invite was already used; remove the member instead.")
    if invite.revoked_at is None:
        invite.revoked_at = timezone.now()
        invite.save(update_fields=["revoked_at"])
    return invite


def invite_find(token: str, *, lock: bool = False) -> Invite:
    """The usable invite this token names, else `InviteUnusable` saying why."""
    invites = Invite.objects.select_related("project")
    if lock:
        invites = invites.select_for_update(of=("self",))
    invite = invites.filter(token_hash=token_hash(token or "")).first()
    if invite is None:
        raise InviteUnusable("unknown")
    state = invite.state()
    if state != "active":
        raise InviteUnusable(state, invite)
    return invite


@transaction.atomic
def invite_accept(*, token: str, user) -> Membership:
    """Join the invite's project with its role. A member keeps the higher of their role and the
    invite's (an invite never demotes, so it cannot take away a project's last manager)."""
    invite = invite_find(token, lock=True)
    return _join(invite, user)


@transaction.atomic
def invite_sign_up(*, token: str, username: str, password: str, email: str = "") -> tuple[object, Membership]:
    """Create an account (username and password checked by Django's validators) and join with it."""
    invite = invite_find(token, lock=True)
    user_model = get_user_model()
    username = user_model.normalize_username((username or "").strip())
    email = user_model.objects.normalize_email((email or "").strip())
    errors = {}
    try:
        user_model.username_validator(username)
        if not username or len(username) > user_model._meta.get_field("username").max_length:
            raise ValidationError("Enter a username of 1 to 150 characters.")
    except ValidationError as exc:
        errors["username"] = list(exc.messages)
    if not _email_valid(email):
        errors["email"] = [BAD_EMAIL]
    try:
        validate_password(password or "", user=user_model(username=username, email=email))
    except ValidationError as exc:
        errors["password"] = list(exc.messages)
    if errors:
        raise InvalidInput(" ".join(m for messages in errors.values() for m in messages), **errors)
    if user_model.objects.filter(username__iexact=username).exists():
        raise InvalidInput(USERNAME_TAKEN, username=[USERNAME_TAKEN], taken=True)
    try:
        with transaction.atomic():
            user = user_model.objects.create_user(username=username, email=email, password=password)
    except IntegrityError:  # the same name signed up a moment ago
        raise InvalidInput(USERNAME_TAKEN, username=[USERNAME_TAKEN], taken=True) from None
    return user, _join(invite, user)


def _join(invite: Invite, user) -> Membership:
    membership = Membership.objects.filter(project=invite.project, user=user).first()
    if membership is None:
        membership = Membership.objects.create(project=invite.project, user=user, role=invite.role)
    elif ROLE_RANK[invite.role] > ROLE_RANK[membership.role]:
        membership.role = invite.role
        membership.save(update_fields=["role"])
    invite.used_at = timezone.now()
    invite.used_by = user
    invite.save(update_fields=["used_at", "used_by"])
    members_changed_on_commit(invite.project_id)
    return membership


def invite_path(token: str) -> str:
    """The page that opens an invite (frontend's `invite` route; a test holds the two together)."""
    return f"/invites/{token}/"
