import unittest

from app.refund import RefundError, refund


class RefundTest(unittest.TestCase):
    def test_refunds_the_whole_order(self):
        order = {"id": 1, "status": "paid", "total": 2500}
        self.assertEqual(refund(order), 2500)
        self.assertEqual(order["status"], "refunded")

    def test_refuses_an_order_not_paid(self):
        with self.assertRaises(RefundError):
            refund({"id": 2, "status": "open", "total": 2500})


if __name__ == "__main__":
    unittest.main()
