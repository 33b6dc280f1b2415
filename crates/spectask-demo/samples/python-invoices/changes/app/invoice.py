"""Invoice totals, in cents."""


def subtotal(lines):
    """The sum of the lines: each line's unit price times its quantity."""
    return sum(line["price_cents"] * line["quantity"] for line in lines)


def total(lines, discount_percent=0):
    """The subtotal less a discount of `discount_percent` percent, rounded down to the cent."""
    if not 0 <= discount_percent <= 100:
        raise ValueError("the discount is a percentage from 0 to 100")
    amount = subtotal(lines)
    # Multiply first, so the subtotal's cents count; the division rounds down.
    discount = amount * discount_percent // 100
    return amount - discount
