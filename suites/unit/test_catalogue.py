"""The error catalogue: the one definition every error body, OpenAPI example and the docs
table come from."""

import subprocess
import sys

import pytest

from service.errors import ApiError
from service.openapi import WRITE_ERRORS, problems
from service.problems import CATALOGUE, DOCS, TABLE_END, TABLE_START, example_body, with_table


def test_docs_error_table_is_generated_from_the_catalogue():
    document = DOCS.read_text(encoding="utf-8")
    assert TABLE_START in document and TABLE_END in document
    assert document == with_table(document), (
        "docs/api.md's error table differs from the catalogue: "
        "run `python -m service.problems --write`"
    )


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_every_code_renders_its_example(code):
    problem = CATALOGUE[code]
    error = ApiError(code, **problem.example)
    body = example_body(code)
    assert (error.status, error.code) == (body["status"], body["code"]) == (problem.status, code)
    assert "{" not in error.detail and body["detail"] == error.detail
    assert set(problem.extras) <= set(body)


def test_a_missing_parameter_fails_at_the_raise_site():
    with pytest.raises(KeyError):
        ApiError("insufficient_stock", available=1)  # `requested` is missing
    with pytest.raises(KeyError):
        ApiError("no_such_code")


def test_routes_document_codes_under_their_catalogue_status():
    responses = problems("product_not_found", "duplicate_sku", "validation_error", *WRITE_ERRORS)
    documented = {
        status: sorted(response["content"]["application/problem+json"]["examples"])
        for status, response in responses.items()
    }
    assert documented == {
        401: ["missing_api_key"],
        403: ["invalid_api_key"],
        404: ["product_not_found"],
        409: ["duplicate_sku"],
        413: ["payload_too_large"],
        422: ["validation_error"],
        429: ["rate_limited"],
        500: ["internal_error"],
    }


def test_titles_are_rfc_9110_phrases():
    assert example_body("validation_error")["title"] == "Unprocessable Content"
    assert example_body("payload_too_large")["title"] == "Content Too Large"
    assert example_body("insufficient_stock")["title"] == "Conflict"


def test_webhook_signature_module_stays_stdlib_only():
    third_party = ("fastapi", "pydantic", "sqlalchemy", "sqlmodel", "starlette", "orjson")
    script = (
        "import sys, service.webhooks; "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {third_party!r}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
