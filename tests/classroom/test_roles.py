"""Who is the teacher: the secret, the bind address, proxies."""

from __future__ import annotations

import pytest

from resnet_viz.classroom.roles import LOCAL, OFF, SECRET, Policy, is_loopback, proxied, teacher_secret


@pytest.mark.parametrize("address, loopback", [
    ("localhost", True), ("127.0.0.1", True), ("127.0.1.1", True), ("::1", True), ("[::1]", True),
    (None, False), ("", False), ("0.0.0.0", False), ("::", False), ("192.168.1.20", False), ("myhost", False)])
def test_only_loopback_addresses_are_local(address, loopback):
    assert is_loopback(address) is loopback


def test_the_secret_comes_from_the_environment_then_secrets_toml():
    assert teacher_secret({}, {}) is None
    assert teacher_secret({"teacher_secret": "  "}, {"RESNET_VIZ_TEACHER_SECRET": ""}) is None  # blank: none
    assert teacher_secret({"teacher_secret": "toml"}, {}) == "toml"
    assert teacher_secret({"resnet_viz": {"teacher_secret": "table"}, "teacher_secret": "top"}, {}) == "table"
    assert teacher_secret({"teacher_secret": "toml"}, {"RESNET_VIZ_TEACHER_SECRET": "env"}) == "env"


@pytest.mark.parametrize("secret, address, mode", [
    ("s3cret", "0.0.0.0", SECRET), ("s3cret", "localhost", SECRET), (None, "localhost", LOCAL),
    (None, "127.0.0.1", LOCAL), (None, "0.0.0.0", OFF), (None, None, OFF)])
def test_three_modes(secret, address, mode):
    assert Policy(secret, address).mode == mode


def test_the_local_user_is_the_teacher_only_on_a_loopback_server_without_a_proxy():
    assert Policy(None, "localhost").local_teacher({})
    assert not Policy(None, "localhost").local_teacher({"X-Forwarded-For": "10.0.0.7"})  # nginx in front
    assert not Policy(None, "0.0.0.0").local_teacher({})
    assert not Policy("s3cret", "localhost").local_teacher({})  # with a secret, everyone logs in


def test_the_secret_is_checked_exactly():
    p = Policy("s3cret", "0.0.0.0")
    assert p.check("s3cret") and p.check(" s3cret ")
    assert not p.check("s3cre") and not p.check("S3CRET") and not p.check("") and not p.check(None)
    assert not Policy(None, "localhost").check("anything")


def test_each_refusal_says_how_to_become_the_teacher():
    assert "logs in" in Policy("s3cret", "0.0.0.0").refusal()
    off = Policy(None, "0.0.0.0").refusal()
    assert "RESNET_VIZ_TEACHER_SECRET" in off and "secrets.toml" in off
    assert "proxy" in Policy(None, "localhost").refusal({"forwarded": "for=1.2.3.4"})
    assert proxied({"X-Real-IP": "1.2.3.4"}) and not proxied({"Host": "x"}) and not proxied(None)
