from feedback.api import evaluations, metrics, ratings, thresholds

urlpatterns = [*ratings.urlpatterns, *metrics.urlpatterns, *evaluations.urlpatterns, *thresholds.urlpatterns]
