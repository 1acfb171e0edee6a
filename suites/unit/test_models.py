"""What the rules select and sort by is derived from the models, and fails loudly when
the two drift apart."""

from typing import Literal, get_args

import pytest

from service import orders, products
from service.models import Order, OrderPublic, Product, ProductPublic
from service.sql import public_columns, sort_orders


@pytest.mark.parametrize(
    "columns, model",
    [(products.PRODUCT_COLUMNS, ProductPublic), (orders.ORDER_COLUMNS, OrderPublic)],
)
def test_rules_select_exactly_the_public_fields(columns, model):
    assert [column.name for column in columns] == list(model.model_fields)


def test_a_public_field_the_table_lacks_fails_loudly():
    class ProductPublicWithColour(ProductPublic):
        colour: str

    with pytest.raises(LookupError, match="colour"):
        public_columns(Product.__table__, ProductPublicWithColour)


@pytest.mark.parametrize(
    "table, sort_type",
    [(Product.__table__, products.ProductSort), (Order.__table__, orders.OrderSort)],
)
def test_every_sort_key_names_a_column_and_breaks_ties_by_id(table, sort_type):
    clauses = sort_orders(table, sort_type)
    assert list(clauses) == list(get_args(sort_type))
    for key, order_by in clauses.items():
        assert len(order_by) == (1 if key.lstrip("-") == "id" else 2)


def test_a_sort_key_without_a_column_fails_loudly():
    with pytest.raises(KeyError):
        sort_orders(Product.__table__, Literal["id", "colour"])
