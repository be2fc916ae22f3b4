"""The hash chain of the audit trail, in pure Python (tested without a database).

Each entry has a digest of its own content (`entry_digest`). A link joins entries in sequence:
link n's hash is the digest of (n, the previous link's hash, the entry's digest), so editing an
entry, deleting one, inserting one or swapping two breaks the chain at that point. Events of the
timeline are checked the same way: their audit entry carries the digest of the event row as it was
written (`row_digest`), so an event edited, deleted or reordered in the database no longer matches.

The algorithm is SHA-256 or SM3 (GB/T 32905-2016, where an installation chooses the national
algorithm); each entry and link names its own, so an installation can switch without breaking the
chain it already has.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from cryptography.hazmat.primitives import hashes

ALGORITHMS = ("sha256", "sm3")
GENESIS = "0" * 64


def digest(algorithm: str, data: bytes) -> str:
    if algorithm == "sha256":
        return hashlib.sha256(data).hexdigest()
    if algorithm == "sm3":
        h = hashes.Hash(hashes.SM3())
        h.update(data)
        return h.finalize().hex()
    raise ValueError(f"unknown audit hash algorithm: {algorithm}")


#: Values that are already plain: checked by exact type first, since nearly every value of an
#: event or an entry is one of them and the isinstance checks below (Mapping's among them) cost
#: more than the rest of the digest.
_SCALARS = frozenset({str, int, bool, float, type(None)})


def _plain(value: Any) -> Any:
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is dict:  # the usual case, its plain values taken without a call each
        return {
            k if type(k) is str else str(k): v if type(v) in _SCALARS else _plain(v)
            for k, v in value.items()
        }
    if kind is list:  # a list of plain values (the ids and digests of a batch's entry)
        return [v if type(v) in _SCALARS else _plain(v) for v in value]
    if isinstance(value, str | int | float):  # an enum member: the plain value it is
        return value
    if isinstance(value, datetime):
        return _moment(value)
    if isinstance(value, date | Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


@functools.lru_cache(maxsize=256)
def _moment(value: datetime) -> str:
    """A moment's form in a digest: UTC ISO when aware. Kept for the last few moments, since the
    events of one act share theirs (equal moments, also in other zones, have the same form)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.isoformat()


#: One encoder for every digest (`json.dumps` with options builds a new one per call).
_CANONICAL = json.JSONEncoder(
    sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
)


def canonical(fields: Mapping[str, Any]) -> bytes:
    """One byte string for a mapping: keys sorted, no spaces, datetimes in UTC ISO form."""
    return _CANONICAL.encode(_plain(fields)).encode()


def json_ready(data: Mapping[str, Any]) -> dict[str, Any]:
    """`data` as it will read back from a JSON column (so its digest is the same after)."""
    return json.loads(json.dumps(_plain(data), ensure_ascii=False, default=str))


def row_digest(algorithm: str, fields: Mapping[str, Any]) -> str:
    return digest(algorithm, canonical(fields))


def link_hash(algorithm: str, seq: int, previous: str, entry: str) -> str:
    return digest(algorithm, f"{seq}|{previous}|{entry}".encode())


@dataclass(frozen=True)
class Link:
    seq: int
    entry_id: int
    algorithm: str
    previous: str
    hash: str


@dataclass(frozen=True)
class Problem:
    """The first thing found wrong, said in Chinese for the operator."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}：{self.message}"


def check_links(
    links: Iterable[Link],
    entry_digests: Mapping[int, str | None],
    recomputed: Mapping[int, str | None],
    *,
    previous: str = GENESIS,
    expected_seq: int = 1,
) -> Iterator[Problem | tuple[int, str]]:
    """Walk links in sequence. `entry_digests` maps an entry id to the digest stored on it (None
    when the entry is gone), `recomputed` to the digest of its content as it now is. Yields the
    first Problem and stops, or, after a clean batch, the (next expected seq, last hash)."""
    for link in links:
        where = f"审计链第{link.seq}环"
        if link.seq != expected_seq:
            yield Problem(where, f"序号不连续（应为第{expected_seq}环），有环节被删除或插入")
            return
        if link.previous != previous:
            yield Problem(where, "前一环的摘要不符，链条被重排或改动")
            return
        stored = entry_digests.get(link.entry_id)
        if stored is None:
            yield Problem(where, f"所指的审计记录#{link.entry_id}已不存在（被删除）")
            return
        if recomputed.get(link.entry_id) != stored:
            yield Problem(where, f"审计记录#{link.entry_id}的内容与其摘要不符（被修改）")
            return
        if link_hash(link.algorithm, link.seq, previous, stored) != link.hash:
            yield Problem(where, "本环摘要与内容不符（被改动或调换）")
            return
        previous = link.hash
        expected_seq += 1
    yield (expected_seq, previous)


class IdSet:
    """A set of positive ids as one bit each (a million events: 125 KB)."""

    def __init__(self) -> None:
        self._bits = bytearray()

    def add(self, pk: int) -> None:
        if pk < 0:
            raise ValueError(f"not an id: {pk}")
        byte = pk >> 3
        if byte >= len(self._bits):
            self._bits.extend(bytes(max(byte + 1 - len(self._bits), len(self._bits))))
        self._bits[byte] |= 1 << (pk & 7)

    def __contains__(self, pk: object) -> bool:
        if not isinstance(pk, int) or pk < 0:
            return False
        byte = pk >> 3
        return byte < len(self._bits) and bool(self._bits[byte] & (1 << (pk & 7)))
