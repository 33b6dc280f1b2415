"""Refunds of paid orders, whole or in parts. Amounts are in cents."""


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


def refund_part(order, amount):
    """Refunds `amount` of a paid order; the order is refunded once all of it is."""
    if order["status"] != "paid":
        raise RefundError(f"order {order['id']} is {order['status']}, not paid")
    if amount > order["total"]:
        raise RefundError(f"{amount} is more than the order's total {order['total']}")
    order["refunded"] = order.get("refunded", 0) + amount
    if order["refunded"] == order["total"]:
        order["status"] = "refunded"
    return amount
