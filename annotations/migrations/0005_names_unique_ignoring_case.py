# Project names, and label names within a project, become unique ignoring case, held by the
# database. Rows that already differ only in case would make the new indexes fail with an
# obscure IntegrityError; the check below names them instead, so they can be renamed first.

import django.db.models.functions.text
from django.db import migrations, models
from django.db.models import Count
from django.db.models.functions import Lower


class CaseVariantNames(Exception):
    """Names that differ only in case exist; the message lists them."""


def _groups(queryset, *keys):
    """Rows of `queryset` grouped by `keys` + lower(name) where a group has more than one row."""
    clashes = queryset.annotate(folded=Lower("name")).values(*keys, "folded").annotate(n=Count("id")).filter(n__gt=1)
    for clash in clashes:
        rows = queryset.annotate(folded=Lower("name")).filter(**{k: clash[k] for k in (*keys, "folded")})
        yield clash, list(rows.order_by("id").values_list("id", "name"))


def case_variants_refuse(apps, schema_editor):
    Project = apps.get_model("annotations", "Project")
    Label = apps.get_model("annotations", "Label")
    lines = []
    for _, rows in _groups(Project.objects.all()):
        lines.append("  projects " + ", ".join(f"{name!r} (id {pk})" for pk, name in rows))
    for clash, rows in _groups(Label.objects.all(), "project_id"):
        listed = ", ".join(f"{name!r} (id {pk})" for pk, name in rows)
        lines.append(f"  labels of project {clash['project_id']}: {listed}")
    if lines:
        raise CaseVariantNames(
            "Project names, and label names within a project, must now be unique ignoring case, "
            "but these differ only in case:\n" + "\n".join(lines) + "\n"
            "Rename all but one of each group (PATCH /api/projects/{id}/ or /api/labels/{id}/, or the admin), "
            "then run migrate again."
        )


class Migration(migrations.Migration):

    dependencies = [
        ('annotations', '0004_project_allow_self_review'),
    ]

    operations = [
        migrations.RunPython(case_variants_refuse, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name='label',
            name='label_unique_name_per_project',
        ),
        migrations.AddConstraint(
            model_name='label',
            constraint=models.UniqueConstraint(models.F('project'), django.db.models.functions.text.Lower('name'), name='label_name_unique_ignoring_case_per_project'),
        ),
        migrations.AddConstraint(
            model_name='project',
            constraint=models.UniqueConstraint(django.db.models.functions.text.Lower('name'), name='project_name_unique_ignoring_case'),
        ),
    ]
