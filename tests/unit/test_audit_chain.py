"""The audit chain's arithmetic, without a database: digests are stable, SM3 is the standard one,
and a walk over links finds the first edited, deleted, inserted or swapped entry."""

from __future__ import annotations

from collections import OrderedDict
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import StrEnum

import pytest

from liandong.audit import chain


def test_sm3_and_sha256_match_their_standard_test_vectors():
    # GB/T 32905-2016, example 1; FIPS 180-2 "abc".
    assert chain.digest("sm3", b"abc") == (
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    )
    assert chain.digest("sha256", b"abc").startswith("ba7816bf8f01cfea")
    with pytest.raises(ValueError):
        chain.digest("md5", b"abc")


def test_canonical_form_ignores_key_order_and_time_zone():
    moment = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    beijing = moment.astimezone(timezone(timedelta(hours=8)))
    a = chain.canonical({"b": 1, "a": {"y": [1, 2], "x": moment}})
    b = chain.canonical({"a": {"x": beijing, "y": (1, 2)}, "b": 1})
    assert a == b
    assert chain.json_ready({1: moment}) == {"1": "2026-11-30T08:00:00+00:00"}


def test_canonical_bytes_are_pinned():
    """Stored digests depend on these exact bytes: every kind of value an event or an entry can
    hold (an enum member, keys that are not text, a naive moment, an ordered mapping, a tuple)."""

    class Kind(StrEnum):
        MOVED = "deadline_recomputed"

    beijing = timezone(timedelta(hours=8))
    fields = {
        "id": 7,
        "kind": Kind.MOVED,
        "summary": "节假日安排更新",
        "actor_id": None,
        "flag": True,
        "share": 0.8,
        "occurred_at": datetime(2026, 12, 10, 17, 0, tzinfo=beijing),
        "naive": datetime(2026, 12, 10, 9, 30),
        "day": date(2026, 12, 10),
        "amount": Decimal("1.50"),
        "before": {
            "due_at": "2026-12-10T17:00:00+08:00",
            "provisional": False,
            10: "ten",
            9: ("a", 1),
        },
        "after": OrderedDict(
            [("z", [1, {"b": 2, "a": None}]), ("a", datetime(2026, 12, 11, 1, tzinfo=UTC))]
        ),
    }
    assert chain.canonical(fields).decode() == (
        '{"actor_id":null,"after":{"a":"2026-12-11T01:00:00+00:00","z":[1,{"a":null,"b":2}]},'
        '"amount":"1.50","before":{"10":"ten","9":["a",1],"due_at":"2026-12-10T17:00:00+08:00",'
        '"provisional":false},"day":"2026-12-10","flag":true,"id":7,"kind":"deadline_recomputed",'
        '"naive":"2026-12-10T09:30:00","occurred_at":"2026-12-10T09:00:00+00:00","share":0.8,'
        '"summary":"节假日安排更新"}'
    )


def _chain(digests: list[str], algorithm: str = "sha256") -> list[chain.Link]:
    links, previous = [], chain.GENESIS
    for seq, entry_digest in enumerate(digests, start=1):
        hashed = chain.link_hash(algorithm, seq, previous, entry_digest)
        links.append(chain.Link(seq, 100 + seq, algorithm, previous, hashed))
        previous = hashed
    return links


def _walk(links, stored, recomputed=None):
    outcomes = list(chain.check_links(links, stored, recomputed or stored))
    return outcomes[-1]


DIGESTS = [chain.digest("sha256", str(i).encode()) for i in range(5)]
STORED = {100 + i: d for i, d in enumerate(DIGESTS, start=1)}


@pytest.mark.parametrize("algorithm", chain.ALGORITHMS)
def test_an_intact_chain_ends_at_its_head(algorithm):
    links = _chain(DIGESTS, algorithm)
    assert _walk(links, STORED) == (6, links[-1].hash)


def test_an_edited_entry_is_found_at_its_link():
    recomputed = {**STORED, 103: "0" * 64}
    problem = _walk(_chain(DIGESTS), STORED, recomputed)
    assert (
        isinstance(problem, chain.Problem) and "第3环" in str(problem) and "被修改" in str(problem)
    )


def test_a_deleted_entry_is_found_at_its_link():
    stored = {k: v for k, v in STORED.items() if k != 104}
    problem = _walk(_chain(DIGESTS), stored)
    assert isinstance(problem, chain.Problem) and "第4环" in str(problem) and "删除" in str(problem)


def test_a_deleted_link_breaks_the_sequence():
    links = _chain(DIGESTS)
    problem = _walk(links[:2] + links[3:], STORED)
    assert isinstance(problem, chain.Problem) and "序号不连续" in str(problem)


def test_swapped_links_are_found():
    links = _chain(DIGESTS)
    a, b = links[1], links[2]
    swapped = [
        links[0],
        chain.Link(2, b.entry_id, b.algorithm, b.previous, b.hash),
        chain.Link(3, a.entry_id, a.algorithm, a.previous, a.hash),
        *links[3:],
    ]
    problem = _walk(swapped, STORED)
    assert isinstance(problem, chain.Problem) and "第2环" in str(problem)


def test_swapped_entry_contents_are_found():
    stored = {**STORED, 102: STORED[103], 103: STORED[102]}
    problem = _walk(_chain(DIGESTS), stored)
    assert isinstance(problem, chain.Problem) and "第2环" in str(problem)


def test_a_chain_may_change_algorithm_midway():
    links = _chain(DIGESTS[:2], "sha256")
    previous = links[-1].hash
    for seq, d in enumerate(DIGESTS[2:], start=3):
        hashed = chain.link_hash("sm3", seq, previous, d)
        links.append(chain.Link(seq, 100 + seq, "sm3", previous, hashed))
        previous = hashed
    assert _walk(links, STORED) == (6, previous)


def test_an_id_set_keeps_one_bit_per_id():
    seen = chain.IdSet()
    assert 7 not in seen and -1 not in seen and "7" not in seen
    for pk in (7, 8, 1_000_003, 0):
        seen.add(pk)
    assert {7, 8, 1_000_003, 0} <= {pk for pk in range(1_000_010) if pk in seen}
    assert sum(1 for pk in range(1_000_010) if pk in seen) == 4
    with pytest.raises(ValueError):
        seen.add(-1)
