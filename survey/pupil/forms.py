"""Forms of the pupil journey. Labels and messages are lazy so they follow the page's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import StringField
from wtforms.validators import DataRequired


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class CodeForm(FlaskForm):
    code = StringField(
        _l("Enter your code"),
        description=_l("It is on the slip your teacher gave you, like ABCDE-23456"),
        validators=[DataRequired(message=_l("Enter the code from your slip"))],
        filters=[_strip],
        widget=GovTextInput(),
    )
