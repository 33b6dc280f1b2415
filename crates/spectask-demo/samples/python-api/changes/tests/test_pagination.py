import unittest

from app.pagination import MAX_LIMIT, paginate


class PaginateTest(unittest.TestCase):
    def test_returns_the_page_and_the_total(self):
        page = paginate(list(range(45)), limit=20, offset=40)
        self.assertEqual(page.items, [40, 41, 42, 43, 44])
        self.assertEqual(page.total, 45)

    def test_refuses_a_limit_above_the_maximum(self):
        with self.assertRaises(ValueError):
            paginate([], limit=MAX_LIMIT + 1)
        with self.assertRaises(ValueError):
            paginate([], offset=-1)


if __name__ == "__main__":
    unittest.main()
