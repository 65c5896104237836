"""Forms of the DSL's pages: a note for each change of state, and the two-person reveal."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextArea, GovTextInput
from wtforms import EmailField, PasswordField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..data.safeguarding import NOTE_MAX
from ..text_input import clean


def _note(label, hint, missing) -> TextAreaField:
    return TextAreaField(
        label,
        description=hint,
        filters=[clean],
        validators=[
            DataRequired(message=missing),
            Length(max=NOTE_MAX, message=_l("Use %(max)s characters or fewer", max=f"{NOTE_MAX:,}")),
        ],
        widget=GovTextArea(),
    )


class AcknowledgeForm(FlaskForm):
    note = _note(
        _l("What you are doing about it"),
        _l("For the record. Do not write the pupil's name."),
        _l("Write a note saying what you are doing about it"),
    )
    submit = SubmitField(_l("Acknowledge"), widget=GovSubmitInput())


class CloseForm(FlaskForm):
    note = _note(
        _l("Why you are closing it"),
        _l("For example: spoken to the pupil, referred, or no further action and why. No names."),
        _l("Write a note saying why you are closing it"),
    )
    submit = SubmitField(_l("Close the concern"), widget=GovSubmitInput())


class RevealForm(FlaskForm):
    reason = _note(
        _l("Why you need to know who wrote it"),
        _l("Both of you are recorded in the audit log with this reason."),
        _l("Write why you need to know who wrote it"),
    )
    email = EmailField(
        _l("The second member of staff's email address"),
        description=_l(
            "Another member of staff of this school with their own sign-in. They type it here themselves."
        ),
        filters=[lambda v: clean(v).lower() if isinstance(v, str) else v],
        validators=[DataRequired(message=_l("Enter the second member of staff's email address"))],
        widget=GovTextInput(),
    )
    password = PasswordField(
        _l("The second member of staff's password"),
        validators=[DataRequired(message=_l("The second member of staff must enter their password"))],
        widget=GovPasswordInput(),
    )
    submit = SubmitField(_l("We both agree: show the pupil reference"), widget=GovSubmitInput())
