"""The annotate page: one frame on the canvas. The view only checks access and renders;
the page loads everything else through the API (static/frontend/annotate.js)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from annotations.access import image_get_for_user
from annotations.errors import Forbidden, NotFound


@login_required
def annotate(request, image_id: int):
    try:
        image = image_get_for_user(pk=image_id, user=request.user)
    except (NotFound, Forbidden):
        # Same page for "does not exist" and "not yours": existence is not leaked.
        return render(request, "404.html", status=404)
    context = {"image": image, "project": image.project, "current_project_id": image.project_id}
    return render(request, "frontend/annotate.html", context)
