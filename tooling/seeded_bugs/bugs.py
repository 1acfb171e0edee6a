"""The seeded bugs: each one small textual patch of the service, in this one place.

A bug names the file (relative to the repository root), the exact original snippet and
its replacement. `Bug.apply` refuses to patch unless the original occurs exactly once, so
a refactor of the service makes the harness fail loudly (`SnippetError`) instead of
silently testing an unmutated service. When that happens, re-aim the snippet at the new
code: same bug, new text.

The bugs are the ones a real developer could write: a dropped condition, an off-by-one,
a forgotten status code, a typo in a comparison, an API used the wrong way round.
"""

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class SnippetError(RuntimeError):
    """A bug's original snippet is not in its file exactly once."""


@dataclass(frozen=True)
class Bug:
    """`original` -> `replacement` in `file`; `also`: more (original, replacement) edits of
    the same file, for a bug that needs them (each short, so the bug does not copy the
    service's code wholesale)."""

    name: str
    description: str
    file: str
    original: str
    replacement: str
    also: tuple[tuple[str, str], ...] = ()

    @property
    def edits(self) -> tuple[tuple[str, str], ...]:
        return ((self.original, self.replacement), *self.also)

    def occurrences(self, root: Path = ROOT) -> int:
        """How often the edits' originals occur: 1 when each occurs exactly once, else the
        first count that is not 1."""
        path = root / self.file
        text = path.read_text() if path.is_file() else ""
        counts = [text.count(original) for original, _ in self.edits]
        return next((count for count in counts if count != 1), 1)

    def patched(self, root: Path = ROOT) -> str:
        """The file's text with this bug in it; SnippetError unless each original occurs
        exactly once."""
        path = root / self.file
        if not path.is_file():
            raise SnippetError(f"{self.name}: {self.file} does not exist")
        text = path.read_text()
        for original, replacement in self.edits:
            count = text.count(original)
            if count != 1:
                raise SnippetError(
                    f"{self.name}: its original snippet occurs {count} times in {self.file} "
                    "(exactly once is required): the service changed, re-aim the bug in "
                    "tooling/seeded_bugs/bugs.py"
                )
            text = text.replace(original, replacement)
        return text

    def apply(self, root: Path) -> None:
        """Patch the copy of the repository at `root` (never this checkout)."""
        if root.resolve() == ROOT:
            raise ValueError("seeded bugs are applied to a copy, never to the repository")
        (root / self.file).write_text(self.patched(root))


BUGS: tuple[Bug, ...] = (
    # --- stock -----------------------------------------------------------------------------
    Bug(
        "oversell-read-check-write",
        "placing an order reads the stock, checks it in Python, then writes the new value "
        "(lost updates between workers instead of one conditional UPDATE)",
        "service/orders.py",
        # Aimed at the one-statement placement (a CTE on PostgreSQL, in autocommit): the bug
        # drops the marker, skips the CTE and reads, checks and writes in Python instead.
        "@one_statement\ndef place_order(",
        "def place_order(",
        also=(
            ("    if is_postgres(session):\n", "    if False:  # seeded: never the CTE\n"),
            (
                '    price = take_stock(session, data.product_id, data.quantity)["price"]\n',
                """\
    product = session.execute(
        select(products.c.stock, products.c.price).where(products.c.id == data.product_id)
    ).first()
    if product is None:
        raise ApiError("product_not_found", id=data.product_id)
    if product.stock < data.quantity:
        raise ApiError("insufficient_stock", available=product.stock, requested=data.quantity)
    session.execute(
        update(products)
        .where(products.c.id == data.product_id)
        .values(stock=product.stock - data.quantity, updated_at=utcnow())
    )
    price = product.price
""",
            ),
        ),
    ),
    Bug(
        "stock-condition-dropped",
        "the stock decrement lost its `stock >= quantity` condition (only the CHECK "
        "constraint stops the oversell: a 500 instead of 409 insufficient_stock)",
        "service/orders.py",
        '    .where(products.c.id == bindparam("p_id"), products.c.stock >= bindparam("p_quantity"))\n',
        '    .where(products.c.id == bindparam("p_id"))\n',
    ),
    Bug(
        "stock-not-returned-on-cancel",
        "canceling an order does not put its quantity back into stock",
        "service/orders.py",
        """\
        if target == OrderStatus.CANCELED:
            return_stock(session, order["product_id"], new_quantity)
""",
        "",
    ),
    Bug(
        "stock-not-returned-on-delete",
        "deleting a PENDING order does not put its quantity back into stock",
        "service/orders.py",
        """\
    if row.status == OrderStatus.PENDING:
        return_stock(session, row.product_id, row.quantity)
""",
        "",
    ),
    Bug(
        "cancel-without-row-lock",
        "an order change reads the order without FOR UPDATE, so racing cancels on two "
        "workers both act on a PENDING order",
        "service/orders.py",
        "    order = get_order(session, order_id, for_update=True)\n",
        "    order = get_order(session, order_id)\n",
    ),
    # --- status transitions ----------------------------------------------------------------
    Bug(
        "transitions-read-backwards",
        "the transition check looks the table up the wrong way round (CANCELED->PENDING "
        "and SHIPPED->PAID allowed, PENDING->CANCELED refused)",
        "service/orders.py",
        "    if current != target and OrderStatus(target) not in TRANSITIONS[OrderStatus(current)]:\n",
        "    if current != target and OrderStatus(current) not in TRANSITIONS[OrderStatus(target)]:\n",
    ),
    Bug(
        "transitions-target-only",
        "the transition check only refuses targets clients may never set (PENDING, PAID): "
        "a CANCELED order can be shipped, a SHIPPED one canceled",
        "service/orders.py",
        "    if current != target and OrderStatus(target) not in TRANSITIONS[OrderStatus(current)]:\n",
        "    if current != target and target in (OrderStatus.PENDING, OrderStatus.PAID):\n",
    ),
    # --- payment webhook -------------------------------------------------------------------
    Bug(
        "any-signature-accepted",
        "a typo compares the presented signature with itself: any well-formed v1 signature passes",
        "service/webhooks/signature.py",
        "        if any(hmac.compare_digest(candidate, digest) for digest in expected):\n",
        "        if any(hmac.compare_digest(candidate, candidate) for digest in expected):\n",
    ),
    Bug(
        "stale-timestamp-accepted",
        "the timestamp tolerance is scaled to milliseconds while timestamps are seconds: "
        "deliveries days old are accepted",
        "service/webhooks/signature.py",
        "    if abs(skew) > tolerance:\n",
        "    if abs(skew) > tolerance * 1000:\n",
    ),
    Bug(
        "future-timestamp-accepted",
        "only timestamps in the past are checked against the tolerance: a delivery dated "
        "in the future is accepted",
        "service/webhooks/signature.py",
        "    if abs(skew) > tolerance:\n",
        "    if skew > tolerance:\n",
    ),
    Bug(
        "replay-processed-twice",
        "the webhook-id is recorded but a repeat delivery is not answered `duplicate`: "
        "it is processed again",
        "service/payments.py",
        '        return {"status": "duplicate"}\n',
        "        pass  # seeded: a repeat delivery goes on to be processed\n",
    ),
    Bug(
        "amount-mismatch-accepted",
        "payment.succeeded no longer compares the amount with the order total",
        "service/payments.py",
        """\
    if data.amount is not None:
        conditions.append(orders.c.total == data.amount)
""",
        "",
    ),
    # --- status codes ----------------------------------------------------------------------
    Bug(
        "create-product-200",
        "POST /products answers 200 instead of 201 (the route returns its own response, "
        "so the decorator's status_code=201 does not apply)",
        "service/routes/products.py",
        '    return json_response(product, 201, {"Location": f"{request.url.path}/{product[\'id\']}"})\n',
        '    return json_response(product, headers={"Location": f"{request.url.path}/{product[\'id\']}"})\n',
    ),
    Bug(
        "duplicate-sku-404",
        "the error catalogue gives duplicate_sku status 404 instead of 409",
        "service/problems.py",
        """\
    "duplicate_sku": ProblemType(
        409,
""",
        """\
    "duplicate_sku": ProblemType(
        404,
""",
    ),
    # --- lists -----------------------------------------------------------------------------
    Bug(
        "products-offset-ignored",
        "GET /products ignores `offset`: every page is the first one",
        "service/products.py",
        """\
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
""",
        """\
        .limit(bindparam("limit"))
""",
    ),
    Bug(
        "orders-limit-off-by-one",
        "GET /orders fetches limit + 1 rows (a next-page probe never trimmed off)",
        "service/orders.py",
        "            .limit(limit)\n",
        "            .limit(limit + 1)\n",
    ),
    Bug(
        "sort-descending-ignored",
        "a `-` sort key is parsed but the direction is dropped: every sort is ascending",
        "service/sql.py",
        "        clauses = [column.desc() if descending else column]\n",
        "        clauses = [column]\n",
    ),
    Bug(
        "name-search-wildcards",
        "`q` goes into the LIKE pattern unescaped: `%` and `_` in a search act as wildcards",
        "service/products.py",
        '    escaped = text.replace("/", "//").replace("%", "/%").replace("_", "/_")\n',
        "    escaped = text\n",
    ),
    # --- validation ------------------------------------------------------------------------
    Bug(
        "negative-price-accepted",
        "money lost its `> 0` bound: zero and negative prices (and webhook amounts) pass "
        "validation",
        "service/types.py",
        "    Field(gt=0, le=MAX_PRICE, decimal_places=2),\n",
        "    Field(le=MAX_PRICE, decimal_places=2),\n",
    ),
    Bug(
        "quantity-lower-bound-removed",
        "order quantity lost its lower bound: 0 and negative quantities pass validation",
        "service/types.py",
        "Quantity = Annotated[int, Ge(1), Le(1000), BeforeValidator(_json_integer)]\n",
        "Quantity = Annotated[int, Le(1000), BeforeValidator(_json_integer)]\n",
    ),
    Bug(
        "unknown-fields-ignored",
        "request models ignore unknown fields instead of refusing them (pydantic's default)",
        "service/models.py",
        '_REQUEST_CONFIG = ConfigDict(extra="forbid")\n',
        '_REQUEST_CONFIG = ConfigDict(extra="ignore")\n',
    ),
    Bug(
        "updated-at-not-changed",
        "a product update leaves `updated_at` as it was",
        "service/products.py",
        '    values = data.model_dump(exclude_unset=True) | {"updated_at": utcnow()}\n',
        "    values = data.model_dump(exclude_unset=True)\n",
    ),
    # --- idempotency -----------------------------------------------------------------------
    Bug(
        "idempotency-key-ignored",
        "POST /orders reads the key from `X-Idempotency-Key`: the contract's "
        "`Idempotency-Key` is ignored and every retry places a new order",
        "service/routes/orders.py",
        '            alias="Idempotency-Key",\n',
        '            alias="X-Idempotency-Key",\n',
    ),
    # --- production profile ----------------------------------------------------------------
    Bug(
        "api-keys-not-enforced",
        "the write guard only rate-limits: the X-API-Key check was dropped, writes need no key",
        "service/security.py",
        """\
    await protection.check_key(request, api_key)
    await protection.check_rate(request, api_key)
""",
        """\
    await protection.check_rate(request, api_key)
""",
    ),
    Bug(
        "rate-limit-not-enforced",
        "the limiter is asked `test` instead of `hit`: nothing is counted, nothing is ever limited",
        "service/security.py",
        "        allowed = await self.limiter.hit(self.item, self.namespace, identity)\n",
        "        allowed = await self.limiter.test(self.item, self.namespace, identity)\n",
    ),
)


def by_name(names: list[str] | None = None) -> list[Bug]:
    """The bugs named (all when `names` is empty); KeyError names the unknown ones."""
    if not names:
        return list(BUGS)
    known = {bug.name: bug for bug in BUGS}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise KeyError(", ".join(unknown))
    return [known[name] for name in names]
