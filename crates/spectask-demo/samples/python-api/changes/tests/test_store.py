import unittest

from app.store import ItemStore


class ItemStoreTest(unittest.TestCase):
    def test_adds_and_gets_items(self):
        store = ItemStore()
        item = store.add(" lamp ", 12.5)
        self.assertEqual(item.name, "lamp")
        self.assertEqual(store.get(item.id), item)
        self.assertEqual(store.list(), [item])

    def test_refuses_empty_names_and_negative_prices(self):
        store = ItemStore()
        with self.assertRaises(ValueError):
            store.add("  ", 1)
        with self.assertRaises(ValueError):
            store.add("lamp", -1)

    def test_lists_items_sorted(self):
        store = ItemStore()
        store.add("lamp", 12.5)
        store.add("chair", 40)
        self.assertEqual([i.name for i in store.list_sorted("name")], ["chair", "lamp"])
        with self.assertRaises(ValueError):
            store.list_sorted("colour")


if __name__ == "__main__":
    unittest.main()
