"""X-Hub-Signature: HMAC of the raw body under the subscription's secret, in any of the spec's
four algorithms; anything else is refused. Expected values are computed here with hashlib."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from bot.push.signature import sign, signature_problem

BODY = b'<?xml version="1.0"?><rss><channel><title>W</title></channel></rss>'
SECRET = "0f" * 32


@pytest.mark.parametrize("method", ["sha1", "sha256", "sha384", "sha512"])
def test_each_algorithm_verifies(method: str) -> None:
    digest = hmac.new(SECRET.encode(), BODY, getattr(hashlib, method)).hexdigest()
    assert signature_problem(f"{method}={digest}", BODY, SECRET) is None
    assert signature_problem(f"{method.upper()}={digest.upper()}", BODY, SECRET) is None
    assert sign(BODY, SECRET, method) == f"{method}={digest}"


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        (None, "no X-Hub-Signature header"),
        ("  ", "no X-Hub-Signature header"),
        ("md5=" + hashlib.md5(BODY).hexdigest(), "unknown signature method 'md5'"),
        ("sha256", "unknown signature method 'sha256'"),
        ("sha256=" + "0" * 64, "the signature does not match"),
        ("sha256=é" * 3, "the signature does not match"),
        (sign(BODY, "another secret"), "the signature does not match"),
        (sign(BODY + b" ", SECRET), "the signature does not match"),
    ],
)
def test_anything_but_a_matching_signature_is_refused(header: str | None, problem: str) -> None:
    assert signature_problem(header, BODY, SECRET) == problem
