from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """`{count, next, previous, results}`; `?page_size=` up to 10,000 so one frame's boxes fit one page."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 10_000
