from django.urls import path

from liandong.web import office, unit, views

urlpatterns = [
    path("", views.home, name="home"),
    path("console/", office.console, name="console"),
    path("console/live", office.live, name="console-live"),
    path("console/incidents/", office.incident_list, name="incident-list"),
    path("console/incidents/new", office.new_incident, name="new-incident"),
    path("console/incidents/<str:incident_id>/", office.incident_page, name="incident"),
    path(
        "console/incidents/<str:incident_id>/reveal-phone", office.reveal_phone, name="reveal-phone"
    ),
    path(
        "console/incidents/<str:incident_id>/<slug:action>",
        office.incident_action,
        name="incident-action",
    ),
    path(
        "console/instructions/<int:pk>/<slug:action>",
        office.instruction_action,
        name="instruction-action",
    ),
    path("console/decisions/", office.decisions, name="decisions"),
    path("console/decisions/<slug:kind>/<int:pk>", office.decide, name="decide"),
    path("console/city-reports/", office.city_reports, name="city-reports"),
    path("console/city-reports/<int:pk>/resend", office.resend_report, name="resend-report"),
    path("unit/", unit.workbench, name="unit-workbench"),
    path("unit/instructions/<int:pk>/", unit.instruction_page, name="unit-instruction"),
    path("unit/instructions/<int:pk>/<slug:action>", unit.unit_action, name="unit-action"),
    path("unit/approvals/", unit.approvals, name="unit-approvals"),
    path("unit/approvals/<int:pk>", unit.approve, name="unit-approve"),
]
