"""The HTTP API: FastAPI routes over the item store."""

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

from app.store import ItemStore, as_dict

app = FastAPI(title="python-api")
store = ItemStore()


class NewItem(BaseModel):
    name: str
    price: float


@app.get("/items")
def list_items():
    return [as_dict(item) for item in store.list()]


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
