"""The contract's request signature, as pure functions (no database).

Contract: `X-Signature` is `sha256=` followed by the lower-case hex HMAC-SHA256, keyed with the
shared secret, of the bytes `{X-Timestamp}.{raw request body}`; the receiver refuses a timestamp
more than 300 seconds away from its own clock."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from liandong.citylink import signing

SECRET = "city-secret-0123456789abcdef"
OTHER = "another-secret-fedcba9876543210"
BODY = '{"incident_id":"SY1","content":"暖气漏水"}'.encode()
TS = "1796001300"


def _reference(secret: str, timestamp: str, body: bytes) -> str:
    """The contract's formula, written out independently of the product."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


# --- signature ---------------------------------------------------------------------------------


def test_given_secret_timestamp_and_body_when_signed_then_matches_the_contract_formula():
    assert signing.signature(SECRET, TS, BODY) == _reference(SECRET, TS, BODY)


def test_given_a_signature_then_it_is_sha256_prefix_and_64_lower_case_hex_digits():
    sig = signing.signature(SECRET, TS, BODY)
    prefix, _, hexpart = sig.partition("=")
    assert prefix == "sha256"
    assert len(hexpart) == 64
    assert hexpart == hexpart.lower()
    int(hexpart, 16)


def test_given_a_known_vector_when_signed_then_the_value_is_fixed():
    # Computed once from the contract's formula: HMAC-SHA256("key", "0.") in lower-case hex.
    expected = "sha256=" + hmac.new(b"key", b"0.", hashlib.sha256).hexdigest()
    assert signing.signature("key", "0", b"") == expected


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda s, t, b: (OTHER, t, b), id="other-secret"),
        pytest.param(lambda s, t, b: (s, str(int(t) + 1), b), id="other-timestamp"),
        pytest.param(lambda s, t, b: (s, t, b + b" "), id="body-with-trailing-space"),
        pytest.param(
            lambda s, t, b: (s, t, b.replace("暖气".encode(), "燃气".encode())), id="body"
        ),
    ],
)
def test_given_any_input_changed_when_signed_then_the_signature_differs(change):
    assert signing.signature(*change(SECRET, TS, BODY)) != signing.signature(SECRET, TS, BODY)


def test_given_timestamp_and_body_then_the_separator_is_a_dot_not_a_concatenation():
    # "12" + "3..." and "1" + "23..." must not collide: the dot is part of the signed bytes.
    assert signing.signature(SECRET, "12", b"3") != signing.signature(SECRET, "1", b"23")
    assert signing.signature(SECRET, "1", b"x") == _reference(SECRET, "1", b"x")


# --- matches_any ------------------------------------------------------------------------------


def test_given_the_right_signature_when_checked_then_it_matches():
    given = _reference(SECRET, TS, BODY)
    assert signing.matches_any([SECRET], TS, BODY, given)


def test_given_two_active_secrets_when_either_signed_then_both_match():
    for secret in (SECRET, OTHER):
        assert signing.matches_any([SECRET, OTHER], TS, BODY, _reference(secret, TS, BODY))
        assert signing.matches_any([OTHER, SECRET], TS, BODY, _reference(secret, TS, BODY))


@pytest.mark.parametrize(
    "given",
    [
        pytest.param(_reference(OTHER, TS, BODY), id="wrong-secret"),
        pytest.param(_reference(SECRET, TS, BODY + b"x"), id="body-changed-after-signing"),
        pytest.param(_reference(SECRET, TS, BODY)[len("sha256=") :], id="no-sha256-prefix"),
        pytest.param(
            "sha256=" + _reference(SECRET, TS, BODY)[len("sha256=") :].upper(), id="upper-case-hex"
        ),
        pytest.param("SHA256=" + _reference(SECRET, TS, BODY)[len("sha256=") :], id="upper-prefix"),
        pytest.param("sha1=" + _reference(SECRET, TS, BODY)[len("sha256=") :], id="other-algo"),
        pytest.param(_reference(SECRET, TS, BODY) + " ", id="trailing-space"),
        pytest.param("", id="empty"),
        pytest.param("sha256=", id="prefix-only"),
    ],
)
def test_given_a_wrong_signature_when_checked_then_it_does_not_match(given):
    assert not signing.matches_any([SECRET], TS, BODY, given)


def test_given_no_active_secret_when_checked_then_nothing_matches():
    assert not signing.matches_any([], TS, BODY, _reference(SECRET, TS, BODY))


def test_given_a_non_ascii_signature_when_checked_then_it_does_not_match_and_does_not_crash():
    # Header values reach Django as latin-1 text: a malicious sender can put any byte there.
    given = "sha256=" + "é" * 64
    assert not signing.matches_any([SECRET], TS, BODY, given)


# --- timestamp window --------------------------------------------------------------------------

NOW = 1_796_001_300.0


@pytest.mark.parametrize(
    ("offset", "fresh"),
    [
        (0, True),
        (-300, True),
        (300, True),
        (-301, False),
        (301, False),
        (-86_400, False),
        (86_400, False),
    ],
)
def test_given_a_timestamp_offset_when_checked_then_only_within_300_seconds_is_fresh(offset, fresh):
    assert signing.timestamp_is_fresh(str(int(NOW) + offset), NOW) is fresh


@pytest.mark.parametrize(
    "timestamp",
    ["", "abc", "1796001300.5", "1.7960013e9", "0x6b0c6d14", "now", "None"],
)
def test_given_a_non_numeric_timestamp_when_checked_then_it_is_not_fresh(timestamp):
    assert not signing.timestamp_is_fresh(timestamp, NOW)


def test_given_a_fractional_clock_when_checked_then_the_window_is_still_300_seconds():
    assert signing.timestamp_is_fresh(str(int(NOW)), NOW + 300.0)
    assert not signing.timestamp_is_fresh(str(int(NOW)), NOW + 300.5)


# --- signed_headers (what the district sends) -------------------------------------------------


def test_given_a_body_when_headers_are_made_then_they_carry_peer_whole_seconds_and_signature():
    headers = signing.signed_headers("yuhong-district", SECRET, BODY, NOW + 0.9)
    assert headers["X-Peer-Id"] == "yuhong-district"
    assert headers["X-Timestamp"] == str(int(NOW))
    assert headers["X-Signature"] == _reference(SECRET, str(int(NOW)), BODY)
    assert headers["Content-Type"].split(";")[0].strip() == "application/json"
