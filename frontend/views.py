"""Page views: they only check access and render a template; data comes through the API and websocket."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from annotations.access import can_create_project, project_get_for_user, role_in_project
from annotations.errors import Forbidden, NotFound


def not_found(request):
    """The same page for "does not exist" and "not yours": existence is not leaked."""
    return render(request, "404.html", status=404)


@login_required
def project_list(request):
    return render(request, "frontend/project_list.html", {"can_create_projects": can_create_project(request.user)})


@login_required
def project_detail(request, pk: int):
    try:
        project = project_get_for_user(pk=pk, user=request.user)
    except (NotFound, Forbidden):
        return not_found(request)
    role = role_in_project(user=request.user, project_id=project.pk)
    context = {"project": project, "role": role, "current_project_id": project.pk}
    return render(request, "frontend/project_detail.html", context)
