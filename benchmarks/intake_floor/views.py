"""The floor's one view (and its URLs): parse the JSON body, commit it as one row, answer 201."""

import json

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from intake_floor.models import Row


@csrf_exempt
def receive(request: HttpRequest) -> HttpResponse:
    payload = json.loads(request.body)
    with transaction.atomic():
        row = Row.objects.create(
            key=payload["incident_id"], body=request.body.decode(), created_at=timezone.now()
        )
    return JsonResponse({"id": row.pk, "status": "accepted"}, status=201)


urlpatterns = [path("api/city/v1/incidents", receive)]
