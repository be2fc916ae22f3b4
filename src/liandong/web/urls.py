from django.urls import path

from liandong.web import console, decisions, inbox, incident, unit, views

urlpatterns = [
    path("", views.home, name="home"),
    path("console/", console.console, name="console"),
    path("console/live", console.live, name="console-live"),
    path("console/board", console.board_rows, name="console-board"),
    path("console/incidents/", console.incident_list, name="incident-list"),
    path("console/incidents/new", incident.new_incident, name="new-incident"),
    path("console/incidents/<str:incident_id>/", incident.incident_page, name="incident"),
    path(
        "console/incidents/<str:incident_id>/reveal-phone",
        incident.reveal_phone,
        name="reveal-phone",
    ),
    path(
        "console/incidents/<str:incident_id>/<slug:action>",
        incident.incident_action,
        name="incident-action",
    ),
    path(
        "console/instructions/<int:pk>/<slug:action>",
        incident.instruction_action,
        name="instruction-action",
    ),
    path("console/decisions/", decisions.decisions, name="decisions"),
    path("console/decisions/<slug:kind>/<int:pk>", decisions.decide, name="decide"),
    path("console/city-reports/", console.city_reports, name="city-reports"),
    path("console/city-reports/<int:pk>/resend", console.resend_report, name="resend-report"),
    path("notifications/", inbox.notifications, name="notifications"),
    path("notifications/<int:pk>/open", inbox.open_notification, name="notification-open"),
    path("notifications/read-all", inbox.read_all, name="notifications-read-all"),
    path("live", inbox.live, name="live"),
    path("help/", views.help_page, name="help"),
    path("unit/", unit.workbench, name="unit-workbench"),
    path("unit/rows", unit.workbench_rows, name="unit-rows"),
    path("unit/instructions/<int:pk>/", unit.instruction_page, name="unit-instruction"),
    path("unit/instructions/<int:pk>/<slug:action>", unit.unit_action, name="unit-action"),
    path("unit/approvals/", unit.approvals, name="unit-approvals"),
    path("unit/approvals/<int:pk>", unit.approve, name="unit-approve"),
]
