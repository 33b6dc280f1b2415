"""In-memory item store."""

from dataclasses import dataclass, asdict


@dataclass
class Item:
    id: int
    name: str
    price: float


class ItemStore:
    def __init__(self):
        self._items = {}
        self._next_id = 1

    def add(self, name, price):
        if not name or not name.strip():
            raise ValueError("name is required")
        if price < 0:
            raise ValueError("price must not be negative")
        item = Item(self._next_id, name.strip(), float(price))
        self._items[item.id] = item
        self._next_id += 1
        return item

    def get(self, item_id):
        return self._items.get(item_id)

    def list(self):
        return list(self._items.values())

    def list_sorted(self, by="id"):
        if by not in ("id", "name", "price"):
            raise ValueError(f"cannot sort by {by}")
        return sorted(self._items.values(), key=lambda item: getattr(item, by))


def as_dict(item):
    return asdict(item)
