"""The HTTP API: FastAPI routes over the item store."""

from fastapi import FastAPI, HTTPException, Query
from pydantic import BaseModel

from app.pagination import MAX_LIMIT, paginate
from app.store import ItemStore, as_dict

app = FastAPI(title="python-api")
store = ItemStore()


class NewItem(BaseModel):
    name: str
    price: float


@app.get("/items")
def list_items(
    limit: int = Query(20, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0),
    sort: str = Query("id", pattern="^(id|name|price)$"),
):
    page = paginate(store.list_sorted(sort), limit, offset)
    return {
        "items": [as_dict(item) for item in page.items],
        "total": page.total,
        "limit": page.limit,
        "offset": page.offset,
    }


@app.post("/items", status_code=201)
def create_item(body: NewItem):
    try:
        return as_dict(store.add(body.name, body.price))
    except ValueError as err:
        raise HTTPException(status_code=400, detail=str(err))


@app.get("/items/{item_id}")
def get_item(item_id: int):
    item = store.get(item_id)
    if item is None:
        raise HTTPException(status_code=404, detail="no such item")
    return as_dict(item)
