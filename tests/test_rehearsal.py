"""The Render rehearsal's parts (tooling/rehearsal/; the whole stage is `.ci/run`'s stage 5)
and the one CA setting it relies on: from REQUESTS_CA_BUNDLE / SSL_CERT_FILE / --ca-bundle to
the Python clients, to curl (`--cacert`) and to Chromium (a private NSS database), checked
against a real Caddy TLS edge with its own CA."""

import base64
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from suites import curl_transcript
from tooling import rehearsal
from tooling.edge import caddy_edge
from tooling.target import CA_BUNDLE_ENV, TargetError, ca_env, resolve

ROOT = Path(__file__).resolve().parents[1]
BLUEPRINT = yaml.safe_load((ROOT / "render.yaml").read_text())


def test_the_deployment_gets_what_render_injects(tmp_path: Path) -> None:
    deployment = rehearsal.deployment_env(
        BLUEPRINT,
        port=4321,
        database_url="postgres://role:pw-0123456789abcdef@127.0.0.1:5432/db",
        redis_url="redis://127.0.0.1:6379/14",
        external_url="https://127.0.0.1:9443",
        commit="a" * 40,
        home=tmp_path,
        venv=tmp_path / "venv",
        overrides={},
    )
    env = deployment.env
    assert env["PORT"] == "4321" and env["RENDER"] == "true"
    assert env["RENDER_GIT_COMMIT"] == "a" * 40
    assert env["RENDER_EXTERNAL_URL"] == "https://127.0.0.1:9443"
    assert env["DATABASE_URL"].startswith("postgres://") and env["REDIS_URL"].endswith("/14")
    for var in rehearsal.web_service(BLUEPRINT)["envVars"]:  # every value of the blueprint
        if "value" in var and var["key"] != "PROMETHEUS_MULTIPROC_DIR":
            assert env[var["key"]] == str(var["value"])
    assert len(base64.b64decode(env["WEBHOOK_SECRET"])) == 32  # like generateValue
    assert len(base64.b64decode(env["METRICS_TOKEN"])) == 32
    assert len(env["API_KEYS"]) >= 16
    assert env["PROMETHEUS_MULTIPROC_DIR"].startswith(str(tmp_path))  # not the shared /tmp one
    assert "--host 127.0.0.1" in deployment.start_command
    assert "0.0.0.0" not in deployment.start_command
    assert set(deployment.secrets) >= {
        "WEBHOOK_SECRET",
        "API_KEYS",
        "METRICS_TOKEN",
        "DATABASE_URL password",
    }
    assert "pw-0123456789abcdef" not in repr(deployment)


def test_the_leak_scan_finds_every_form_of_a_secret(tmp_path: Path) -> None:
    secret = "whsec_" + base64.b64encode(bytes(range(32))).decode()  # has "+" and "/"
    body = secret.removeprefix("whsec_")
    (tmp_path / "clean.txt").write_text("nothing here")
    (tmp_path / "body.log").write_text(f"key={body}")
    (tmp_path / "escaped.json").write_text(json.dumps({"s": secret.replace("/", "\\/")}))
    (tmp_path / "quoted.html").write_text("a?s=" + secret.replace("+", "%2B").replace("/", "%2F"))
    files, hits = rehearsal.scan_files([tmp_path], {"WEBHOOK_SECRET": secret})
    assert files == 4
    assert sorted(Path(hit.split(":")[0]).name for hit in hits) == [
        "body.log",
        "escaped.json",
        "quoted.html",
    ]


def test_failed_key_checks_are_counted_per_minute(tmp_path: Path) -> None:
    log = tmp_path / "service.log"
    lines = [
        {"time": "2026-12-01T10:00:01", "status": 401},
        {"time": "2026-12-01T10:00:59", "status": 403},
        {"time": "2026-12-01T10:01:00", "status": 401},
        {"time": "2026-12-01T10:01:00", "status": 429},
        {"time": "2026-12-01T10:01:00", "status": 201},
    ]
    log.write_text("INFO: not json\n" + "\n".join(json.dumps(line) for line in lines) + "\n")
    assert rehearsal.failed_key_checks_per_minute(log) == (2, 1)


def test_argv_watch_sees_a_secret_on_a_command_line() -> None:
    secret = "s3cr3t-" + os.urandom(8).hex()
    with rehearsal.ArgvWatch({"API_KEY": secret}, interval=0.01) as watch:
        subprocess.run([sys.executable, "-c", "import time; time.sleep(0.3)", secret], check=True)
        time.sleep(0.05)
    assert len(watch.hits) == 1 and "API_KEY in argv" in watch.hits[0]
    assert secret not in watch.hits[0]


# --- one CA setting --------------------------------------------------------------------------


def test_the_ca_bundle_comes_from_the_option_or_the_usual_variables(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n")
    url = "https://example.test"
    for name in CA_BUNDLE_ENV:
        target = resolve("url", url, "s", environ={name: str(bundle)})
        assert target.ca_bundle == str(bundle)
        assert target.env()["REQUESTS_CA_BUNDLE"] == str(bundle)  # for every subprocess
    assert resolve("url", url, "s", ca_bundle=str(bundle), environ={}).ca_bundle == str(bundle)
    assert resolve("url", url, "s", environ={}).ca_bundle is None
    assert ca_env(str(bundle), {}) == dict.fromkeys(CA_BUNDLE_ENV, str(bundle))
    assert ca_env(str(bundle), {"SSL_CERT_FILE": "/theirs.pem"}) == {
        "REQUESTS_CA_BUNDLE": str(bundle)
    }
    assert ca_env(None, {}) == {}
    with pytest.raises(TargetError, match="does not exist"):
        resolve("url", url, "s", ca_bundle=str(tmp_path / "missing.pem"), environ={})


@pytest.fixture(scope="module")
def tls_edge(target, tmp_path_factory):
    """The local target behind Caddy with `tls internal` (a CA of its own, never installed
    into the machine's trust store)."""
    if not target.is_local:
        pytest.skip("puts a local TLS edge in front of the local service")
    upstream = target.base_url.removeprefix("http://")
    log = tmp_path_factory.mktemp("edge") / "caddy.log"
    with caddy_edge(upstream, log, site_options=["tls internal"], scheme="https") as edge:
        ca = rehearsal.wait_for_certificate(edge)
        bundle = tmp_path_factory.mktemp("ca") / "ca.pem"
        bundle.write_bytes(ca.read_bytes())
        yield edge, bundle


@pytest.mark.requires("caddy")
def test_curl_trusts_the_edge_only_with_the_ca_given(tls_edge) -> None:
    edge, bundle = tls_edge
    health = [f"{edge.base_url}/health", "-o", "/dev/null", "-w", "%{http_code}"]
    untrusted = subprocess.run(["curl", "-sS", *health], capture_output=True, text=True)
    assert untrusted.returncode == 60, "the machine trusts Caddy's CA: was it installed?"
    recorder = curl_transcript.Recorder(edge.base_url, ca_bundle=str(bundle))
    assert recorder.warm_up(5) is None
    assert curl_transcript.Recorder(edge.base_url).warm_up(5).startswith("TLS: ")


@pytest.mark.requires("caddy", "chromium")
def test_chromium_trusts_the_edge_through_a_private_nss_database(tls_edge) -> None:
    from tooling.browser import launched

    edge, bundle = tls_edge
    with launched(str(bundle)) as browser:
        response = browser.new_page().goto(f"{edge.base_url}/health")
        assert response.status == 200
    with launched() as browser, pytest.raises(Exception, match="ERR_CERT_AUTHORITY_INVALID"):
        browser.new_page().goto(f"{edge.base_url}/health")


def test_a_browser_that_cannot_get_the_ca_says_why(tmp_path: Path) -> None:
    from evidence.swagger import CERT_HINT, _one_line
    from tooling.browser import BrowserTrustError, nss_home

    empty = tmp_path / "empty.pem"
    empty.write_text("no certificate here\n")
    with pytest.raises(BrowserTrustError, match="holds no PEM certificate"):
        nss_home(str(empty), tmp_path / "home")
    untrusted = RuntimeError("Page.goto: net::ERR_CERT_AUTHORITY_INVALID at https://x/docs")
    assert CERT_HINT in _one_line(untrusted)
