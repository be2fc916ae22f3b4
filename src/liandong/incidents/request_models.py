"""What units ask of the office about an instruction (to hand it back, to bring in other units, to
have more time) and the urges they receive. Registered with the incidents app (imported by its
models module); state fields change only through the actions."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from liandong.incidents.lifecycle import REQUEST_STATE_LABELS, RequestState
from liandong.incidents.models import Attachment, Instruction, _choices


def _waiting_index(name: str) -> models.Index:
    """The requests that wait for someone (few, of very many): every office page counts them."""
    return models.Index(
        fields=["state"],
        name=name,
        condition=models.Q(state__in=[RequestState.PENDING_LEADER, RequestState.PENDING_OFFICE]),
    )


class _Request(models.Model):
    instruction = models.ForeignKey(
        Instruction, verbose_name="指令", on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField("状态", max_length=20, choices=_choices(REQUEST_STATE_LABELS))
    reason = models.TextField("原因")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(
        "申请时间",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审核人",
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField("审核时间", null=True)
    decision_note = models.TextField("审核意见", blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]


class ReturnRequest(_Request):
    """A unit hands back an instruction as not its responsibility (退回)."""

    state_before = models.CharField("申请前状态", max_length=20)
    reassigned_to = models.ForeignKey(
        Instruction, verbose_name="改派指令", null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta(_Request.Meta):
        verbose_name = "退回申请"
        verbose_name_plural = "退回申请"
        indexes = [_waiting_index("return_request_waiting")]

    def __str__(self) -> str:
        return f"退回申请 #{self.pk}"


class JoinRequest(_Request):
    """A unit asks the office to bring in other units (提请联动)."""

    units = models.ManyToManyField("units.Unit", verbose_name="提请单位", related_name="+")
    approved_units = models.ManyToManyField(
        "units.Unit", verbose_name="同意增派单位", related_name="+", blank=True
    )

    class Meta(_Request.Meta):
        verbose_name = "提请联动"
        verbose_name_plural = "提请联动"
        indexes = [_waiting_index("join_request_waiting")]

    def __str__(self) -> str:
        return f"提请联动 #{self.pk}"


class ExtensionRequest(_Request):
    """A progress report with a request for more time (进展报告/延期申请)."""

    progress = models.TextField("进展情况")
    proposed_due_at = models.DateTimeField("申请延至")
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审批领导",
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    leader_decided_at = models.DateTimeField("领导审批时间", null=True)
    leader_note = models.TextField("领导意见", blank=True)
    granted_due_at = models.DateTimeField("批准延至", null=True)
    document = models.ForeignKey(
        Attachment, verbose_name="盖章扫描件", null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta(_Request.Meta):
        verbose_name = "延期申请"
        verbose_name_plural = "延期申请"
        indexes = [_waiting_index("extension_request_waiting")]

    def __str__(self) -> str:
        return f"延期申请 #{self.pk}"


class Urge(models.Model):
    """A recorded reminder (催办) to a unit about one instruction, from the office or the city."""

    instruction = models.ForeignKey(
        Instruction, verbose_name="指令", on_delete=models.PROTECT, related_name="urges"
    )
    by_city = models.BooleanField("市平台催办", default=False)
    note = models.TextField("催办内容", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="催办人",
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(
        "催办时间",
    )

    class Meta:
        verbose_name = "催办记录"
        verbose_name_plural = "催办记录"

    def __str__(self) -> str:
        return f"催办 #{self.pk}"
