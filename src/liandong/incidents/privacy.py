"""The caller's personal data (个人信息): the rules, in one place. Pure Python.

- Every list, API answer, screen and export shows the caller's name and phone masked
  (`mask_name`, `mask_phone`, `mask_request`); the full values only through a reveal, and each
  reveal is recorded (the action `do_record_phone_reveal`).
- Who may reveal (`reveal_refusal`): the office's dispatchers and supervisors (they call the caller
  back) and the people of a unit holding the PRIMARY instruction of the incident (a tier-1 primary
  unit must call the caller within minutes of signing). Not a cooperating unit, not the district
  leadership, not an administrator: none of them calls the caller. The gate (access.py) asks here.
- A closed incident is anonymised after a configurable period (`anonymised_request`,
  `scrub_text`): the caller's name and phone are replaced, everything the statistics count stays.

The address is not masked: it is where the incident happened, which every unit needs on site.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

#: The fields of a request (the city's hand-over, a manual entry) that name the caller.
PERSONAL_FIELDS = ("caller_name", "caller_phone")
#: What an anonymised incident keeps in place of its caller's name and phone.
ANONYMISED_NAME = ""
ANONYMISED_PHONE = ""
#: What replaces the phone or name where it appears inside a text.
ANONYMISED_MARK = "［已匿名］"

REVEAL_REFUSAL = "只有区联动办调度员、督办员和主责单位可以查看报警人完整信息"
ANONYMISED_REFUSAL = "该警情的报警人信息已按规定匿名化"


def mask_phone(phone: str) -> str:
    """138****5678: the first three and the last four digits of a long number; the last two of a
    short one; nothing of a very short one."""
    phone = phone or ""
    n = len(phone)
    if n <= 4:
        return "*" * n
    if n < 9:
        return "*" * (n - 2) + phone[-2:]
    return phone[:3] + "*" * (n - 7) + phone[-4:]


def mask_name(name: str) -> str:
    """张*: the family name (the first character) and a star for each other character."""
    name = (name or "").strip()
    if len(name) <= 1:
        return "*" * len(name)
    return name[0] + "*" * (len(name) - 1)


def mask_request(request: Mapping[str, Any] | None) -> dict[str, Any]:
    """A stored request with the caller's name and phone masked (other fields as they were)."""
    masked = dict(request or {})
    if isinstance(masked.get("caller_name"), str):
        masked["caller_name"] = mask_name(masked["caller_name"])
    if isinstance(masked.get("caller_phone"), str):
        masked["caller_phone"] = mask_phone(masked["caller_phone"])
    return masked


def anonymised_request(request: Mapping[str, Any] | None) -> dict[str, Any]:
    """A stored request with the caller's name and phone removed for good."""
    cleaned = dict(request or {})
    for field, blank in zip(PERSONAL_FIELDS, (ANONYMISED_NAME, ANONYMISED_PHONE), strict=True):
        if field in cleaned:
            cleaned[field] = blank
    return cleaned


def scrub_text(text: str, *, phone: str, name: str) -> str:
    """`text` with the caller's phone (and name, when it is long enough not to match ordinary
    words) replaced by a mark."""
    if phone and len(phone) >= 3:
        text = text.replace(phone, ANONYMISED_MARK)
    if name and len(name) >= 2:
        text = text.replace(name, ANONYMISED_MARK)
    return text


def reveal_refusal(
    *,
    office: bool,
    unit_id: int | None,
    primary_holders: Collection[int],
    anonymised: bool,
) -> str | None:
    """None when the person may see the caller's full name and phone, else why not.

    `office`: a dispatcher or a supervisor; `unit_id`: the unit of a unit's duty officer or
    leader (None for anyone else); `primary_holders`: the units that hold the incident's primary
    instruction (not reassigned away, cancelled or done); `anonymised`: nothing is left to show."""
    if anonymised:
        return ANONYMISED_REFUSAL
    if office:
        return None
    if unit_id is not None and unit_id in primary_holders:
        return None
    return REVEAL_REFUSAL
