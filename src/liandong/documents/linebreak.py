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
    """A title's lines: as few as fit, of about equal length, each break where the words allow
    (回行时词意完整, 排列对称)."""
    if width(text) <= max_width + 1e-6:
        return [text]
    toks = tokens(text)
    n = len(toks)

    def segment(a: int, b: int) -> str:
        return "".join(toks[a:b]).strip()

    def usable(a: int, b: int) -> bool:
        line = segment(a, b)
        return bool(line) and width(line) <= max_width + 1e-6 and line[0] not in START_FORBIDDEN

    for count in range(math.ceil(width(text) / max_width - 1e-6), n + 1):
        target = width(text) / count
        # best[k][j]: the cost of the first j tokens in k lines, and where the last line starts.
        best: list[dict[int, tuple[float, int]]] = [{0: (0.0, 0)}] + [{} for _ in range(count)]
        for k in range(1, count + 1):
            for end in range(1, n + 1):
                for start, (cost, _) in best[k - 1].items():
                    if start >= end or not usable(start, end):
                        continue
                    line = segment(start, end)
                    if end < n and line[-1] in END_FORBIDDEN:
                        continue
                    extra = abs(width(line) - target) / max_width
                    if end < n:
                        extra += _break_cost(line, segment(end, n))
                    if end not in best[k] or cost + extra < best[k][end][0]:
                        best[k][end] = (cost + extra, start)
        if n in best[count]:
            lines: list[str] = []
            end = n
            for k in range(count, 0, -1):
                start = best[k][end][1]
                lines.insert(0, segment(start, end))
                end = start
            return lines
    return balanced_lines(text, width, max_width)


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
