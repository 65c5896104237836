"""Results releases for admins: every release with its state, and "Publish now"."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from ..data import releases as release_data
from ..results.publish import PublishError
from . import bp


class PublishForm(FlaskForm):
    """Only the CSRF token: the button publishes a release."""


@bp.get("/releases")
def releases():
    return render_template(
        "admin/releases.html",
        rows=release_data.recent_releases(),
        form=PublishForm(),
        min_new=current_app.config.get("RELEASE_MIN_NEW", 10),
        schedule=current_app.config.get("RESULTS_RELEASE_SCHEDULE"),
        nav="releases",
    )


@bp.post("/releases")
def publish_now():
    form = PublishForm()
    if not form.validate_on_submit():
        return redirect(url_for("admin.releases"))
    try:
        release = release_data.publish_now(current_user)
    except PublishError:
        flash("The release could not be published. The previous release is still the one staff see.")
        return redirect(url_for("admin.releases"))
    flash(f"Release {release.id} published from {release.responses:,} complete responses.")
    return redirect(url_for("admin.releases"))
