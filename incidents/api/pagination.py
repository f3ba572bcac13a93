from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination


class StrictPageSize:
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw in (None, ""):
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError(
                {"page_size": [f"page_size must be a whole number from 1 to {self.max_page_size}."]}
            )
        return int(raw)


class Pagination(StrictPageSize, PageNumberPagination):
    """Numbered pages with a total count, for the small lists (services, teams)."""


class IncidentPagination(StrictPageSize, CursorPagination):
    """Cursor pages, newest first: stable while new incidents arrive (an alert storm does
    not shift what the next page holds) and no COUNT over the whole table per request.
    Follow `next` and `previous`."""

    ordering = "-number"
