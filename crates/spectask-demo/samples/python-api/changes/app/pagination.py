"""Pages of a list: limit and offset, with the total."""

from dataclasses import dataclass

MAX_LIMIT = 100


@dataclass
class Page:
    items: list
    total: int
    limit: int
    offset: int


def paginate(items, limit=20, offset=0):
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT}")
    if offset < 0:
        raise ValueError("offset must not be negative")
    return Page(items[offset:offset + limit], len(items), limit, offset)
