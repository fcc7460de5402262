"""REST routes of the annotation core; each area keeps its routes beside its views."""

from annotations.api import boxes, datasets, invites, projects, review, sequences, tracks

urlpatterns = [
    *projects.urlpatterns,
    *boxes.urlpatterns,
    *review.urlpatterns,
    *datasets.urlpatterns,
    *tracks.urlpatterns,
    *sequences.urlpatterns,
    *invites.urlpatterns,
]
