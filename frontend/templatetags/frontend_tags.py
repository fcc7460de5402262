"""Template tags shared by every page (the top bar's project links)."""

from django import template

from annotations.access import projects_for_user

register = template.Library()


@register.simple_tag
def nav_projects(user, limit: int = 8):
    """The first projects of the user, for the top bar; the project list shows them all."""
    return list(projects_for_user(user).only("id", "name").order_by("name")[:limit])
