"""The office's incident page (triage and dispatch, the instructions, the timeline, the reports)
and manual entry. Every button is rendered from available_actions; every write is one action."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import CharField, Prefetch, Value
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from liandong import clock
from liandong.accounts.models import User
from liandong.citylink import backlog
from liandong.common.errors import DomainError, InvalidInput, NotFound
from liandong.incidents import access, actions, available, selectors
from liandong.incidents.lifecycle import REQUEST_STATE_LABELS, IncidentStatus, RequestState
from liandong.incidents.models import Incident, Instruction, Level, Satisfaction
from liandong.incidents.repeat_selectors import repeat_candidates
from liandong.incidents.urgency import URGENT
from liandong.supervision.selectors import may_issue
from liandong.triage.selectors import proposal_dict, propose_for_incident
from liandong.units import reference
from liandong.web.common import (
    login_required_for,
    optional_unit,
    run_action,
    unit_from,
    units_from,
    user_of,
)
from liandong.web.console import claim_of, intake, linkage_units, office_page, page

REQUEST_LABELS = {"extension": "延期申请", "join": "提请联动", "return": "退回申请"}


def _pending_requests(user: User, incident: Incident) -> list[dict[str, Any]]:
    """Requests on the incident's instructions that wait for someone, for the instruction cards
    (the three kinds read in one query)."""
    waiting = [RequestState.PENDING_LEADER, RequestState.PENDING_OFFICE]
    columns = ("kind", "pk", "instruction_id", "state", "reason")
    kinds = [
        qs.filter(instruction__incident=incident, state__in=waiting)
        .annotate(kind=Value(kind, output_field=CharField()))
        .values_list(*columns)
        .order_by()
        for kind, qs in (
            ("extension", access.visible_extension_requests(user)),
            ("join", access.visible_join_requests(user)),
            ("return", access.visible_return_requests(user)),
        )
    ]
    rows = kinds[0].union(*kinds[1:], all=True)
    order = list(REQUEST_LABELS)
    states = REQUEST_STATE_LABELS
    return [
        {
            "instruction_id": instruction_id,
            "label": f"{REQUEST_LABELS[kind]}·{states.get(state, state)}",
            "reason": reason,
        }
        for kind, _, instruction_id, state, reason in sorted(
            rows, key=lambda r: (order.index(r[0]), r[1])
        )
    ]


def _incident_with_instructions(user: User, incident_id: str) -> Incident:
    """The incident (through the gate) with everything its page shows of its instructions,
    loaded once: the cards, their deadlines, caller contacts and attachments, and what the
    available actions read (incidents/available.py uses the loaded rows)."""
    incident = (
        access.visible_incidents(user)
        .filter(incident_id=incident_id)
        .select_related("category", "street", "merged_into", "claimed_by__unit")
        .prefetch_related(
            Prefetch(
                "instructions",
                queryset=selectors.instruction_columns(Instruction.objects.order_by("id")),
            )
        )
        .first()
    )
    if incident is None:
        raise NotFound("警情不存在或无权查看", code="unknown_incident")
    selectors.load_instruction_rows(list(incident.instructions.all()))
    return incident


@office_page
def incident_page(request: HttpRequest, incident_id: str) -> HttpResponse:
    user = user_of(request)
    incident = _incident_with_instructions(user, incident_id)
    # the office reads every instruction (office_page: reads_everything)
    instructions = list(incident.instructions.all())
    all_offers = available.available_actions(user, incident)
    offers = {o.action: o for o in all_offers if o.allowed}
    # The triage model's proposal (with its reasons) while the office may dispatch; the form is
    # pre-filled from it, and the dispatcher confirms or corrects (the correction is recorded).
    triage = proposal_dict(propose_for_incident(incident)) if "dispatch" in offers else None
    suggested = incident.category or (
        reference.category_with_code(triage["category"]) if triage else None
    )
    proposal = selectors.triage_proposal(incident, suggested) if suggested else None
    if proposal is not None and triage is not None:
        proposal.update(
            primary_unit=triage["primary_unit"],
            cooperating_units=triage["cooperating_units"],
            street=triage["street"],
        )
    proposal_codes = [u["code"] for u in proposal["cooperating_units"]] if proposal else []
    merge_targets = (
        access.visible_incidents(user)
        .filter(status__in=[IncidentStatus.NEW, IncidentStatus.DISPATCHED])
        .exclude(pk=incident.pk)
        .order_by("-received_at")[:50]
        if "merge" in offers
        else []
    )
    elapsed_end = incident.closed_at or incident.withdrawn_at or clock.now()
    return page(
        request,
        "web/office/incident.html",
        "console",
        **{
            "incident": incident,
            "detail": {
                "elapsed_seconds": int((elapsed_end - incident.received_at).total_seconds())
            },
            "offers": offers,
            "refused": {o.action: o for o in all_offers if not o.allowed},
            "may_reveal_caller": access.may_reveal_caller(user, incident),
            "cards": [{"i": i, "offers": available.allowed(user, i)} for i in instructions],
            "timeline": [
                {**e, "when": datetime.fromisoformat(e["occurred_at"])}
                for e in selectors.timeline(user, incident)
            ],
            "reports": backlog.reports(user, incident_id=incident.incident_id, limit=200)[::-1],
            "categories": reference.active_categories(),
            # the proposed cooperating units first, so they are in view in the list
            "units": sorted(linkage_units(), key=lambda u: u.code not in proposal_codes),
            "streets": reference.streets(),
            "suggested": suggested,
            "proposal": proposal,
            "proposal_codes": proposal_codes,
            "triage": triage,
            "proposed_class": (
                triage["incident_class"]
                if triage
                else ("linked_disposal" if incident.police_dispatched else "source_diversion")
            ),
            # requests hang off instructions: a new incident has none to read
            "pending_requests": _pending_requests(user, incident) if instructions else [],
            "merge_targets": merge_targets,
            "repeat_candidates": repeat_candidates(incident) if "merge" in offers else [],
            "may_issue": may_issue(user),
            "levels": Level.choices,
            "satisfaction_choices": Satisfaction.choices,
            # urgent in the queue (the city says so, police sent, danger in the text): 一级
            "proposed_level": (
                triage["level"] if triage else 1 if incident.intake_priority == URGENT else 2
            ),
            "claimed_by_other": (
                claim_of(incident, clock.now()) if incident.claimed_by_id != user.pk else ""
            ),
        },
    )


@office_page
@require_POST
def claim_incident(request: HttpRequest, incident_id: str) -> JsonResponse:
    """The incident page claims a waiting incident for the dispatcher who opened it (正在研判)."""
    user = user_of(request)
    incident = access.access_incident_for_office_action(user, incident_id)
    try:
        actions.do_claim_incident(actor=user, incident=incident)
    except DomainError as exc:  # dispatched meanwhile: nothing to claim
        return JsonResponse({"claimed": False, "message": exc.message}, status=409)
    return JsonResponse({"claimed": True})


def next_waiting(user: User, after: Incident) -> str | None:
    """The next incident to triage after `after`: first in the queue's order, not claimed by
    someone else (a claim that still holds)."""
    now = clock.now()
    for candidate in intake(user):
        if candidate.pk != after.pk and not (
            candidate.claimed_by_id not in (None, user.pk) and claim_of(candidate, now)
        ):
            return reverse("incident", args=[candidate.incident_id])
    return None


@login_required_for(lambda user: user.is_active)
@require_POST
def reveal_phone(request: HttpRequest, incident_id: str) -> JsonResponse:
    """The reveal button of the incident page and of the unit's instruction page: the caller's
    full name and phone for whom the gate allows (404 unseen, 403 refused), on record."""
    user = user_of(request)
    incident = access.access_incident_for_caller_reveal(user, incident_id)
    actions.do_record_phone_reveal(actor=user, incident=incident)
    return JsonResponse(
        {"caller_phone": incident.caller_phone, "caller_name": incident.caller_name}
    )


def _incident_handlers(
    request: HttpRequest, user: User, incident: Incident
) -> dict[str, tuple[Any, str]]:
    post = request.POST

    def dispatch() -> None:
        category = reference.category_with_code(post.get("category", ""))
        if category is None:
            raise InvalidInput.one("category", "required", "请选择事项类别")
        level = post.get("level", "")
        actions.do_dispatch_incident(
            actor=user,
            incident=incident,
            incident_class=post.get("incident_class", ""),
            level=int(level) if level.isdigit() else 0,
            category=category,
            primary_unit=unit_from(request, "primary_unit"),
            cooperating_units=units_from(request, "cooperating_units"),
            street=optional_unit(request, "street"),
            note=post.get("note", ""),
        )

    def merge() -> None:
        into = post.get("into", "")
        target = access.visible_incidents(user).filter(incident_id=into).first()
        if target is None:
            raise InvalidInput.one("into", "required", "请选择要合并到的警情")
        actions.do_merge_incident(actor=user, incident=incident, into=target)

    return {
        "dispatch": (dispatch, "已派发"),
        "return-to-city": (
            lambda: actions.do_return_to_city(
                actor=user, incident=incident, reason=post.get("reason", "")
            ),
            "已退回市平台",
        ),
        "merge": (merge, "已合并为重复警情"),
        "add-units": (
            lambda: actions.do_add_units(
                actor=user,
                incident=incident,
                units=units_from(request, "units"),
                reason=post.get("reason", ""),
            ),
            "已增派",
        ),
        "close": (
            lambda: actions.do_close_incident(
                actor=user, incident=incident, outcome=post.get("outcome", "")
            ),
            "已办结",
        ),
        "callback": (
            lambda: actions.do_record_call_back(
                actor=user,
                incident=incident,
                satisfaction=post.get("satisfaction", ""),
                note=post.get("note", ""),
                reopen=post.get("reopen") == "on",
            ),
            "已记录回访",
        ),
        "withdraw": (
            lambda: actions.do_withdraw_incident(
                actor=user, incident=incident, reason=post.get("reason", ""), by_city=False
            ),
            "已撤回，全部处置已停止",
        ),
    }


@office_page
@require_POST
def incident_action(request: HttpRequest, incident_id: str, action: str) -> HttpResponse:
    user = user_of(request)
    incident = access.access_incident_for_office_action(user, incident_id)
    handlers = _incident_handlers(request, user, incident)
    if action not in handlers:
        return redirect("incident", incident_id)
    call, done = handlers[action]
    then_next = action == "dispatch" and request.POST.get("then") == "next"
    return run_action(
        request,
        reverse("incident", args=[incident_id]),
        call,
        done,
        after=(lambda: next_waiting(user, incident) or reverse("console")) if then_next else None,
    )


def safe_next(request: HttpRequest, fallback: str) -> str:
    """Where to go after a form: the posted `next` if it stays on this site, else `fallback`."""
    wanted = request.POST.get("next", "")
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return fallback


@office_page
@require_POST
def instruction_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = user_of(request)
    inst = access.access_instruction_for_office_action(user, pk)
    post = request.POST
    handlers = {
        "urge": (
            lambda: actions.do_urge_instruction(
                actor=user, instruction=inst, note=post.get("note", "")
            ),
            "已催办",
        ),
        "reassign": (
            lambda: actions.do_reassign_instruction(
                actor=user,
                instruction=inst,
                unit=unit_from(request, "unit"),
                reason=post.get("reason", ""),  # type: ignore[arg-type]
            ),
            "已改派",
        ),
        "stand-down": (
            lambda: actions.do_stand_down_instruction(
                actor=user, instruction=inst, reason=post.get("reason", "")
            ),
            "已撤销该单位的指令",
        ),
        "accept": (
            lambda: actions.do_accept_result(
                actor=user, instruction=inst, note=post.get("note", "")
            ),
            "处置结果已审核通过",
        ),
        "send-back": (
            lambda: actions.do_send_back_result(
                actor=user, instruction=inst, reason=post.get("reason", "")
            ),
            "处置结果已退回",
        ),
    }
    back = safe_next(request, reverse("incident", args=[inst.incident.incident_id]))
    if action not in handlers:
        return redirect(back)
    call, done = handlers[action]
    return run_action(request, back, call, done)


@office_page
def new_incident(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    if request.method == "POST":
        access.require_office(user)
        created: list[Incident] = []

        def create() -> None:
            created.append(
                actions.do_create_manual_incident(
                    actor=user,
                    caller_phone=request.POST.get("caller_phone", ""),
                    caller_name=request.POST.get("caller_name", ""),
                    address=request.POST.get("address", ""),
                    content=request.POST.get("content", ""),
                    police_dispatched=request.POST.get("police_dispatched") == "on",
                )
            )

        response = run_action(request, reverse("new-incident"), create, "已录入")
        return redirect("incident", created[0].incident_id) if created else response
    return page(request, "web/office/new_incident.html", "console")
