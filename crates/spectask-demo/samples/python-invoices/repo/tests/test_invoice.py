import unittest

from app.invoice import subtotal, total


class InvoiceTest(unittest.TestCase):
    def test_sums_the_lines(self):
        lines = [{"price_cents": 250, "quantity": 2}, {"price_cents": 1000, "quantity": 1}]
        self.assertEqual(subtotal(lines), 1500)
        self.assertEqual(total(lines), 1500)

    def test_takes_a_discount_off_whole_amounts(self):
        self.assertEqual(total([{"price_cents": 2000, "quantity": 1}], 10), 1800)

    def test_refuses_a_discount_above_100_percent(self):
        with self.assertRaises(ValueError):
            total([{"price_cents": 100, "quantity": 1}], 120)


if __name__ == "__main__":
    unittest.main()
