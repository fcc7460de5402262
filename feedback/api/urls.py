from feedback.api import metrics, ratings

urlpatterns = [*ratings.urlpatterns, *metrics.urlpatterns]
