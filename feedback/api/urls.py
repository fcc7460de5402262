from feedback.api import evaluations, metrics, ratings

urlpatterns = [*ratings.urlpatterns, *metrics.urlpatterns, *evaluations.urlpatterns]
