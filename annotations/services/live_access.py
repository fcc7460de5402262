"""Live access follows permissions at once: whatever takes access away tells the open sockets.

A websocket is authorised when it connects; these receivers make every later change reach it
within a moment. They send `access.changed` to channel-layer groups every socket joins
(`annotations.consumer_access`):

- a membership removed or its role changed (by the API, the admin or a cascade) → the
  member's `user.<id>` group: each of their sockets re-checks its access and closes with
  4403 if it has lost it;
- a project deleted → its `access.project.<id>` group: every socket inside it re-checks
  (staff viewers too, who hold no membership);
- an account deactivated, deleted or otherwise changed → the user's group, re-check;
- a logout → the user's group with the session's key: the sockets opened with that session
  close without a check (the check could still find the session, which is flushed only after
  the `user_logged_out` signal), the user's other sessions stay.

Why signals here, against the rule of side-effect-free signals: access changes through paths
no service sees (Django admin, cascades, `LogoutView`), and a path that forgot to revoke would
leave a socket streaming a project its user lost. Each message goes after commit, so a
re-check reads the committed state and a rolled-back change revokes nothing.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_delete, post_save

from annotations.broadcast import broadcast, broadcast_on_commit, project_access_group, user_group
from annotations.models import Membership, Project

ACCESS_CHANGED = "access.changed"


def access_changed_on_commit(*, user_id: int | None = None, project_id: int | None = None) -> None:
    """After commit, make the user's sockets (or every socket inside the project) re-check their access."""
    if user_id is not None:
        broadcast_on_commit(user_group(user_id), ACCESS_CHANGED, {})
    if project_id is not None:
        broadcast_on_commit(project_access_group(project_id), ACCESS_CHANGED, {"project": project_id})


def session_ended(*, user_id: int, session_key: str) -> None:
    """Close the sockets opened with this session, now."""
    broadcast(user_group(user_id), ACCESS_CHANGED, {"session": session_key})


def _membership_changed(sender, instance: Membership, created: bool = False, **kwargs) -> None:
    if created:
        return  # access was given, not taken
    access_changed_on_commit(user_id=instance.user_id)


def _project_deleted(sender, instance: Project, **kwargs) -> None:
    access_changed_on_commit(project_id=instance.pk)


def _user_changed(sender, instance, created: bool = False, update_fields=None, **kwargs) -> None:
    if created:
        return
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # every login saves this; it takes nothing away
    access_changed_on_commit(user_id=instance.pk)


def _logged_out(sender, request, user, **kwargs) -> None:
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if user is not None and session_key:
        session_ended(user_id=user.pk, session_key=session_key)


def connect_receivers() -> None:
    """Called once from AnnotationsConfig.ready()."""
    post_save.connect(_membership_changed, sender=Membership, dispatch_uid="live_access_membership_saved")
    post_delete.connect(_membership_changed, sender=Membership, dispatch_uid="live_access_membership_deleted")
    post_delete.connect(_project_deleted, sender=Project, dispatch_uid="live_access_project_deleted")
    user_model = get_user_model()
    post_save.connect(_user_changed, sender=user_model, dispatch_uid="live_access_user_saved")
    post_delete.connect(_user_changed, sender=user_model, dispatch_uid="live_access_user_deleted")
    user_logged_out.connect(_logged_out, dispatch_uid="live_access_logged_out")
