"""`liandong audit verify` on a live system: what commits while it walks (here a dispatch, by
another connection, between its walk of the entries and its walk of the events) is not reported
as an event without an entry, since the whole check reads one snapshot (audit/verify.py)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from liandong.audit import verify as verify_module
from liandong.audit.services import do_seal
from liandong.incidents.models import Event
from tests.factories import dispatched

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _dispatch_elsewhere() -> None:
    """A dispatch committed by another connection (a person at the console)."""

    def work() -> None:
        try:
            dispatched()
        finally:
            connection.close()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(30)
    assert not thread.is_alive()


def test_what_commits_during_the_walk_is_not_reported_missing(monkeypatch):
    dispatched()
    do_seal()
    before = Event.objects.count()
    walked = verify_module._covered

    def walk_then_dispatch():
        yield from walked()
        _dispatch_elsewhere()  # after the entries were read, before the events are

    monkeypatch.setattr(verify_module, "_covered", walk_then_dispatch)
    report = verify_module.verify()
    assert report.ok, report.problem
    assert report.events == before
    assert Event.objects.count() > before  # the dispatch did commit meanwhile
