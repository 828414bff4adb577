"""Celery queues: each task goes to its queue; a worker started without -Q consumes them all."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

from config.celery import app

EXPECTED = {
    "gridgov.notify.tasks.deliver": "notifications",
    "gridgov.notify.tasks.deliver_due": "notifications",
    "gridgov.upstream.tasks.deliver": "upstream",
    "gridgov.upstream.tasks.deliver_due": "upstream",
    "gridgov.hotline.importing.tasks.read_import": "imports",
    "gridgov.hotline.importing.tasks.run_import": "imports",
    "gridgov.hotline.importing.tasks.purge_files": "imports",
    "gridgov.hotline.reconcile.tasks.run_reconciliation": "imports",
    "gridgov.ledger.tasks.read_ledger": "imports",
    "gridgov.ledger.tasks.run_ledger": "imports",
    "gridgov.bulletins.tasks.generate_bulletin": "reports",
    "gridgov.bulletins.tasks.schedule_monthly": "reports",
    "gridgov.analysis.tasks.schedule_weekly": "reports",
    "gridgov.analysis.tasks.sweep_overdue": "reports",
    "gridgov.assessment.tasks.compute_snapshot": "reports",
    "gridgov.core.tasks.heartbeat": "celery",
    "gridgov.core.tasks.ping": "celery",
    "gridgov.cases.tasks.sweep_deadlines": "celery",
    "gridgov.cases.tasks.make_thumbnails": "celery",
    "gridgov.visits.tasks.make_visit_thumbnails": "celery",
    "gridgov.assignments.tasks.sweep_deadlines": "celery",
    "gridgov.hotline.tasks.sweep_deadlines": "celery",
    "gridgov.people.tasks.purge_login_throttles": "celery",
}


def queue_of(name: str) -> str:
    route = app.amqp.router.route({}, name)
    return str(route["queue"].name)


def test_every_task_goes_to_its_queue() -> None:
    app.loader.import_default_modules()
    ours = {name for name in app.tasks if name.startswith("gridgov.")}
    assert ours == set(EXPECTED), "a new task: add it to EXPECTED (and to a route if it is not default work)"
    assert {name: queue_of(name) for name in sorted(ours)} == EXPECTED


def test_beat_tasks_are_all_known_and_routed() -> None:
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert queue_of(entry["task"]) in settings.GRIDGOV_QUEUES


def test_a_worker_without_q_consumes_every_queue() -> None:
    """`make run` (the Procfile) starts one worker with no -Q: it must take every queue."""
    assert set(app.amqp.queues) == set(settings.GRIDGOV_QUEUES)
    procfile = (Path(settings.BASE_DIR) / "Procfile").read_text()
    worker = next(line for line in procfile.splitlines() if line.startswith("worker:"))
    assert " -Q" not in worker and "--queues" not in worker


def test_the_production_units_cover_every_queue() -> None:
    """deploy/systemd: gridgov.target starts one worker per queue, from the template unit."""
    systemd = Path(settings.BASE_DIR) / "deploy" / "systemd"
    target = (systemd / "gridgov.target").read_text()
    assert set(re.findall(r"gridgov-worker@(\w+)\.service", target)) == set(settings.GRIDGOV_QUEUES)
    assert " -Q %i " in (systemd / "gridgov-worker@.service").read_text()


def test_tasks_still_run_eagerly_in_the_suite() -> None:
    from gridgov.core.tasks import ping

    assert ping.delay().get() == "pong"
