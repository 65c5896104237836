"""Views of the pupil journey."""

from __future__ import annotations

from flask import render_template

from . import bp
from .forms import CodeForm


@bp.get("/")
def start():
    return render_template("pupil/start.html", form=CodeForm())
