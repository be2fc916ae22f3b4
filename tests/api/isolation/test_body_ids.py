"""Ids named in a request body: another unit's photo cannot be attached to a result or named as an
extension document (422 and nothing changes).
"""

from __future__ import annotations

import json

import pytest

from liandong.accounts.models import User
from liandong.incidents import actions
from liandong.incidents.models import Instruction
from tests.api.isolation.endpoints import FAR_FUTURE, assert_refused, session
from tests.api.isolation.world import PREFIX, A, World, fingerprint
from tests.factories import dispatched, instruction_of, unit_user

# --- ids named in a body --------------------------------------------------------------------------


@pytest.fixture
def working_instruction(world: World) -> tuple[User, Instruction]:
    """A fresh primary instruction of A, signed and with the caller contacted: ready for a result."""
    officer = unit_user(A)
    incident = dispatched(primary=A, cooperating=(), incident_class="source_diversion")
    instruction = instruction_of(incident, A)
    actions.do_sign_instruction(actor=officer, instruction=instruction)
    actions.do_record_caller_contact(actor=officer, instruction=instruction, reached=True)
    return officer, instruction


def test_given_a_photo_of_another_unit_when_a_unit_attaches_it_to_its_result_then_422_and_nothing_changes(
    world, working_instruction
):
    officer, instruction = working_instruction
    before = fingerprint()

    response = session(officer).post(
        f"{PREFIX}/instructions/{instruction.pk}/result",
        json.dumps(
            {"outcome": "resolved", "text": "已修复", "attachment_ids": [world.c_attachment.pk]}
        ),
        content_type="application/json",
    )

    assert_refused(response, 422)
    assert fingerprint() == before
    world.c_attachment.refresh_from_db()
    assert world.c_attachment.instruction_id == world.c_inst.pk


def test_given_a_photo_of_another_unit_when_a_unit_names_it_as_its_extension_document_then_422_and_nothing_changes(
    world, working_instruction
):
    officer, instruction = working_instruction
    before = fingerprint()

    response = session(officer).post(
        f"{PREFIX}/instructions/{instruction.pk}/extension-requests",
        json.dumps(
            {
                "progress": "进行中",
                "reason": "需要时间",
                "proposed_due_at": FAR_FUTURE,
                "document_id": world.c_attachment.pk,
            }
        ),
        content_type="application/json",
    )

    assert_refused(response, 422)
    assert fingerprint() == before
    world.c_attachment.refresh_from_db()
    assert world.c_attachment.instruction_id == world.c_inst.pk
    assert world.c_attachment.purpose == ""
