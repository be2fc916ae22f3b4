"""The shipped catalogues that complete Django's Simplified Chinese: every entry of each .po is in
its compiled .mo (recompile with msgfmt after editing a .po)."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest

LOCALE = (
    Path(__file__).resolve().parents[2] / "src" / "liandong" / "locale" / "zh_Hans" / "LC_MESSAGES"
)


def entries(po: Path) -> dict[str, str]:
    text = po.read_text(encoding="utf-8")
    found = {}
    for msgid, msgstr in re.findall(r'^msgid "(.+)"\nmsgstr "(.*)"$', text, re.M):
        found[msgid.replace('\\"', '"')] = msgstr.replace('\\"', '"')
    return found


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_every_entry_is_compiled(domain: str) -> None:
    expected = entries(LOCALE / f"{domain}.po")
    assert expected
    with (LOCALE / f"{domain}.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    for msgid, msgstr in expected.items():
        assert msgstr and compiled.gettext(msgid) == msgstr, msgid
