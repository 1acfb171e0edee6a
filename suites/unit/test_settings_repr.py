"""Settings never show a secret in their repr (a repr reaches logs, tracebacks and the
reports of a failing test), while their users still get the real values."""

from service.config import Settings

SECRETS = {
    "database_url": "postgresql://role:db-password-0123@db.internal:5432/orders",
    "webhook_secret": "whsec_b3JkZXJzLWludmVudG9yeS1yZXByLXRlc3Qtc2VjcmV0",
    "api_keys": "first-key-0123456789,second-key-0123456789",
    "redis_url": "redis://:kv-password-0123@kv.internal:6379/0",
    "metrics_token": "metrics-token-0123456789",
}


def test_secrets_are_not_in_the_repr(monkeypatch):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name.upper(), value)
    settings = Settings(_env_file=None)
    shown = repr(settings) + str(settings)
    for needle in (
        "db-password-0123",
        "whsec_",
        "first-key",
        "second-key",
        "kv-password",
        "metrics-token",
    ):
        assert needle not in shown, needle
    assert "environment=" in shown  # the rest is still there to read
    assert settings.api_keys == ["first-key-0123456789", "second-key-0123456789"]
    assert settings.database_url.endswith("role:db-password-0123@db.internal:5432/orders")
    assert settings.redis_url == SECRETS["redis_url"]
    assert settings.webhook_secret == SECRETS["webhook_secret"]
