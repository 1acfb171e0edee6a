"""The edge, without HTTP: which address counts as the client, rate-limit identities, the
build `/health` reports, and the edge settings."""

import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from service.config import ConfigurationError, Settings, check_edge
from service.middleware import client_address, parse_address
from service.security import address_identity
from service.version import checkout_commit, deployed_commit

PEER = "10.0.0.9"


@pytest.mark.parametrize(
    "forwarded_for, hops, expected",
    [
        ([], 0, PEER),
        ([b"6.6.6.6"], 0, PEER),  # no proxy: the header is the client's own text
        ([b"6.6.6.6, 1.2.3.4"], 1, "1.2.3.4"),  # one appending proxy: its entry, not the forged
        ([b"6.6.6.6, 1.2.3.4, 172.70.1.1"], 2, "1.2.3.4"),
        ([b"6.6.6.6,7.7.7.7", b"1.2.3.4"], 1, "1.2.3.4"),  # several headers: one list, in order
        ([b"1.2.3.4"], 2, PEER),  # fewer entries than proxies: not through them all
        ([b"6.6.6.6, not-an-address"], 1, PEER),
        ([b"6.6.6.6, 1.2.3.4:5678"], 1, "1.2.3.4"),
        ([b"6.6.6.6, [2001:db8::1]:443"], 1, "2001:db8::1"),
        ([b"6.6.6.6, 2001:DB8:0::1"], 1, "2001:db8::1"),
        ([b"6.6.6.6, ::ffff:1.2.3.4"], 1, "1.2.3.4"),
        ([b"6.6.6.6, , 1.2.3.4"], 1, "1.2.3.4"),
        ([b""], 1, PEER),
    ],
)
def test_the_entry_the_proxies_vouch_for(forwarded_for, hops, expected):
    assert client_address(PEER, forwarded_for, hops) == expected


def test_the_edge_header_wins_when_it_holds_an_address():
    assert client_address(PEER, [b"6.6.6.6, 1.2.3.4"], 1, b"5.6.7.8") == "5.6.7.8"
    assert client_address(PEER, [b"6.6.6.6, 1.2.3.4"], 1, b"garbage") == "1.2.3.4"
    assert client_address(PEER, [b"6.6.6.6"], 0, b"") == PEER
    assert client_address(None, [], 0) is None


@pytest.mark.parametrize("text", ["", "unknown", "1.2.3", "1.2.3.4.5", "[::1", "01.2.3.4"])
def test_what_is_not_an_address(text):
    assert parse_address(text) is None


def request_from(host: str | None):
    return SimpleNamespace(client=SimpleNamespace(host=host) if host else None)


@pytest.mark.parametrize(
    "host, identity",
    [
        ("1.2.3.4", "ip:1.2.3.4"),
        ("2001:db8:1:2:aaaa::1", "ip6:2001:db8:1:2::/64"),  # one client holds a /64
        ("2001:db8:1:2:bbbb::2", "ip6:2001:db8:1:2::/64"),
        (None, "ip:unknown"),
    ],
)
def test_rate_limit_identity_of_an_address(host, identity):
    assert address_identity(request_from(host)) == identity


def test_the_commit_is_the_platforms_else_the_checkouts(tmp_path):
    root = Path(__file__).resolve().parents[2]
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True
    ).stdout.strip()
    if head:
        assert checkout_commit(root) == head  # read from .git without running git
        assert deployed_commit(None, root) == head
    assert deployed_commit("  abc123  ", root) == "abc123"
    assert checkout_commit(tmp_path) is None and deployed_commit("", tmp_path) is None


def test_the_checkout_commit_in_each_layout(tmp_path):
    sha = "a" * 40
    git = tmp_path / "plain" / ".git"
    (git / "refs" / "heads").mkdir(parents=True)
    (git / "HEAD").write_text("ref: refs/heads/main\n")
    assert checkout_commit(git.parent) is None  # no commit yet
    (git / "packed-refs").write_text(f"# pack-refs\n{sha} refs/heads/main\n")
    assert checkout_commit(git.parent) == sha
    (git / "refs" / "heads" / "main").write_text("b" * 40 + "\n")
    assert checkout_commit(git.parent) == "b" * 40  # a loose ref wins over the packed one
    (git / "HEAD").write_text("c" * 40 + "\n")
    assert checkout_commit(git.parent) == "c" * 40  # detached
    worktree_git = git / "worktrees" / "wt"
    worktree_git.mkdir(parents=True)
    (worktree_git / "HEAD").write_text("ref: refs/heads/main\n")
    (worktree_git / "commondir").write_text("../..\n")
    worktree = tmp_path / "wt"
    worktree.mkdir()
    (worktree / ".git").write_text(f"gitdir: {worktree_git}\n")
    assert checkout_commit(worktree) == "b" * 40
    (git / "HEAD").write_text("ref: ../../etc/passwd\n")
    assert checkout_commit(git.parent) is None


def test_edge_settings():
    assert Settings(client_ip_header=" True-Client-IP ").client_ip_header == "true-client-ip"
    assert Settings(client_ip_header="").client_ip_header is None
    with pytest.raises(ValidationError):
        Settings(client_ip_header="True Client IP")
    with pytest.raises(ValidationError):
        Settings(trusted_proxy_hops=-1)
    production = Settings(environment="production", api_keys=["k" * 20])
    assert production.effective_auth_failure_limit == "300/minute"
    assert not production.metrics_served  # no token: /metrics is off
    assert Settings(environment="production", metrics_token="t" * 16).metrics_served
    assert Settings().metrics_served and Settings().effective_auth_failure_limit is None
    assert Settings(auth_failure_limit="").effective_auth_failure_limit is None
    token = "s3cret-" + "x" * 20
    assert token not in repr(Settings(metrics_token=token))
    with pytest.raises(ConfigurationError, match="METRICS_TOKEN must be at least 16"):
        check_edge(Settings(metrics_token="short"))
