"""Request and response examples shown in /docs and /redoc."""

PRODUCT_EXAMPLE = {
    "id": 1,
    "sku": "MUG-BLUE-01",
    "name": "Blue mug",
    "price": 9.99,
    "stock": 25,
    "created_at": "2026-11-22T10:00:00Z",
    "updated_at": "2026-11-22T10:00:00Z",
}

PRODUCT_CREATE_EXAMPLES = {
    "mug": {
        "summary": "A product",
        "value": {"sku": "MUG-BLUE-01", "name": "Blue mug", "price": 9.99, "stock": 25},
    },
    "invalid": {
        "summary": "Invalid: negative price (422)",
        "value": {"sku": "MUG-BLUE-01", "name": "Blue mug", "price": -1, "stock": 25},
    },
}

PRODUCT_UPDATE_EXAMPLES = {
    "restock": {"summary": "Restock", "value": {"stock": 100}},
    "reprice": {"summary": "New name and price", "value": {"name": "Blue mug XL", "price": 12.5}},
    "invalid": {"summary": "Invalid: unknown field (422)", "value": {"colour": "blue"}},
}

ORDER_EXAMPLE = {
    "id": 7,
    "product_id": 1,
    "quantity": 2,
    "status": "PENDING",
    "unit_price": 9.99,
    "total": 19.98,
    "created_at": "2026-11-22T10:05:00Z",
    "updated_at": "2026-11-22T10:05:00Z",
    "paid_at": None,
    "payment_id": None,
}

ORDER_CREATE_EXAMPLES = {
    "two_mugs": {"summary": "Two of product 1", "value": {"product_id": 1, "quantity": 2}},
    "too_many": {
        "summary": "More than in stock (409 insufficient_stock)",
        "value": {"product_id": 1, "quantity": 1000},
    },
}

ORDER_UPDATE_EXAMPLES = {
    "ship": {"summary": "Ship a PAID order", "value": {"status": "SHIPPED"}},
    "cancel": {"summary": "Cancel (stock is returned)", "value": {"status": "CANCELED"}},
    "quantity": {"summary": "Change quantity while PENDING", "value": {"quantity": 3}},
}
