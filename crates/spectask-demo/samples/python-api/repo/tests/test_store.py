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


if __name__ == "__main__":
    unittest.main()
