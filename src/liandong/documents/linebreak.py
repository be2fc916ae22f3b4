"""Breaking Chinese text into lines (for the PDF): any character may end a line, ASCII runs (incident
numbers, phone numbers, percentages) stay whole, and the usual rules of Chinese typesetting (避头尾)
keep closing punctuation off the start of a line and opening brackets off its end."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

# May not start a line.
START_FORBIDDEN = frozenset("，。、；：？！）》」』】〕〉”’…%％·,.;:?!)]}")
# May not end a line.
END_FORBIDDEN = frozenset("（《「『【〔〈“‘([{")

_TOKEN = re.compile(r"[!-~]+|\s|.", re.DOTALL)

Width = Callable[[str], float]


def tokens(text: str) -> list[str]:
    """Runs of printable ASCII, single spaces, and single other characters."""
    return _TOKEN.findall(text)


def break_lines(text: str, width: Width, max_width: float, first_indent: float = 0.0) -> list[str]:
    """Greedy line breaking of `text` into lines no wider than `max_width` (the first line less
    `first_indent`), as far as the punctuation rules allow."""
    queue = tokens(text)
    lines: list[str] = []
    line: list[str] = []
    used = 0.0
    limit = max_width - first_indent
    i = 0
    while i < len(queue):
        tok = queue[i]
        w = width(tok)
        if not line and tok.isspace():
            i += 1
            continue
        if used + w <= limit + 1e-6:
            line.append(tok)
            used += w
            i += 1
            continue
        if len(tok) > 1 and w > max_width:
            queue[i : i + 1] = list(tok)  # an ASCII run longer than a line: break it anywhere
            continue
        if not line:  # a single character wider than the line: it stands alone
            line.append(tok)
            i += 1
            continue
        carry: list[str] = []
        if tok[0] in START_FORBIDDEN and len(line) > 1:
            carry.insert(0, line.pop())  # take the previous character down with the punctuation
        while len(line) > 1 and line[-1][-1] in END_FORBIDDEN:
            carry.insert(0, line.pop())
        lines.append("".join(line).rstrip())
        line = carry
        used = sum(width(t) for t in line)
        limit = max_width
    if line or not lines:
        lines.append("".join(line).rstrip())
    return lines


# Where a title may break (回行时词意完整): after these at no cost, after the usual endings of
# a body's name at a small cost, anywhere else at a higher one.
_BREAK_AFTER = frozenset("的、，")
_BREAK_BEFORE = ("关于", "和", "及", "与")
_NAME_ENDINGS = frozenset("局委办室道位司府区会院队所站心份")


def _break_cost(before: str, after: str) -> float:
    if before[-1] in _BREAK_AFTER or after.startswith(_BREAK_BEFORE):
        return 0.0
    if before[-1] in _NAME_ENDINGS:
        return 0.2
    return 0.6


def title_lines(text: str, width: Width, max_width: float) -> list[str]:
    """A title's lines: one if it fits; two broken where the words allow and the lines balance;
    more (a very long title) balanced by length."""
    total = width(text)
    if total <= max_width + 1e-6:
        return [text]
    toks = tokens(text)
    best: tuple[float, list[str]] | None = None
    for k in range(1, len(toks)):
        first, second = "".join(toks[:k]).rstrip(), "".join(toks[k:]).lstrip()
        if not first or not second or second[0] in START_FORBIDDEN or first[-1] in END_FORBIDDEN:
            continue
        w1, w2 = width(first), width(second)
        if max(w1, w2) > max_width + 1e-6:
            continue
        cost = abs(w1 - w2) / max_width + _break_cost(first, second)
        if best is None or cost < best[0]:
            best = (cost, [first, second])
    return best[1] if best else balanced_lines(text, width, max_width)


def balanced_lines(text: str, width: Width, max_width: float) -> list[str]:
    """Lines of about equal length (for a title that spans lines: the first line not shorter)."""
    total = width(text)
    count = max(1, math.ceil(total / max_width - 1e-6))
    if count == 1:
        return [text]
    target = total / count
    step = max(width("中"), 1e-3) / 4
    while True:
        lines = break_lines(text, width, min(max_width, target))
        if len(lines) <= count or target >= max_width:
            return lines
        target += step
