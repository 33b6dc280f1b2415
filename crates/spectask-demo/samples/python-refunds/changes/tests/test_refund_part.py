import unittest

from app.refund import RefundError, refund_part


class RefundPartTest(unittest.TestCase):
    def test_refunds_a_part(self):
        order = {"id": 1, "status": "paid", "total": 2500}
        self.assertEqual(refund_part(order, 1000), 1000)
        self.assertEqual((order["refunded"], order["status"]), (1000, "paid"))

    def test_the_last_part_refunds_the_order(self):
        order = {"id": 1, "status": "paid", "total": 2500}
        refund_part(order, 1000)
        refund_part(order, 1500)
        self.assertEqual(order["status"], "refunded")

    def test_refuses_more_than_the_total(self):
        with self.assertRaises(RefundError):
            refund_part({"id": 1, "status": "paid", "total": 2500}, 3000)


if __name__ == "__main__":
    unittest.main()
