"""A manager invites someone with no account from the members panel; they sign up through the link
in another browser and land in the project with the role. A revoked link says so."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from playwright.sync_api import expect

from annotations.models import Invite, Membership, Role
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.browser
NEW_PASSWORD = "gull-tern-heron-77"


@pytest.fixture(autouse=True)
def fresh_rates(live_url):
    """The invite pages' per-address rate lives in the cache the server shares (Redis)."""
    cache.clear()


def invite_from_panel(page, *, role: str, email: str = "") -> str:
    panel = page.locator("[data-testid=members-panel]")
    form = panel.locator("[data-testid=invite-form]")
    if email:
        form.get_by_label("E-mail (optional)").fill(email)
    form.get_by_label("Invite as").select_option(role)
    form.get_by_role("button", name="Create invite link").click()
    link = panel.locator("[data-testid=invite-link]")
    expect(link).to_have_value(re.compile(r"/invites/[A-Za-z0-9_-]{43}/$"))
    return link.input_value()


def test_a_newcomer_signs_up_through_an_invite_and_a_revoked_link_says_so(browser, live_url, new_page, screenshot):
    lead = UserFactory(username="lead")
    project = ProjectFactory(name="Harbour birds")
    MembershipFactory(project=project, user=lead, role=Role.MANAGER)

    page = new_page(lead, viewport=(1280, 900))
    page.goto(f"/projects/{project.pk}/")
    page.locator(f"[data-testid=members-panel] li[data-user-id='{lead.pk}']").wait_for()
    # Nobody but the lead could review a submitted frame (four-eyes review): a reviewer is suggested.
    assert page.get_by_label("Invite as").input_value() == "reviewer"
    url = invite_from_panel(page, role="reviewer", email="nora@example.com")
    assert url.startswith(f"{live_url}/invites/")
    row = page.locator("[data-testid=invites] li[data-state=active]")
    row.get_by_text("nora@example.com").wait_for()
    screenshot(page, "invite_created")

    # Someone else, in a browser with no session, opens the link and signs up.
    guest = browser.new_context(viewport={"width": 1280, "height": 860})
    try:
        newcomer = guest.new_page()
        newcomer.goto(url)
        newcomer.get_by_text("You are invited to the project").wait_for()
        assert newcomer.get_by_test_id("invite-role").inner_text() == "reviewer"
        assert newcomer.get_by_label("E-mail").input_value() == "nora@example.com"
        newcomer.get_by_label("Choose a username").fill("nora")
        newcomer.get_by_label("Password", exact=True).fill("password")  # too common: refused, explained
        newcomer.get_by_label("Password again").fill("password")
        newcomer.get_by_role("button", name="Create account and join").click()
        newcomer.get_by_role("alert").get_by_text("too common").wait_for()
        screenshot(newcomer, "invite_sign_up_refused_password")
        newcomer.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
        newcomer.get_by_label("Password again").fill(NEW_PASSWORD)
        newcomer.get_by_role("button", name="Create account and join").click()
        newcomer.wait_for_url(f"{live_url}/projects/{project.pk}/")
        assert newcomer.get_by_test_id("whoami").inner_text() == "nora"
        newcomer.locator(".page-head .role-badge").get_by_text("reviewer").wait_for()
        newcomer.get_by_test_id("review-queue").wait_for()  # a reviewer's panel
        screenshot(newcomer, "invite_joined_as_reviewer")
    finally:
        guest.close()
    nora = get_user_model().objects.get(username="nora")
    assert Membership.objects.get(project=project, user=nora).role == Role.REVIEWER

    # The lead's open page follows live: nora is a member, the link is listed as used.
    page.locator(f"[data-testid=members-panel] li[data-user-id='{nora.pk}'][data-role=reviewer]").wait_for()
    page.locator("[data-testid=invites] li[data-state=used]").get_by_text("used by nora").wait_for()
    # A second link is suggested for an annotator now, revoked from the panel, and then refuses.
    page.reload()
    page.locator(f"[data-testid=members-panel] li[data-user-id='{nora.pk}']").wait_for()
    assert page.get_by_label("Invite as").input_value() == "annotator"  # a reviewer is there now
    second = invite_from_panel(page, role="annotator")
    page.get_by_role("button", name="Revoke the invite for anyone with the link").click()
    expect(page.locator("[data-testid=invites] li[data-state=active]")).to_have_count(0)
    assert Invite.objects.get(role=Role.ANNOTATOR).state() == "revoked"

    stranger = browser.new_context()
    try:
        dead = stranger.new_page()
        response = dead.goto(second)
        assert response.status == 410
        dead.get_by_role("heading", name="This invite was revoked").wait_for()
        dead.get_by_text("Ask them for a new link").wait_for()
        assert "Harbour birds" not in dead.content()
        screenshot(dead, "invite_revoked")
        assert dead.goto(url).status == 410  # the used one too
        dead.get_by_role("heading", name="This invite was already used").wait_for()
    finally:
        stranger.close()
    assert page.js_errors == []


def test_a_logged_in_member_of_another_project_joins_with_their_account(new_page, live_url):
    lead = UserFactory(username="lead")
    project = ProjectFactory(name="Harbour birds")
    MembershipFactory(project=project, user=lead, role=Role.MANAGER)
    olga = UserFactory(username="olga")
    page = new_page(lead)
    page.goto(f"/projects/{project.pk}/")
    url = invite_from_panel(page, role="annotator")

    other = new_page(olga)
    other.goto(url)
    other.get_by_role("button", name="Join as olga").click()
    other.wait_for_url(f"{live_url}/projects/{project.pk}/")
    other.locator(".page-head .role-badge").get_by_text("annotator").wait_for()
    assert Membership.objects.get(project=project, user=olga).role == Role.ANNOTATOR
