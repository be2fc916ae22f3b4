"""Every write to incidents, instructions, requests and deadlines goes through a function here.

Each action is keyword-only, typed and atomic; it takes its row locks in the one order written in
`locks.py` (incident → instruction → request → deadline → attachment), checks the transition table
(lifecycle.py) and the business rules (rules.py) before it changes anything, appends events of an
enumerated kind (events.py), and writes notifications in the same transaction. Callers (the API, the
screens, the admin, workers, the city link) check access first (access.py) and never save state.

The package is split by aggregate:

| module | actions |
| --- | --- |
| `kernel.py`, `locks.py` | events and their hooks, notifications, tables, input, the lock order |
| `intake.py` | manual entry, the city's hand-over, supplements and urges from the city, phone reveal |
| `incident.py` | dispatch, return to the city, merge, add units, withdraw |
| `closing.py` | close, call back, reopen after an unsatisfied call-back |
| `instruction.py` | sign, caller contact, first feedback, result |
| `attachments.py` | uploads checked by content, linked on use, unused ones removed |
| `requests.py` | return, join and extension requests; the leader's sign-off; cancellation |
| `decisions.py` | urge, reassign, accept/send back results, decide returns, joins, extensions |
| `deadlines.py` | clocks: created, completed, stopped, extended, paused, held, recomputed |
| `watch.py` | the deadline watch: warnings, breaches, supervision proposals (exactly once) |
| `anonymise.py` | the caller's name and phone removed from finished incidents after the retention period |

City-link actions (inbound messages, report resend) live in `liandong.citylink.actions`.
"""

from liandong.incidents.actions.anonymise import (
    anonymisable_incidents,
    do_anonymise_closed_incidents,
    do_anonymise_incident,
)
from liandong.incidents.actions.attachments import (
    ALLOWED_ATTACHMENT_TYPES,
    do_remove_unused_attachments,
    do_upload_attachment,
    remove_unused_attachments,
    sweep_attachment_files,
)
from liandong.incidents.actions.closing import do_close_incident, do_record_call_back
from liandong.incidents.actions.decisions import (
    do_accept_result,
    do_decide_extension,
    do_decide_join_request,
    do_decide_return_request,
    do_insist_on_instruction,
    do_reassign_instruction,
    do_send_back_result,
    do_urge_instruction,
)
from liandong.incidents.actions.incident import (
    do_add_units,
    do_dispatch_incident,
    do_merge_incident,
    do_return_to_city,
    do_stand_down_instruction,
    do_withdraw_incident,
)
from liandong.incidents.actions.instruction import (
    do_give_feedback,
    do_record_caller_contact,
    do_report_result,
    do_sign_instruction,
)
from liandong.incidents.actions.intake import (
    do_city_urge_incident,
    do_claim_incident,
    do_create_manual_incident,
    do_receive_city_incident,
    do_record_phone_reveal,
    do_supplement_incident,
)
from liandong.incidents.actions.kernel import (
    OFFICE_CODE,
    register_event_hook,
    register_notification_hook,
)
from liandong.incidents.actions.recompute import do_recompute_chunk, recompute_until_done
from liandong.incidents.actions.requests import (
    do_leader_decide_extension,
    do_request_extension,
    do_request_join,
    do_request_return,
)
from liandong.incidents.actions.watch import do_watch_round, watch_until_idle
from liandong.incidents.models import RESULT_OUTCOMES

__all__ = [
    "ALLOWED_ATTACHMENT_TYPES",
    "OFFICE_CODE",
    "RESULT_OUTCOMES",
    "anonymisable_incidents",
    "do_accept_result",
    "do_anonymise_closed_incidents",
    "do_anonymise_incident",
    "do_add_units",
    "do_city_urge_incident",
    "do_close_incident",
    "do_create_manual_incident",
    "do_decide_extension",
    "do_decide_join_request",
    "do_decide_return_request",
    "do_dispatch_incident",
    "do_give_feedback",
    "do_insist_on_instruction",
    "do_leader_decide_extension",
    "do_merge_incident",
    "do_reassign_instruction",
    "do_receive_city_incident",
    "do_recompute_chunk",
    "do_record_call_back",
    "do_record_caller_contact",
    "do_claim_incident",
    "do_record_phone_reveal",
    "do_remove_unused_attachments",
    "do_report_result",
    "do_request_extension",
    "do_request_join",
    "do_request_return",
    "do_return_to_city",
    "do_send_back_result",
    "do_sign_instruction",
    "do_supplement_incident",
    "do_upload_attachment",
    "do_stand_down_instruction",
    "do_withdraw_incident",
    "do_urge_instruction",
    "recompute_until_done",
    "remove_unused_attachments",
    "register_event_hook",
    "register_notification_hook",
    "do_watch_round",
    "watch_until_idle",
    "sweep_attachment_files",
]
