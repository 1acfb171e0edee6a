"""Schemathesis hooks for our fuzzing run (loaded through SCHEMATHESIS_HOOKS).

A well-formed generated `Idempotency-Key` gets a fresh value per call, as real clients
do: hypothesis happily sends one key with many bodies, which the contract rightly answers
with 422 `idempotency_key_reused` (the idempotency suite tests exactly that). Malformed
keys are left alone, so the 400 path is still fuzzed. Surrounding whitespace is not part
of a header value, so " abc" counts as well-formed, as the service reads it.
"""

import re
import uuid

import schemathesis

_WELL_FORMED = re.compile(r'^(?:"[A-Za-z0-9_-]{1,255}"|[A-Za-z0-9_-]{1,255})$')


@schemathesis.hook
def before_call(context, case, kwargs):
    """Runs before every call, in every phase (examples, coverage, fuzzing, stateful)."""
    headers = case.headers or {}
    for name, value in list(headers.items()):
        if name.lower() != "idempotency-key" or not isinstance(value, str):
            continue
        if _WELL_FORMED.match(value.strip()):
            headers[name] = uuid.uuid4().hex
