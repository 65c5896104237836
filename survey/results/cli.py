"""`flask --app survey publish-results` and `flask --app survey worker`."""

from __future__ import annotations

import threading
import time

import click
from flask import current_app
from flask.cli import with_appcontext

from .publish import PublishError, publish


@click.command("publish-results")
@click.option("--queue", "queued", is_flag=True, help="Queue it for the worker instead of publishing here.")
@with_appcontext
def publish_results(queued: bool) -> None:
    """Publish a results release now (what staff see changes only at a release)."""
    if queued:
        from .jobs import enqueue_publish

        click.echo(f"Queued release job {enqueue_publish(current_app, 'cli')}")
        return
    try:
        release = publish("cli")
    except PublishError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Published release {release.id} from {release.responses:,} complete responses")


@click.command("worker")
@click.option("--scheduler/--no-scheduler", default=True, help="Also queue releases on the schedule.")
@click.option("--burst", is_flag=True, help="Run the queued jobs, then stop.")
@with_appcontext
def worker(scheduler: bool, burst: bool) -> None:
    """Run the results worker (RQ on RESULTS_REDIS_URL) and, by default, its scheduler."""
    from rq import Worker

    from .jobs import queue, redis_connection, schedule

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if scheduler:
        found = schedule(app)
        if burst:
            found.enqueue_jobs()
        else:
            threading.Thread(
                target=_scheduler_loop, args=(found,), daemon=True, name="release-scheduler"
            ).start()
    Worker([queue(app)], connection=redis_connection(app)).work(burst=burst)


def _scheduler_loop(found, interval: float = 30.0) -> None:
    """Move due scheduled releases onto the queue. Only one worker's loop does it at a time (the
    scheduler's Redis lock), so many workers can run with the scheduler on."""
    while True:
        if found.acquire_lock():
            try:
                found.enqueue_jobs()
            finally:
                found.remove_lock()
        time.sleep(interval)


COMMANDS = [publish_results, worker]
