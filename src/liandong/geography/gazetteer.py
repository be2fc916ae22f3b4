"""The street of jurisdiction from an address, pure: normalising place names, the gazetteer's
matcher and its decision. No database here; selectors.py builds a `Gazetteer` from the stored
entries and the street offices, and combines its decision with the street boundaries
(jurisdiction.py).

How an address is read:
- it is normalised (full-width to half-width, case, whitespace);
- every name and alias of the gazetteer found in it is a candidate; where candidates overlap, the
  longest wins, and a name that cuts into 辽宁省／沈阳市／于洪区 is not a match (the 于洪 of
  于洪区 is not 于洪街道);
- specific places decide first: communities, landmarks and the street offices' full names. If
  they all belong to one street, that street; if to several, nothing is decided and each is named;
- otherwise roads: a road under one street decides; a road under several streets decides only
  together with another road through exactly one of them (a crossing), or with a bare street name
  (陵西) among them; otherwise the candidates are named;
- last, the street offices' bare names (陵西 for 陵西街道) on their own."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

STREET, COMMUNITY, ROAD, LANDMARK = "street", "community", "road", "landmark"
KIND_LABELS: dict[str, str] = {STREET: "街道", COMMUNITY: "社区", ROAD: "道路", LANDMARK: "地标"}
#: Administrative divisions above the streets: an address starts with them, a name never cuts
#: into them.
DIVISIONS = ("辽宁省", "沈阳市", "于洪区")
MIN_TERM = 2
NO_MATCH = "地址未匹配到地名库"
NO_ADDRESS = "地址为空"


def normalise(text: str) -> str:
    """A place name or an address as compared: NFKC (full-width letters, digits and brackets
    become half-width), lower case, without whitespace."""
    return "".join(unicodedata.normalize("NFKC", text or "").casefold().split())


@dataclass(frozen=True)
class Place:
    """One gazetteer entry (or a street office's name) as the matcher sees it."""

    name: str  #: as written, e.g. 翠湖湾小区
    kind: str  #: street / community / road / landmark
    street: str  #: the street office's unit code, e.g. st-nanyanghu
    street_name: str  #: e.g. 南阳湖街道
    aliases: tuple[str, ...] = ()
    weak: bool = False  #: a street office's bare name (陵西): decides only when nothing else does

    @property
    def tier(self) -> int:
        """3 specific (community, landmark, a street's full name), 2 road, 1 bare street name."""
        if self.weak:
            return 1
        return 2 if self.kind == ROAD else 3


@dataclass(frozen=True)
class StreetDecision:
    """The street of jurisdiction proposed for an address (and a point), with why."""

    #: the street office's unit code (Unit.code, e.g. st-lingxi; not its 9-digit administrative
    #: code), None when undecided
    street_code: str | None
    street_name: str  #: "" when undecided
    reason: str  #: in Chinese, for the dispatcher
    matched: str = ""  #: the address text that decided, or the texts that could not
    candidates: tuple[str, ...] = ()  #: unit codes of the streets in question when undecided
    source: str = ""  #: "gazetteer", "boundary", "gazetteer+boundary", or "" when undecided

    @property
    def decided(self) -> bool:
        return self.street_code is not None


@dataclass(frozen=True)
class _Match:
    start: int
    end: int
    text: str
    places: tuple[Place, ...]

    @property
    def tier(self) -> int:
        return max(p.tier for p in self.places)

    def streets(self, tier: int | None = None) -> dict[str, str]:
        """The streets (code → name) of this match's places, of one tier when given."""
        return {p.street: p.street_name for p in self.places if tier is None or p.tier == tier}

    def best(self) -> Place:
        return max(self.places, key=lambda p: (p.tier, p.kind != STREET))


@dataclass
class Gazetteer:
    """The places indexed by their normalised names: one lookup per address is a walk over its
    characters (the index is keyed by a term's first two characters)."""

    places: Sequence[Place]
    _terms: dict[str, tuple[Place, ...]] = field(init=False, repr=False)
    _by_prefix: dict[str, tuple[str, ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        terms: dict[str, dict[tuple[str, bool], Place]] = {}
        for place in self.places:
            for written in (place.name, *place.aliases):
                term = normalise(written)
                if len(term) < MIN_TERM:
                    continue
                # One place per term and street; a full name outranks a bare one.
                slot = terms.setdefault(term, {})
                key = (place.street, place.kind == ROAD)
                if key not in slot or slot[key].tier < place.tier:
                    slot[key] = place
        self._terms = {t: tuple(s.values()) for t, s in terms.items()}
        prefixes: dict[str, list[str]] = {}
        for term in self._terms:
            prefixes.setdefault(term[:MIN_TERM], []).append(term)
        self._by_prefix = {k: tuple(v) for k, v in prefixes.items()}

    def __len__(self) -> int:
        return len(self._terms)

    def decide(self, address: str) -> StreetDecision:
        text = normalise(address)
        if not text:
            return StreetDecision(None, "", NO_ADDRESS)
        matches = _non_overlapping(self._candidates(text))
        if not matches:
            return StreetDecision(None, "", NO_MATCH)
        for tier, decide in ((3, _by_specific), (2, _by_roads), (1, _by_weak)):
            # Each name once, where the address first has it.
            found = list({m.text: m for m in reversed(matches) if m.tier == tier}.values())[::-1]
            if found:
                return decide(found, matches)
        return StreetDecision(None, "", NO_MATCH)  # pragma: no cover - every match has a tier

    def _candidates(self, text: str) -> list[_Match]:
        divisions = [(i, i + len(d)) for d in DIVISIONS for i in _occurrences(text, normalise(d))]
        found: list[_Match] = []
        for i in range(len(text) - MIN_TERM + 1):
            for term in self._by_prefix.get(text[i : i + MIN_TERM], ()):
                end = i + len(term)
                if text.startswith(term, i) and not _cuts(i, end, divisions):
                    found.append(_Match(i, end, term, self._terms[term]))
        return found


def decide(address: str, places: Iterable[Place]) -> StreetDecision:
    """The decision for one address against these places (builds the index each time)."""
    return Gazetteer(list(places)).decide(address)


def _occurrences(text: str, term: str) -> list[int]:
    found, at = [], text.find(term)
    while at >= 0:
        found.append(at)
        at = text.find(term, at + 1)
    return found


def _cuts(start: int, end: int, divisions: list[tuple[int, int]]) -> bool:
    """Whether [start, end) overlaps a division's span without containing all of it."""
    return any(
        start < d_end and d_start < end and not (start <= d_start and d_end <= end)
        for d_start, d_end in divisions
    )


def _non_overlapping(candidates: list[_Match]) -> list[_Match]:
    """The longest candidates first (then the more specific), each kept if it overlaps none kept;
    returned in address order."""
    kept: list[_Match] = []
    for match in sorted(candidates, key=lambda m: (-(m.end - m.start), -m.tier, m.start)):
        if all(match.end <= k.start or k.end <= match.start for k in kept):
            kept.append(match)
    return sorted(kept, key=lambda m: m.start)


def _quoted(match: _Match) -> str:
    """“翠湖湾”, or “翠湖湾”（翠湖湾小区） when the address used an alias (of a place other
    than a street office, whose name the reason says anyway)."""
    best = match.best()
    plain = best.kind == STREET or normalise(best.name) == match.text
    return f"“{match.text}”" + ("" if plain else f"（{best.name}）")


def _names(streets: dict[str, str]) -> str:
    return "、".join(streets.values())


def _joined(matches: Sequence[_Match]) -> str:
    return "、".join(dict.fromkeys(m.text for m in matches))


def _decided(street: str, name: str, reason: str, matched: str) -> StreetDecision:
    return StreetDecision(street, name, reason, matched, source="gazetteer")


def _by_specific(found: list[_Match], matches: list[_Match]) -> StreetDecision:
    streets: dict[str, str] = {}
    for match in found:
        streets.update(match.streets(3))
    if len(streets) == 1:
        ((code, name),) = streets.items()
        # The most telling one: a community or landmark before a street's name, then the longest.
        best = max(found, key=lambda m: (m.best().kind != STREET, m.end - m.start))
        return _decided(code, name, f"地址中的{_quoted(best)}属于{name}", best.text)
    parts = "，".join(f"{_quoted(m)}属于{_names(m.streets(3))}" for m in found)
    return StreetDecision(
        None,
        "",
        f"地址中的{parts}，指向不同街道，无法确定",
        _joined(found),
        tuple(streets),
    )


def _by_roads(found: list[_Match], matches: list[_Match]) -> StreetDecision:
    common = dict(found[0].streets(2))
    for match in found[1:]:
        common = {c: n for c, n in common.items() if c in match.streets(2)}
    roads = "与".join(_quoted(m) for m in found)
    if len(common) == 1:
        ((code, name),) = common.items()
        verb = "属于" if len(found) == 1 else "都经过"
        reason = f"地址中的{roads}{verb}{name}"
        return _decided(code, name, reason, _joined(found))
    weak = [m for m in matches if m.tier == 1 and set(m.streets(1)) & set(common)]
    hinted = {c: n for m in weak for c, n in m.streets(1).items() if c in common}
    if len(hinted) == 1:
        ((code, name),) = hinted.items()
        reason = f"{roads}跨越{_names(common)}，地址中的{_quoted(weak[0])}指向{name}"
        return _decided(code, name, reason, _joined([*found, *weak]))
    if not common:
        each = "，".join(f"{_quoted(m)}属于{_names(m.streets(2))}" for m in found)
        return StreetDecision(
            None,
            "",
            f"地址中的{each}，没有共同的街道，无法确定",
            _joined(found),
            tuple(dict.fromkeys(c for m in found for c in m.streets(2))),
        )
    verb = "跨越" if len(found) == 1 else "都跨越"
    return StreetDecision(
        None, "", f"{roads}{verb}{_names(common)}，无法确定", _joined(found), tuple(common)
    )


def _by_weak(found: list[_Match], matches: list[_Match]) -> StreetDecision:
    streets: dict[str, str] = {}
    for match in found:
        streets.update(match.streets(1))
    if len(streets) == 1:
        ((code, name),) = streets.items()
        return _decided(code, name, f"地址中的{_quoted(found[0])}指向{name}", found[0].text)
    parts = "，".join(f"{_quoted(m)}指向{_names(m.streets(1))}" for m in found)
    return StreetDecision(None, "", f"地址中的{parts}，无法确定", _joined(found), tuple(streets))


def street_places(
    code: str, name: str, aliases: Sequence[str], *, bare: bool = True
) -> list[Place]:
    """A street office as places: its name and aliases (specific), and its name without 街道
    (陵西 for 陵西街道) as a bare name that decides only when nothing else does."""
    places = [Place(name, STREET, code, name, tuple(a for a in aliases if a))]
    short = name.removesuffix("街道")
    if bare and short != name and len(normalise(short)) >= MIN_TERM:
        places.append(Place(short, STREET, code, name, weak=True))
    return places
