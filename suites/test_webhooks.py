"""The payment webhook over HTTP, signed by the reference `standardwebhooks` package (an
independent client), plus every malformed, stale and replayed delivery of the contract."""

import json
import secrets
import time
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook

from service.webhooks import generate_secret
from suites.contract import assert_problem, assert_validation_error
from suites.support.client import Api
from suites.support.racing import race_clients


def reference_headers(
    secret: str, body: bytes, msg_id: str | None = None, when: datetime | None = None
) -> dict[str, str]:
    """Headers exactly as the Standard Webhooks reference library signs them."""
    msg_id = msg_id or f"msg_{secrets.token_hex(8)}"
    when = when or datetime.now(tz=UTC)
    signature = Webhook(secret).sign(msg_id, when, body.decode())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
    }


def post_raw(api: Api, body: bytes, headers: dict[str, str]):
    return api.post("/webhooks/payment", data=body, headers=headers)


def payment_event(order: dict, kind: str = "payment.succeeded", **data) -> dict:
    return {
        "type": kind,
        "timestamp": datetime.now(tz=UTC).isoformat(),
        "data": {
            "order_id": order["id"],
            "payment_id": f"pay_{secrets.token_hex(6)}",
            "amount": order["total"],
            "currency": "USD",
            **data,
        },
    }


@pytest.fixture
def order(api):
    product = api.create_product(price=9.99, stock=10)
    return api.create_order(product["id"], 2)


def test_payment_flow_signed_by_reference_library(api, target, order):
    body = json.dumps(payment_event(order, payment_id="pay_ref_1")).encode()
    response = post_raw(api, body, reference_headers(target.webhook_secret, body))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": "processed",
        "order_id": order["id"],
        "order_status": "PAID",
    }
    paid = api.get(f"/orders/{order['id']}").json()
    assert paid["status"] == "PAID" and paid["payment_id"] == "pay_ref_1"
    assert paid["paid_at"] is not None
    shipped = api.put(f"/orders/{order['id']}", json={"status": "SHIPPED"})
    assert shipped.status_code == 200 and shipped.json()["status"] == "SHIPPED"


def test_replayed_delivery_is_a_duplicate_without_side_effect(api, target, order):
    body = json.dumps(payment_event(order)).encode()
    headers = reference_headers(target.webhook_secret, body)
    assert post_raw(api, body, headers).json()["status"] == "processed"
    api.post(f"/orders/{order['id']}/cancel")  # would make a second processing fail
    again = post_raw(api, body, headers)
    assert again.status_code == 200 and again.json() == {"status": "duplicate"}
    assert api.get(f"/orders/{order['id']}").json()["status"] == "CANCELED"


def test_same_payment_in_a_new_delivery_is_200(api, order):
    event = payment_event(order)
    assert api.send_webhook(event).status_code == 200
    again = api.send_webhook(event)  # new webhook-id, same payment
    assert again.status_code == 200 and again.json()["order_status"] == "PAID"


def test_other_payment_for_a_paid_order_is_409(api, order):
    assert api.send_webhook(payment_event(order)).status_code == 200
    assert_problem(api.send_webhook(payment_event(order)), 409, "already_paid")


@pytest.mark.local_only
def test_rotated_secrets_both_verify(spawn_service):
    """WEBHOOK_SECRET="new,old": deliveries signed with either pass, any other fails."""
    new, old, other = generate_secret(), generate_secret(), generate_secret()
    with spawn_service("rotation", webhook_secret=f"{new},{old}") as server:
        api = Api(server.base_url)
        product = api.create_product(stock=5)
        for secret, expected in ((new, 200), (old, 200), (other, 401)):
            order = api.create_order(product["id"])
            body = json.dumps(payment_event(order)).encode()
            response = post_raw(api, body, reference_headers(secret, body))
            assert response.status_code == expected, response.text


def test_amount_mismatch_is_409_and_changes_nothing(api, order):
    response = api.send_webhook(payment_event(order, amount=1.0))
    assert_problem(response, 409, "amount_mismatch")
    assert api.get(f"/orders/{order['id']}").json()["status"] == "PENDING"


def test_payment_failed_keeps_order_pending(api, order):
    response = api.send_webhook(payment_event(order, "payment.failed"))
    assert response.status_code == 200
    assert response.json() == {
        "status": "processed",
        "order_id": order["id"],
        "order_status": "PENDING",
    }
    assert api.get(f"/orders/{order['id']}").json()["status"] == "PENDING"


def test_other_event_types_are_ignored(api, order):
    response = api.send_webhook({"type": "customer.created", "data": {"id": "cus_1"}})
    assert response.status_code == 200 and response.json() == {"status": "ignored"}


def test_unknown_order_is_404(api, order):
    response = api.send_webhook(payment_event({"id": 999999999, "total": 1}))
    assert_problem(response, 404, "order_not_found", "Order 999999999 not found")


def test_canceled_order_is_409(api, order):
    api.post(f"/orders/{order['id']}/cancel")
    response = api.send_webhook(payment_event(order))
    assert_problem(
        response, 409, "invalid_transition", "Cannot change order status from CANCELED to PAID"
    )


def _headers(api, body: bytes, **override):
    from service.webhooks import sign_headers

    headers = {"content-type": "application/json", **sign_headers(api.webhook_secret, body)}
    for key, value in override.items():
        key = key.replace("_", "-")
        if value is None:
            headers.pop(key, None)
        else:
            headers[key] = value
    return headers


BAD_HEADERS = [
    ("missing id", {"webhook_id": None}),
    ("missing timestamp", {"webhook_timestamp": None}),
    ("missing signature", {"webhook_signature": None}),
    ("empty signature", {"webhook_signature": ""}),
    ("garbage", {"webhook_signature": "garbage"}),
    ("three parts", {"webhook_signature": "v1,a,b"}),
    ("empty v1", {"webhook_signature": "v1,"}),
    ("bad base64", {"webhook_signature": "v1,!!!notbase64"}),
    ("other version", {"webhook_signature": "v2,Zm9v"}),
    ("non-numeric timestamp", {"webhook_timestamp": "yesterday"}),
    ("float timestamp", {"webhook_timestamp": "1700000000.5"}),
]


@pytest.mark.parametrize("name, override", BAD_HEADERS, ids=[n for n, _ in BAD_HEADERS])
def test_bad_headers_are_401(api, order, name, override):
    body = json.dumps(payment_event(order)).encode()
    response = post_raw(api, body, _headers(api, body, **override))
    assert_problem(response, 401, "invalid_signature", "Invalid webhook signature")
    assert api.get(f"/orders/{order['id']}").json()["status"] == "PENDING"


def test_wrong_secret_and_tampered_body_are_401(api, order):
    body = json.dumps(payment_event(order)).encode()
    headers = _headers(api, body)
    tampered = body.replace(b"USD", b"EUR")
    assert_problem(post_raw(api, tampered, headers), 401, "invalid_signature")
    other = reference_headers("whsec_" + "B" * 43, body)
    assert_problem(post_raw(api, body, other), 401, "invalid_signature")


# 30 s beyond the 300 s tolerance, either way: a delivery that spends a second or two in
# transit (a loaded machine, a slow link) must not slide back inside it.
@pytest.mark.parametrize("offset", [-330, 330, -100_000])
def test_stale_or_future_timestamps_are_401(api, target, order, offset):
    body = json.dumps(payment_event(order)).encode()
    when = datetime.fromtimestamp(int(time.time()) + offset, tz=UTC)
    response = post_raw(api, body, reference_headers(target.webhook_secret, body, when=when))
    assert_problem(response, 401, "stale_webhook", "Webhook timestamp outside tolerance")


@pytest.mark.parametrize("offset", [-240, 240])
def test_timestamps_within_the_tolerance_are_accepted(api, target, order, offset):
    body = json.dumps(payment_event(order)).encode()
    when = datetime.fromtimestamp(time.time() + offset, tz=UTC)
    response = post_raw(api, body, reference_headers(target.webhook_secret, body, when=when))
    assert response.status_code == 200, response.text


def test_non_utf8_body_is_401(api, target, order):
    body = b'{"type": "payment.succeeded", "x": "\xff\xfe"}'
    from service.webhooks import sign_headers

    headers = {"content-type": "application/json", **sign_headers(target.webhook_secret, body)}
    assert_problem(post_raw(api, body, headers), 401, "invalid_signature")


@pytest.mark.parametrize(
    "body",
    [
        b"[1, 2]",
        b'"just a string"',
        b"not json at all",
        b'{"type": 5}',
        b'{"type": "payment.succeeded", "data": {"order_id": "one", "payment_id": "p"}}',
        b'{"type": "payment.succeeded", "data": {"order_id": 1}}',
        b'{"type": "payment.succeeded", "data": {"order_id": 1, "payment_id": "p", "amount": -3}}',
    ],
)
def test_signed_but_invalid_json_is_422(api, body):
    response = post_raw(api, body, _headers(api, body))
    assert_validation_error(response)


def test_secret_never_appears_in_responses(api, target, order):
    body = b"garbage"
    response = post_raw(api, body, _headers(api, body, webhook_signature="v1,abc"))
    assert target.webhook_secret.removeprefix("whsec_") not in response.text


@pytest.mark.heavy
def test_ten_identical_deliveries_at_once_process_once(racer_api, racer):
    product = racer_api.create_product(price=9.99, stock=10)
    order = racer_api.create_order(product["id"], 2)
    body = json.dumps(payment_event(order)).encode()
    headers = reference_headers(racer.webhook_secret, body)
    results = race_clients(racer, 10, lambda client, i: post_raw(client, body, headers))
    assert [getattr(r, "status_code", None) for r in results] == [200] * 10
    assert sorted(r.json()["status"] for r in results) == ["duplicate"] * 9 + ["processed"]
    assert racer_api.get(f"/orders/{order['id']}").json()["status"] == "PAID"
