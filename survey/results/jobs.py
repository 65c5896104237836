"""The results pipeline on a job queue: RQ on the Redis the app already uses, with rq-scheduler.

`flask --app survey worker` runs a worker (and, with `--scheduler`, the scheduler that queues a
release on `RESULTS_RELEASE_SCHEDULE`, nightly by default, and whenever a wave has closed). Any
number of workers on any number of machines may share the queue: a publish is idempotent (a new
release from whatever is complete at that moment) and publishers take turns under a PostgreSQL
advisory lock. A job that fails leaves the previous release current.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app
from redis import Redis
from rq import Queue

QUEUE = "results"
log = logging.getLogger(__name__)


def redis_connection(app: Flask) -> Redis:
    url = app.config.get("RESULTS_REDIS_URL") or "redis://127.0.0.1:6379/0"
    return Redis.from_url(url)


def queue(app: Flask) -> Queue:
    return Queue(QUEUE, connection=redis_connection(app))


def enqueue_publish(app: Flask, reason: str) -> str:
    """Queue a release; returns the job id. The worker publishes it."""
    job = queue(app).enqueue(publish_job, reason, job_timeout=app.config.get("RESULTS_JOB_TIMEOUT", 3600))
    return job.id


def _app() -> Flask:
    try:
        return current_app._get_current_object()  # type: ignore[attr-defined]
    except RuntimeError:
        from .. import create_app

        return create_app()


def publish_job(reason: str) -> int:
    """The job a worker runs: publish a release in the app's context; returns its id."""
    from .publish import publish

    app = _app()
    with app.app_context():
        return publish(reason).id


def closed_wave_job() -> int | None:
    """Every few minutes: publish when a wave has closed since the last release."""
    from .publish import publish, wave_closed_since_last_release

    app = _app()
    with app.app_context():
        if wave_closed_since_last_release():
            return publish("wave closed").id
    return None


def schedule(app: Flask):
    """Register the nightly (or `RESULTS_RELEASE_SCHEDULE`) release and the closed-wave check."""
    from rq_scheduler import Scheduler  # type: ignore[import-untyped]  # it ships no type hints

    scheduler = Scheduler(queue=queue(app), connection=redis_connection(app))
    for job in scheduler.get_jobs():
        if job.meta.get("pupil_voice"):
            scheduler.cancel(job)
    cron = app.config.get("RESULTS_RELEASE_SCHEDULE") or "0 2 * * *"
    scheduler.cron(cron, func=publish_job, args=["schedule"], queue_name=QUEUE, meta={"pupil_voice": True})
    scheduler.cron("*/5 * * * *", func=closed_wave_job, queue_name=QUEUE, meta={"pupil_voice": True})
    return scheduler
