"""Finding the Chinese fonts a PDF is rendered with, at run time, on this machine.

Nothing is fetched: the fonts come from Debian packages (fonts-noto-cjk, and optionally
fonts-arphic-ukai for 楷体 headings, fonts-wqy-zenhei or fonts-arphic-uming as substitutes), or from
the file named by `LIANDONG_CJK_FONT`, which then serves every role.

The .docx names the official fonts instead (仿宋_GB2312 and the rest, see `docx_render.py`): the office
PCs that open it have them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ENV_VAR = "LIANDONG_CJK_FONT"

_NOTO = "/usr/share/fonts/opentype/noto/"
_WQY = "/usr/share/fonts/truetype/wqy/"
_ARPHIC = "/usr/share/fonts/truetype/arphic/"

# (path, family name of the face to take from a collection), best first, per role.
_SERIF = [
    (_NOTO + "NotoSerifCJK-Regular.ttc", "Noto Serif CJK SC"),  # fonts-noto-cjk
    (_ARPHIC + "uming.ttc", "AR PL UMing CN"),  # fonts-arphic-uming
    (_WQY + "wqy-zenhei.ttc", "WenQuanYi Zen Hei"),  # fonts-wqy-zenhei
    (_WQY + "wqy-microhei.ttc", "WenQuanYi Micro Hei"),  # fonts-wqy-microhei
]
_SANS = [
    (_NOTO + "NotoSansCJK-Regular.ttc", "Noto Sans CJK SC"),
    (_WQY + "wqy-zenhei.ttc", "WenQuanYi Zen Hei"),
    (_WQY + "wqy-microhei.ttc", "WenQuanYi Micro Hei"),
]
CANDIDATES: dict[str, list[tuple[str, str]]] = {
    "song": _SERIF,
    "song_bold": [(_NOTO + "NotoSerifCJK-Bold.ttc", "Noto Serif CJK SC"), *_SERIF],
    "hei": [*_SANS, *_SERIF],
    "kai": [(_ARPHIC + "ukai.ttc", "AR PL UKai CN"), *_SERIF],  # fonts-arphic-ukai
}

NOT_FOUND = (
    "未找到可用于生成 PDF 的中文字体。请安装 Debian 软件包 fonts-noto-cjk"
    "（apt-get install fonts-noto-cjk），或将环境变量 LIANDONG_CJK_FONT 设为中文字体文件"
    "（.ttf、.otf 或 .ttc）的完整路径。"
)


class CJKFontNotFound(RuntimeError):
    """No Chinese font on this machine (the message is for the administrator, in Chinese)."""


@dataclass(frozen=True)
class FontFile:
    path: str
    index: int = 0  # the face in a .ttc/.otc collection


@dataclass(frozen=True)
class FontSet:
    song: FontFile  # body text: 仿宋_GB2312 / 宋体
    song_bold: FontFile  # title and masthead: 方正小标宋简体
    hei: FontFile  # first-level headings: 黑体
    kai: FontFile  # second-level headings: 楷体_GB2312


_SIMPLIFIED_HINTS = (" SC", " CN", "GB", "Hans", "SC ", "简")


@lru_cache(maxsize=64)
def face_index(path: str, family: str = "") -> int:
    """The face of a collection to use: the one named `family`, else the first Simplified Chinese
    face, else the first. 0 for a single font file."""
    if not path.lower().endswith((".ttc", ".otc")):
        return 0
    from fontTools.ttLib import TTCollection

    families: list[str] = []
    with TTCollection(path, lazy=True) as collection:
        for font in collection.fonts:
            families.append(str(font["name"].getDebugName(1) or ""))
    if family in families:
        return families.index(family)
    for i, name in enumerate(families):
        if any(hint in name + " " for hint in _SIMPLIFIED_HINTS):
            return i
    return 0


def _first_existing(candidates: list[tuple[str, str]]) -> FontFile | None:
    for path, family in candidates:
        if os.path.isfile(path):
            return FontFile(path, face_index(path, family))
    return None


def find_fonts() -> FontSet:
    """The fonts for a PDF: `LIANDONG_CJK_FONT` for every role if set, else Debian's, by role.

    Raises `CJKFontNotFound` (with a Chinese message) when there is none."""
    override = os.environ.get(ENV_VAR, "").strip()
    if override:
        path = str(Path(override).expanduser())
        if not os.path.isfile(path):
            raise CJKFontNotFound(
                f"环境变量 {ENV_VAR} 指定的字体文件不存在：{override}。{NOT_FOUND}"
            )
        font = FontFile(path, face_index(path))
        return FontSet(song=font, song_bold=font, hei=font, kai=font)
    found = {role: _first_existing(candidates) for role, candidates in CANDIDATES.items()}
    if any(font is None for font in found.values()):
        raise CJKFontNotFound(NOT_FOUND)
    return FontSet(**found)  # type: ignore[arg-type]
