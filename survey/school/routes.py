"""School lead views: the school's overview and settings. Waves are in `waves`, results in `results`."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from ..access import role_required, school_or_404
from ..data import schools as school_data
from ..data.scope import schools_visible_to
from ..data.waves import wave_progress, waves_for_school
from ..models import Role
from . import bp
from .forms import TrustedAdultForm, YouSaidWeDidForm

school_lead = role_required(Role.SCHOOL_LEAD)


@bp.get("/")
@school_lead
def index():
    schools = schools_visible_to(current_user)
    if len(schools) == 1:
        return redirect(url_for("school.overview", urn=schools[0].urn))
    return render_template("school/index.html", schools=schools, nav="schools")


@bp.get("/<int:urn>/")
@school_lead
def overview(urn: int):
    school = school_or_404(urn)
    waves = [(wave, wave_progress(wave, school)) for wave in waves_for_school(school)]
    return render_template("school/overview.html", school=school, waves=waves, nav="schools")


@bp.route("/<int:urn>/trusted-adult", methods=["GET", "POST"])
@school_lead
def trusted_adult(urn: int):
    school = school_or_404(urn)
    form = TrustedAdultForm(text=school.trusted_adult_text, text_cy=school.trusted_adult_text_cy)
    if form.validate_on_submit():
        school_data.set_trusted_adult_text(
            school, form.text.data, actor=current_user, welsh=form.text_cy.data
        )
        flash("Saved. Pupils will see this at the end of the survey.")
        return redirect(url_for("school.overview", urn=urn))
    return render_template("school/trusted_adult.html", school=school, form=form, nav="schools")


@bp.route("/<int:urn>/you-said-we-did", methods=["GET", "POST"])
@school_lead
def you_said_we_did(urn: int):
    school = school_or_404(urn)
    form = YouSaidWeDidForm(text=school.you_said_we_did, text_cy=school.you_said_we_did_cy)
    if form.validate_on_submit():
        school_data.publish_you_said_we_did(
            school, form.text.data, actor=current_user, welsh=form.text_cy.data
        )
        flash("Published. Pupils will see it before they start the survey." if form.text.data
              else "Removed. Pupils will no longer see it.")  # fmt: skip
        return redirect(url_for("school.overview", urn=urn))
    return render_template("school/you_said_we_did.html", school=school, form=form, nav="schools")
