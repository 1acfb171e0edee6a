"""The Swagger UI walk-through's flow, declared: each "Try it out" (`Action`: the operation,
its form fields and body from what earlier steps remembered, the status it must answer and
what its body must say) and the record of what one showed (`Shot`). The browser that walks
it: evidence/swagger.py.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Action:
    """One "Try it out" on one operation."""

    slug: str
    title: str
    method: str
    path: str  # as in the contract, without API_PREFIX
    expected: int
    params: Callable[[dict], dict] | None = None  # None: the path's own, as remembered
    body: Callable[[dict], dict] | None = None
    after: Callable[[dict, object], str | None] = lambda state, body: None  # -> problem

    def inputs(self, state: dict) -> dict:
        """The form fields to fill: `params`, else the path's parameters ({product_id}...),
        each with the id an earlier step remembered under its name."""
        if self.params:
            return self.params(state)
        return {name: state[name] for name in re.findall(r"\{(\w+)\}", self.path)}


@dataclass
class Shot:
    """What a step showed: the evidence for one screenshot."""

    index: int
    slug: str
    title: str
    method: str
    path: str
    expected: int
    status: int | None = None
    body: str = ""
    request: dict = field(default_factory=dict)
    file: str | None = None
    ok: bool = False
    problem: str | None = None
    seconds: float = 0.0
    ran: bool = True

    @classmethod
    def of(cls, index: int, action: Action, **fields) -> "Shot":
        return cls(
            index,
            action.slug,
            action.title,
            action.method.upper(),
            action.path,
            action.expected,
            **fields,
        )


def _remember(key: str) -> Callable[[dict, object], str | None]:
    def after(state: dict, body: object) -> str | None:
        if not isinstance(body, dict) or "id" not in body:
            return f"no id in the response body: {body!r:.200}"
        state[key] = body["id"]
        return None

    return after


def _expect(field_name: str, value: object) -> Callable[[dict, object], str | None]:
    def after(state: dict, body: object) -> str | None:
        got = body.get(field_name) if isinstance(body, dict) else None
        return None if got == value else f"{field_name} is {got!r}, expected {value!r}"

    return after


def _new_product(
    slug: str, title: str, sku: str, name: str, price: float, stock: int, remember: str
) -> Action:
    """POST /products with the walk's SKU `state[sku]`; the new id is remembered as `remember`."""

    def body(state: dict) -> dict:
        return {"sku": state[sku], "name": name, "price": price, "stock": stock}

    return Action(slug, title, "post", "/products", 201, body=body, after=_remember(remember))


PRODUCT, ORDER = "/products/{product_id}", "/orders/{order_id}"


def flow() -> list[Action]:
    """The assignment's flow: product CRUD, then an order created, read, updated, canceled."""
    return [
        _new_product(
            "create-product", "Create a product", "sku", "Swagger mug", 12.5, 10, "product_id"
        ),
        Action(
            "list-products",
            "List products, filtered by the new SKU",
            "get",
            "/products",
            200,
            params=lambda s: {"sku": s["sku"]},
            after=_expect("total", 1),
        ),
        Action(
            "get-product",
            "Get the product",
            "get",
            PRODUCT,
            200,
            after=lambda s, b: _expect("id", s["product_id"])(s, b),
        ),
        Action(
            "update-product",
            "Update the product (PUT, partial: price and stock)",
            "put",
            PRODUCT,
            200,
            body=lambda s: {"price": 14.0, "stock": 12},
            after=_expect("price", 14.0),
        ),
        Action("delete-product", "Delete the product", "delete", PRODUCT, 204),
        Action(
            "get-deleted-product",
            "Get the deleted product: the error contract (404 problem+json)",
            "get",
            PRODUCT,
            404,
            after=_expect("code", "product_not_found"),
        ),
        _new_product(
            "create-product-for-order",
            "Create a second product to order",
            "sku2",
            "Swagger lamp",
            19.99,
            5,
            "order_product_id",
        ),
        Action(
            "create-order",
            "Create an order (takes stock)",
            "post",
            "/orders",
            201,
            body=lambda s: {"product_id": s["order_product_id"], "quantity": 2},
            after=_remember("order_id"),
        ),
        Action("get-order", "Get the order", "get", ORDER, 200, after=_expect("status", "PENDING")),
        Action(
            "update-order",
            "Update the order (PUT: quantity 2 -> 3)",
            "put",
            ORDER,
            200,
            body=lambda s: {"quantity": 3},
            after=_expect("quantity", 3),
        ),
        Action(
            "cancel-order",
            "Cancel the order (stock comes back)",
            "post",
            ORDER + "/cancel",
            200,
            after=_expect("status", "CANCELED"),
        ),
    ]
