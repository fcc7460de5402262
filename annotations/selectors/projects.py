"""Finding a project by what an operator types: its id or its exact name."""

from annotations.errors import NotFound
from annotations.models import Project


def project_lookup(value: str) -> Project:
    """A project by id or by exact name (an id wins when a name looks like a number); NotFound otherwise."""
    project = Project.objects.filter(pk=int(value)).first() if value.isdigit() else None
    project = project or Project.objects.filter(name=value).first()
    if project is None:
        raise NotFound(f"No project with id or name {value!r}.")
    return project
