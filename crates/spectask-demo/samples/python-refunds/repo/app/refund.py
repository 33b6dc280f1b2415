"""Refunds of paid orders. Amounts are in cents."""


class RefundError(ValueError):
    """A refund that cannot be made."""


def refund(order):
    """Refunds what is left of a paid order; returns the amount refunded."""
    if order["status"] != "paid":
        raise RefundError(f"order {order['id']} is {order['status']}, not paid")
    amount = order["total"] - order.get("refunded", 0)
    order["refunded"] = order["total"]
    order["status"] = "refunded"
    return amount
