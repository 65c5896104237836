"""Forms of the pupil journey. Labels and messages are lazy so they follow the page's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import StringField
from wtforms.validators import DataRequired

from ..form_fields import strip


class CodeForm(FlaskForm):
    code = StringField(
        _l("Enter your code"),
        description=_l("It is on the slip your teacher gave you, like ABCDE-23456"),
        validators=[DataRequired(message=_l("Enter the code from your slip"))],
        filters=[strip],
        widget=GovTextInput(),
    )
