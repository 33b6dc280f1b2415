import unittest

from app.invoice import total


class DiscountRoundingTest(unittest.TestCase):
    """The bug: the discount dropped the subtotal's cents before taking the percentage."""

    def test_a_discount_counts_the_cents(self):
        # 19.99 at 10% off: the discount is 1.99 (199.9 cents, rounded down), not 1.90.
        self.assertEqual(total([{"price_cents": 1999, "quantity": 1}], 10), 1800)

    def test_whole_amounts_are_unchanged(self):
        self.assertEqual(total([{"price_cents": 2000, "quantity": 1}], 10), 1800)


if __name__ == "__main__":
    unittest.main()
