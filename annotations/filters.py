"""django-filter FilterSets with explicitly declared fields only.

Nothing is derived from the model (`Meta.fields` stays empty), so a parameter such as
`?created_by__password__startswith=x` matches no filter and is ignored: no lookup ever
traverses into another table from the query string.
"""

import django_filters

from annotations.models import Image, ImageStatus, Project

FRAME_INDEX_MAX = 2**31 - 1  # the column's range: larger values would be a database error, not a filter


class ImageFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ImageStatus.choices)
    frame_index_min = django_filters.NumberFilter(
        field_name="frame_index", lookup_expr="gte", min_value=0, max_value=FRAME_INDEX_MAX
    )
    frame_index_max = django_filters.NumberFilter(
        field_name="frame_index", lookup_expr="lte", min_value=0, max_value=FRAME_INDEX_MAX
    )

    class Meta:
        model = Image
        fields: list[str] = []


class ProjectFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(field_name="name", lookup_expr="icontains", max_length=200)

    class Meta:
        model = Project
        fields: list[str] = []
