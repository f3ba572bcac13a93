from __future__ import annotations

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination

from incidents.parsing import BadValue, parse_int


class StrictPageSize:
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request) -> int:
        name = self.page_size_query_param
        try:
            raw = request.query_params.get(name)
            return parse_int(raw, name, self.page_size, 1, self.max_page_size)
        except BadValue as exc:
            raise ValidationError({name: [exc.message]}) from None


class Pagination(StrictPageSize, PageNumberPagination):
    """Numbered pages with a total count, for the small lists (services, teams)."""


class IncidentPagination(StrictPageSize, CursorPagination):
    """Cursor pages, newest first: stable while new incidents arrive (an alert storm does
    not shift what the next page holds) and no COUNT over the whole table per request.
    Follow `next` and `previous`."""

    ordering = "-number"
