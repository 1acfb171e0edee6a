"""The production profile as a deployment's users see it: keys enforced, refused writes change
nothing, failed key checks and keyed writes rate-limited (`suites.support.deployed_checks`).

Against a deployment (`--target=render`, `--base-url`) the checks run against the target
itself with its key (`--api-key` / `API_KEY`): a deployment that stopped enforcing keys or
limits fails here. A few requests, unique data, nothing left behind: safe on a shared
deployment. Without a key they are skipped, except for `--target=render`, where the
blueprint always configures keys, so a missing key is a usage error, reported as a failure.

Locally the same checks run against the service started per database backend with the
production profile (keys, limits, a metrics token), and the `local_only` tests below show
that each check fails against servers that do not enforce what it checks.
"""

import secrets
from dataclasses import replace

import pytest

from suites.support import deployed_checks
from suites.support.deployed_checks import CHECKS, PRODUCTION_CHECKS
from tooling.servers import throwaway_service
from tooling.target import Target

KEYED_ENV = {  # the production profile, with limits a test run stays well inside
    "ENVIRONMENT": "production",
    "RATE_LIMIT": "600/minute",
    "AUTH_FAILURE_LIMIT": "30/minute",
}


@pytest.fixture(scope="session")
def keyed(target: Target, scratch_dir, reports) -> Target:
    """The target the checks run against, with the key it enforces."""
    if not target.is_local:
        if not target.api_key:
            reason = f"{target.name} target without an API key (--api-key or API_KEY)"
            if target.kind == "render":
                pytest.fail(f"{reason}: a Render deployment always enforces keys", False)
            pytest.skip(f"{reason}: nothing to check")
        yield target
        return
    key = secrets.token_urlsafe(24)
    env = {**KEYED_ENV, "API_KEYS": key, "METRICS_TOKEN": secrets.token_urlsafe(24)}
    log = reports.service_log(f"keyed-{target.backend}")
    log.unlink(missing_ok=True)
    with throwaway_service(target.backend, scratch_dir, log, extra_env=env) as server:
        yield replace(target.started(server, target.backend), api_key=key)


@pytest.mark.parametrize("check", sorted(CHECKS))
def test_deployment_enforces(keyed: Target, check: str):
    CHECKS[check](keyed.base_url, keyed.api_key)


@pytest.mark.parametrize("check", sorted(PRODUCTION_CHECKS))
def test_production_deployment_enforces(keyed: Target, check: str):
    if keyed.kind not in ("local", "render"):
        pytest.skip(f"{keyed.name}: not known to run the production profile (render: always)")
    PRODUCTION_CHECKS[check](keyed.base_url, keyed.api_key)


# --- the checks fail where they should ---------------------------------------------------------

ALL_CHECKS = {**CHECKS, **PRODUCTION_CHECKS}


def _outcomes(base_url: str, key: str) -> dict[str, str]:
    outcomes = {}
    for name, check in ALL_CHECKS.items():
        try:
            check(base_url, key)
        except AssertionError:
            outcomes[name] = "fails"
        else:
            outcomes[name] = "passes"
    return outcomes


@pytest.mark.local_only
@pytest.mark.parametrize(
    "setup, env, uvicorn_args, expected_failures",
    [
        ("no keys, no limits", {}, [], set(ALL_CHECKS)),
        (
            "keys, no limits",
            {"API_KEYS": "{key}", "RATE_LIMIT": "", "AUTH_FAILURE_LIMIT": ""},
            [],
            {"failed_key_checks_are_limited", "keyed_writes_are_limited", "metrics_are_not_public"},
        ),
        (
            # The blueprint's old start command: uvicorn takes the leftmost X-Forwarded-For.
            "production, uvicorn trusting X-Forwarded-For",
            {**KEYED_ENV, "API_KEYS": "{key}"},
            ["--proxy-headers", "--forwarded-allow-ips=*"],
            {"failed_key_checks_are_limited"},
        ),
        (
            "production, TRUSTED_PROXY_HOPS=1 but reached without a proxy",
            {**KEYED_ENV, "API_KEYS": "{key}", "TRUSTED_PROXY_HOPS": "1"},
            [],
            {"failed_key_checks_are_limited"},
        ),
        (
            "production, CLIENT_IP_HEADER but reached without the edge that sets it",
            {**KEYED_ENV, "API_KEYS": "{key}", "CLIENT_IP_HEADER": "True-Client-IP"},
            [],
            {"failed_key_checks_are_limited"},
        ),
        ("production, as the blueprint", {**KEYED_ENV, "API_KEYS": "{key}"}, [], set()),
    ],
)
def test_the_checks_fail_against_a_server_that_does_not_enforce(
    spawn_service, setup, env, uvicorn_args, expected_failures
):
    key = secrets.token_urlsafe(24)
    env = {name: value.format(key=key) for name, value in env.items()}
    name = "checks-" + "".join(c if c.isalnum() else "-" for c in setup)[:40]
    with spawn_service(name, extra_env=env, uvicorn_args=uvicorn_args) as server:
        outcomes = _outcomes(server.base_url, key)
    expected = {check: "fails" if check in expected_failures else "passes" for check in ALL_CHECKS}
    assert outcomes == expected, setup


def test_checks_are_the_documented_ones():
    documented = deployed_checks.__doc__ or ""
    assert all(f"`{name}`" in documented for name in ALL_CHECKS)
