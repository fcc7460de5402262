"""One invite link used twice at the same instant lets one person in; revoked while used, it is one or the other."""

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client

from annotations.models import Invite, Membership, Role
from annotations.services.invites import invite_create, invite_path
from tests.races.frames import frame_make
from tests.races.harness import api_client, race, run_rounds

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "heron-pier-42-dusk"


def _address(index: int, n: int) -> str:
    """A client address of its own per round and caller: a refused sign-up counts as a failed login
    (axes), and the same address refused round after round would be locked out."""
    return f"10.{n}.{index // 250}.{index % 250 + 1}"


def _sign_up(token: str, username: str, address: str):
    data = {"username": username, "password1": PASSWORD, "password2": PASSWORD}
    return Client(REMOTE_ADDR=address).post(invite_path(token), data)


def test_two_sign_ups_on_one_link_at_once_make_one_member():
    def one_round(index):
        cache.clear()  # the invite pages' per-address rate
        frame = frame_make(roles=(Role.MANAGER,))
        _, token = invite_create(project=frame.project, user=frame.users[0], role=Role.REVIEWER)
        names = [f"a{uuid.uuid4().hex[:8]}", f"b{uuid.uuid4().hex[:8]}"]
        answers = race(lambda: _sign_up(token, names[0], _address(index, 1)),
                       lambda: _sign_up(token, names[1], _address(index, 2)))  # fmt: skip
        assert sorted(a.status for a in answers) == [302, 410]
        joined = Membership.objects.filter(project=frame.project, user__username__in=names)
        assert joined.count() == 1 and joined.get().role == Role.REVIEWER
        # The refused one made no account either: its transaction rolled back with the refusal.
        assert get_user_model().objects.filter(username__in=names).count() == 1

    run_rounds("two sign-ups on one invite link", one_round)


def test_a_link_revoked_while_it_is_used_is_either_used_or_revoked():
    def one_round(index):
        cache.clear()
        frame = frame_make(roles=(Role.MANAGER,))
        invite, token = invite_create(project=frame.project, user=frame.users[0])
        manager = api_client(frame.users[0])
        name = f"c{uuid.uuid4().hex[:8]}"
        path = f"/api/projects/{frame.project.pk}/invites/{invite.pk}/"
        sign_up, revoke = race(lambda: _sign_up(token, name, _address(index, 3)), lambda: manager.delete(path))
        invite.refresh_from_db()
        joined = Membership.objects.filter(project=frame.project, user__username=name).exists()
        if sign_up.status == 302:
            assert revoke.status == 409 and joined and invite.state() == "used"
        else:
            assert (sign_up.status, revoke.status) == (410, 204) and not joined and invite.state() == "revoked"
        assert Invite.objects.filter(pk=invite.pk, used_at__isnull=False, revoked_at__isnull=False).count() == 0

    run_rounds("an invite revoked while it is used", one_round)
