"""Unit tests for the Standard Webhooks signature module and its CLI (no HTTP)."""

import base64
import json
import os
import random
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from standardwebhooks.webhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError as RefVerificationError

from service.webhooks import (
    WebhookSecretError,
    WebhookVerificationError,
    generate_secret,
    parse_secret,
    parse_secrets,
    sign,
    sign_headers,
    verify,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# Published test vector from the Standard Webhooks spec / reference libraries.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TS = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIG = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

KEY = parse_secret(SPEC_SECRET)
OTHER_KEY = bytes(range(32))
NOW = 1_700_000_000
BODY = b'{"event": "order.paid", "id": 42}'


def _headers(body: bytes = BODY, key: bytes = KEY, ts: int = NOW, msg_id: str = "msg_1") -> dict:
    return sign_headers(key, body, msg_id=msg_id, timestamp=ts)


def _code(headers, body: bytes = BODY, keys=(KEY,), now: float = NOW) -> str:
    """Return the verification error code, or "ok" on success."""
    try:
        verify(list(keys), headers, body, now=now)
    except WebhookVerificationError as exc:
        return exc.code
    return "ok"


# --- spec vector -----------------------------------------------------------------------


def test_spec_test_vector() -> None:
    assert sign(SPEC_SECRET, SPEC_ID, SPEC_TS, SPEC_BODY) == SPEC_SIG
    headers = {
        "webhook-id": SPEC_ID,
        "webhook-timestamp": str(SPEC_TS),
        "webhook-signature": SPEC_SIG,
    }
    assert verify([KEY], headers, SPEC_BODY, now=SPEC_TS) == SPEC_ID


def test_sign_headers_defaults() -> None:
    headers = sign_headers(KEY, BODY)
    assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert headers["webhook-id"].startswith("msg_")
    assert verify([KEY], headers, BODY) == headers["webhook-id"]


# --- interoperability with the reference `standardwebhooks` package ---------------------

_rng = random.Random(20240601)
INTEROP_CASES = [
    (prefix + base64.b64encode(_rng.randbytes(size)).decode(), body)
    for prefix, size, body in [
        ("whsec_", 32, '{"a": 1}'),
        ("whsec_", 24, '{"name": "café ☕", "qty": 3}'),
        ("", 32, '{"nested": {"list": [1, 2.5, null, true]}}'),
        ("", 48, json.dumps({"text": "x" * 5000})),
    ]
]


@pytest.mark.parametrize(("secret", "body"), INTEROP_CASES)
def test_reference_signature_verifies_with_ours(secret: str, body: str) -> None:
    now = int(datetime.now(tz=UTC).timestamp())
    sig = Webhook(secret).sign("msg_ref", datetime.fromtimestamp(now, tz=UTC), body)
    headers = {"webhook-id": "msg_ref", "webhook-timestamp": str(now), "webhook-signature": sig}
    assert verify(parse_secrets(secret), headers, body.encode()) == "msg_ref"


@pytest.mark.parametrize(("secret", "body"), INTEROP_CASES)
def test_our_signature_verifies_with_reference(secret: str, body: str) -> None:
    headers = sign_headers(secret, body.encode())
    assert Webhook(secret).verify(body.encode(), headers) == json.loads(body)
    tampered = dict(headers, **{"webhook-id": "msg_other"})
    with pytest.raises(RefVerificationError):
        Webhook(secret).verify(body.encode(), tampered)


# --- verification edge cases -------------------------------------------------------------

VALID = _headers()
VALID_SIG = VALID["webhook-signature"]
VALID_B64 = VALID_SIG.split(",", 1)[1]
SHORT_B64 = base64.b64encode(b"\x00" * 16).decode()


def _with(**changes: str | None) -> dict:
    headers = dict(VALID)
    for name, value in changes.items():
        name = name.replace("_", "-")
        if value is None:
            headers.pop(name)
        else:
            headers[name] = value
    return headers


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        pytest.param(VALID, "ok", id="valid"),
        pytest.param(_with(webhook_id=None), "invalid_signature", id="missing-id"),
        pytest.param(_with(webhook_timestamp=None), "invalid_signature", id="missing-timestamp"),
        pytest.param(_with(webhook_signature=None), "invalid_signature", id="missing-signature"),
        pytest.param(_with(webhook_id=""), "invalid_signature", id="empty-id"),
        pytest.param(_with(webhook_signature=""), "invalid_signature", id="empty-signature"),
        pytest.param(_with(webhook_signature="garbage"), "invalid_signature", id="garbage"),
        pytest.param(_with(webhook_signature="v1,a,b"), "invalid_signature", id="v1-a-b"),
        pytest.param(_with(webhook_signature="v1,"), "invalid_signature", id="v1-empty"),
        pytest.param(_with(webhook_signature=","), "invalid_signature", id="comma-only"),
        pytest.param(_with(webhook_signature=f"v2,{VALID_B64}"), "invalid_signature", id="v2-only"),
        pytest.param(
            _with(webhook_signature=f"garbage v1,a,b v2,{VALID_B64}  v1,!!! {VALID_SIG} v1,"),
            "ok",
            id="valid-among-garbage",
        ),
        pytest.param(
            _with(webhook_signature="v1,not*base64!"), "invalid_signature", id="bad-base64"
        ),
        pytest.param(
            _with(webhook_signature=VALID_SIG.rstrip("=")), "invalid_signature", id="bad-padding"
        ),
        pytest.param(_with(webhook_signature="v1,ünïcode"), "invalid_signature", id="non-ascii"),
        pytest.param(
            _with(webhook_signature=f"v1,{SHORT_B64}"), "invalid_signature", id="wrong-length"
        ),
        pytest.param(
            _with(webhook_signature=VALID_SIG + " " + "v1,x" * 2000),
            "invalid_signature",
            id="signature-header-too-long",
        ),
        pytest.param(_with(webhook_id="m" * 256), "invalid_signature", id="id-too-long"),
        pytest.param(_with(webhook_id="msg_\ud800"), "invalid_signature", id="id-surrogate"),
        pytest.param(_with(webhook_timestamp="abc"), "invalid_signature", id="ts-non-numeric"),
        pytest.param(_with(webhook_timestamp=f"{NOW}.5"), "invalid_signature", id="ts-float"),
        pytest.param(_with(webhook_timestamp="-1"), "invalid_signature", id="ts-negative"),
        pytest.param(_with(webhook_timestamp=f" {NOW}"), "invalid_signature", id="ts-space"),
        pytest.param(_with(webhook_timestamp="9" * 13), "invalid_signature", id="ts-huge"),
        pytest.param(
            _with(webhook_timestamp="１２３"), "invalid_signature", id="ts-unicode-digits"
        ),
        pytest.param(_with(webhook_timestamp=str(NOW + 1)), "invalid_signature", id="ts-changed"),
        pytest.param(_with(webhook_id="msg_2"), "invalid_signature", id="id-changed"),
        pytest.param(
            {k.upper() if k.endswith("id") else k.title(): v for k, v in VALID.items()},
            "ok",
            id="mixed-case-names",
        ),
    ],
)
def test_verify_headers(headers: dict, expected: str) -> None:
    assert _code(headers) == expected


@pytest.mark.parametrize(
    ("offset", "expected"),
    [(-301, "stale_webhook"), (301, "stale_webhook"), (-299, "ok"), (299, "ok"), (0, "ok")],
)
def test_timestamp_tolerance(offset: int, expected: str) -> None:
    # The sender's clock is `offset` seconds from ours.
    assert _code(_headers(ts=NOW + offset)) == expected


def test_stale_checked_before_signature() -> None:
    headers = _headers(ts=NOW - 1000) | {"webhook-signature": "garbage"}
    assert _code(headers) == "stale_webhook"


def test_wrong_secret() -> None:
    assert _code(VALID, keys=[OTHER_KEY]) == "invalid_signature"


def test_rotation_second_secret_matches() -> None:
    headers = _headers(key=OTHER_KEY)
    assert _code(headers, keys=[KEY, OTHER_KEY]) == "ok"
    assert _code(headers, keys=[KEY]) == "invalid_signature"


def test_non_utf8_body_is_just_bytes() -> None:
    body = b"\xff\xfe\x00not utf-8 \xc3"
    assert _code(_headers(body=body), body=body) == "ok"
    assert _code(_headers(body=body), body=body + b"\x00") == "invalid_signature"


@pytest.mark.parametrize("index", [0, len(BODY) // 2, len(BODY) - 1])
def test_tampered_body_fails(index: int) -> None:
    tampered = bytearray(BODY)
    tampered[index] ^= 0x01
    assert _code(VALID, body=bytes(tampered)) == "invalid_signature"


def test_starlette_headers_object() -> None:
    from starlette.datastructures import Headers

    raw = [(k.title().encode(), v.encode()) for k, v in VALID.items()]
    assert verify([KEY], Headers(raw=raw), BODY, now=NOW) == "msg_1"


def test_error_attributes_do_not_leak_signature() -> None:
    with pytest.raises(WebhookVerificationError) as info:
        verify([KEY], VALID, BODY + b" ", now=NOW)
    exc = info.value
    assert (exc.code, exc.detail) == ("invalid_signature", "Invalid webhook signature")
    assert str(exc) == exc.detail
    assert VALID_B64 not in exc.reason
    with pytest.raises(WebhookVerificationError) as info:
        verify([KEY], VALID, BODY, now=NOW + 400)
    assert info.value.detail == "Webhook timestamp outside tolerance"


# --- secret parsing -----------------------------------------------------------------------

SHORT_SECRET = base64.b64encode(b"s" * 16).decode()  # 16 bytes: too short


def test_parse_secrets_accepts_prefixed_and_bare() -> None:
    bare = SPEC_SECRET.removeprefix("whsec_")
    assert parse_secrets(SPEC_SECRET) == [KEY]
    assert parse_secrets(f" {bare} ") == [KEY]
    assert parse_secrets(f"{SPEC_SECRET}, {base64.b64encode(OTHER_KEY).decode()}") == [
        KEY,
        OTHER_KEY,
    ]


def test_parse_secret_accepts_missing_padding() -> None:
    key = bytes(range(25))  # 25 bytes -> base64 with "==" padding
    assert parse_secret("whsec_" + base64.b64encode(key).decode().rstrip("=")) == key


def test_generate_secret_round_trips() -> None:
    secret = generate_secret()
    assert secret.startswith("whsec_")
    assert len(parse_secret(secret)) == 32
    assert generate_secret() != secret


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (SHORT_SECRET, "WEBHOOK_SECRET decodes to 16 bytes; at least 24 are required"),
        ("whsec_" + SHORT_SECRET, "decodes to 16 bytes"),
        (f"{SPEC_SECRET},{SHORT_SECRET}", "WEBHOOK_SECRET entry 2 decodes to 16 bytes"),
        ("whsec_not*valid*base64*at*all!!", "WEBHOOK_SECRET is not valid base64"),
        (f"{SPEC_SECRET},whsec_sécret-with-ünicode", "WEBHOOK_SECRET entry 2 is not valid base64"),
        (SPEC_SECRET[:-1] + " " + SPEC_SECRET[-1], "not valid base64"),
        (f"{SPEC_SECRET},,{SPEC_SECRET}", "WEBHOOK_SECRET entry 2 is empty"),
        (f"{SPEC_SECRET},", "WEBHOOK_SECRET entry 2 is empty"),
        ("", "WEBHOOK_SECRET is empty"),
        ("whsec_", "WEBHOOK_SECRET is empty"),
    ],
)
def test_parse_secrets_rejects(value: str, message: str) -> None:
    with pytest.raises(WebhookSecretError, match=message) as info:
        parse_secrets(value)
    for part in value.split(","):
        if len(part.strip()) > 6:
            assert part.strip().removeprefix("whsec_") not in str(info.value)


# --- CLI ----------------------------------------------------------------------------------


def _cli(*args: str, stdin: bytes = b"", env: dict | None = None) -> subprocess.CompletedProcess:
    base_env = {k: v for k, v in os.environ.items() if k != "WEBHOOK_SECRET"}
    return subprocess.run(
        [sys.executable, "-m", "service.webhooks", *args],
        cwd=PROJECT_ROOT,
        input=stdin,
        capture_output=True,
        env=base_env | (env or {}),
        timeout=30,
        check=False,
    )


def _parse_header_lines(stdout: bytes) -> dict:
    return dict(line.split(": ", 1) for line in stdout.decode().splitlines())


def test_cli_gen_secret() -> None:
    result = _cli("gen-secret")
    assert result.returncode == 0
    assert len(parse_secret(result.stdout.decode().strip())) == 32


def test_cli_sign_spec_vector_from_file(tmp_path: Path) -> None:
    body_file = tmp_path / "body.json"
    body_file.write_bytes(SPEC_BODY)
    args = ("sign", "--id", SPEC_ID, "--timestamp", str(SPEC_TS))
    result = _cli(*args, "--file", str(body_file), "--secret", SPEC_SECRET)
    assert result.returncode == 0, result.stderr
    assert _parse_header_lines(result.stdout) == {
        "webhook-id": SPEC_ID,
        "webhook-timestamp": str(SPEC_TS),
        "webhook-signature": SPEC_SIG,
    }
    # Env var, secret list (first one signs), stdin input: same result.
    rotation = {"WEBHOOK_SECRET": f"{SPEC_SECRET},{generate_secret()}"}
    result = _cli(*args, "--file", "-", stdin=SPEC_BODY, env=rotation)
    assert result.returncode == 0, result.stderr
    assert _parse_header_lines(result.stdout)["webhook-signature"] == SPEC_SIG


def test_cli_sign_curl(tmp_path: Path) -> None:
    body_file = tmp_path / "my body.json"
    body_file.write_bytes(BODY)
    result = _cli(
        "sign", "--secret", SPEC_SECRET, "--file", str(body_file), "--curl", "http://x/hooks"
    )
    assert result.returncode == 0, result.stderr
    command = result.stdout.decode().strip()
    assert command.startswith("curl -sS -X POST http://x/hooks -H 'content-type: application/json'")
    assert f"--data-binary '@{body_file}'" in command
    assert "-H 'webhook-signature: v1," in command

    body = b"@not-a-file 'quoted' \"text\"\nline 2 $HOME"
    result = _cli("sign", "--secret", SPEC_SECRET, "--file", "-", "--curl", "http://x", stdin=body)
    assert result.returncode == 0, result.stderr
    # Run the printed command in a real shell, with `curl` stubbed to echo its last argument.
    stub = 'curl() { for arg; do last=$arg; done; printf "%s" "$last"; }; '
    echo = subprocess.run(
        ["sh", "-c", stub + result.stdout.decode()], capture_output=True, check=False
    )
    assert echo.stdout == body
    assert "--data-raw" in result.stdout.decode()


def test_cli_sign_curl_rejects_binary_stdin() -> None:
    result = _cli(
        "sign", "--secret", SPEC_SECRET, "--file", "-", "--curl", "http://x", stdin=b"\xff"
    )
    assert result.returncode == 2
    assert b"use --file" in result.stderr


def test_cli_verify(tmp_path: Path) -> None:
    body_file = tmp_path / "body.json"
    body_file.write_bytes(BODY)
    headers = sign_headers(SPEC_SECRET, BODY)
    args = ["verify", "--file", str(body_file), "--id", headers["webhook-id"]]
    args += ["--timestamp", headers["webhook-timestamp"]]
    ok = _cli(
        *args, "--signature", headers["webhook-signature"], env={"WEBHOOK_SECRET": SPEC_SECRET}
    )
    assert (ok.returncode, ok.stdout.decode().strip()) == (0, "valid")

    bad = _cli(*args, "--signature", "v1,garbage", "--secret", SPEC_SECRET)
    assert (bad.returncode, bad.stdout.decode().strip()) == (1, "invalid_signature")

    args[-1] = str(int(headers["webhook-timestamp"]) - 3600)
    stale = _cli(*args, "--signature", headers["webhook-signature"], "--secret", SPEC_SECRET)
    assert (stale.returncode, stale.stdout.decode().strip()) == (1, "stale_webhook")


@pytest.mark.parametrize("command", ["sign", "verify"])
def test_cli_bad_secret_exits_2_without_leaking(tmp_path: Path, command: str) -> None:
    body_file = tmp_path / "body.json"
    body_file.write_bytes(BODY)
    args = [command, "--file", str(body_file), "--secret", SHORT_SECRET]
    if command == "verify":
        args += ["--id", "msg_1", "--timestamp", str(NOW), "--signature", VALID_SIG]
    result = _cli(*args)
    assert result.returncode == 2
    assert b"at least 24 are required" in result.stderr
    assert SHORT_SECRET.rstrip("=").encode() not in result.stderr + result.stdout


def test_cli_missing_or_invalid_secret_exits_2() -> None:
    result = _cli("sign", "--file", "-", stdin=BODY)
    assert result.returncode == 2
    assert b"WEBHOOK_SECRET" in result.stderr
    bad = "whsec_this*is*not*base64*" + "x" * 20
    result = _cli("sign", "--file", "-", stdin=BODY, env={"WEBHOOK_SECRET": bad})
    assert (result.returncode, result.stdout) == (2, b"")
    assert result.stderr.decode().strip() == "error: WEBHOOK_SECRET is not valid base64"
