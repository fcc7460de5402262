"""The AI-audit dashboard page: access check and a template; every figure comes from the API."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from annotations.access import project_get_for_user
from annotations.errors import Forbidden, NotFound


@login_required
def dashboard(request, project_id: int):
    """`/projects/<id>/dashboard/`: 404 outside the user's projects (existence is not leaked)."""
    try:
        project = project_get_for_user(pk=project_id, user=request.user)
    except (NotFound, Forbidden):
        raise Http404 from None
    context = {"project": project, "current_project_id": project.pk}
    return render(request, "feedback/dashboard.html", context)
