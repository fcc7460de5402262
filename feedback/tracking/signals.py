"""Logging out closes the user's annotation sessions (their runs go to the outbox)."""

import logging

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver

from feedback.tracking.sessions import sessions_close_for_user

logger = logging.getLogger(__name__)


@receiver(user_logged_out, dispatch_uid="feedback.tracking.sessions_close_on_logout")
def sessions_close_on_logout(sender, request, user, **kwargs):
    if user is None or not user.is_authenticated:
        return
    try:  # bookkeeping must never break a logout
        sessions_close_for_user(user=user)
    except Exception:
        logger.exception("Closing the annotation sessions of %s at logout failed", user.pk)
