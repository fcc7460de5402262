"""Logging in and out through the real forms, and the 404 page for projects that are not yours."""

import pytest

from annotations.models import Role
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.browser


def test_login_form_leads_to_the_project_list_and_logout_ends_the_session(new_page, live_url, screenshot):
    user = UserFactory(username="lena")
    page = new_page(user)
    assert page.locator("[data-testid=whoami]").inner_text() == "lena"
    assert page.locator("h1").inner_text() == "Your projects"

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/accounts/login/")
    page.goto("/")
    assert "/accounts/login/" in page.url, "the project list must need a session again"
    screenshot(page, "login")


def test_wrong_password_is_refused_with_a_message(browser, live_url):
    UserFactory(username="lena")
    context = browser.new_context(base_url=live_url)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("#id_username", "lena")
    page.fill("#id_password", "not-the-password")
    page.click("button[type=submit]")
    assert page.get_by_role("alert").inner_text().startswith("Your username and password didn't match")
    assert "/accounts/login/" in page.url
    context.close()


def test_two_users_in_two_contexts_cannot_open_a_third_users_project(new_page, live_url, screenshot):
    theirs = ProjectFactory(name="Carla's secret project")
    MembershipFactory(project=theirs, user=UserFactory(username="carla"), role=Role.MANAGER)
    shared = ProjectFactory(name="Shared")
    anna, ben = UserFactory(username="anna"), UserFactory(username="ben")
    MembershipFactory(project=shared, user=anna)
    MembershipFactory(project=shared, user=ben, role=Role.REVIEWER)

    for user in (anna, ben):
        page = new_page(user)
        response = page.goto(f"/projects/{theirs.pk}/")
        assert response.status == 404
        assert page.locator("[data-testid=not-found] h1").inner_text() == "Not found"
        assert "Carla" not in page.content()
        screenshot(page, f"not_found_{user.username}")
        # A project id that does not exist at all looks exactly the same.
        assert page.goto(f"/projects/{theirs.pk + 1000}/").status == 404
        assert page.goto(f"/projects/{shared.pk}/").status == 200
