"""REST routes of the annotation core; each area keeps its routes beside its views."""

from annotations.api import boxes, datasets, invites, projects, review, sequences, tracks

# Django tries routes in order: the box writes, the most frequent requests by far, come first (no
# route of one area overlaps another's, so the order changes nothing else).
urlpatterns = [
    *boxes.urlpatterns,
    *projects.urlpatterns,
    *review.urlpatterns,
    *datasets.urlpatterns,
    *tracks.urlpatterns,
    *sequences.urlpatterns,
    *invites.urlpatterns,
]
