"""The dashboard page: members see it, everyone else gets the same 404 (or the login page)."""


def test_a_member_gets_the_dashboard_page(client, project, annotator):
    client.force_login(annotator)
    response = client.get(f"/projects/{project.pk}/dashboard/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-project-id="{project.pk}"' in html
    assert "feedback/vendor/chart.umd.min.js" in html and "feedback/dashboard.js" in html
    assert "<script>" not in html  # no inline script: the CSP forbids it


def test_outsiders_get_a_404_and_anonymous_users_the_login_page(client, project, outsider):
    assert client.get(f"/projects/{project.pk}/dashboard/").status_code == 302
    client.force_login(outsider)
    assert client.get(f"/projects/{project.pk}/dashboard/").status_code == 404
    assert client.get("/projects/987654/dashboard/").status_code == 404


def test_chart_js_is_served_from_this_site(client, annotator):
    client.force_login(annotator)
    response = client.get("/static/feedback/vendor/chart.umd.min.js")
    assert response.status_code == 200
    assert b"Chart.js v4" in b"".join(response.streaming_content)[:200]
