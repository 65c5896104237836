"""Forms of the DSL's pages: a note for each change of state, and the two-person reveal."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextArea, GovTextInput
from wtforms import EmailField, PasswordField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..data.safeguarding import NOTE_MAX
from ..text_input import clean


def _note(label: str, hint: str, missing: str) -> TextAreaField:
    return TextAreaField(
        label,
        description=hint,
        filters=[clean],
        validators=[
            DataRequired(message=missing),
            Length(max=NOTE_MAX, message=f"Use {NOTE_MAX:,} characters or fewer"),
        ],
        widget=GovTextArea(),
    )


class AcknowledgeForm(FlaskForm):
    note = _note(
        "What you are doing about it",
        "For the record. Do not write the pupil's name.",
        "Write a note saying what you are doing about it",
    )
    submit = SubmitField("Acknowledge", widget=GovSubmitInput())


class CloseForm(FlaskForm):
    note = _note(
        "Why you are closing it",
        "For example: spoken to the pupil, referred, or no further action and why. No names.",
        "Write a note saying why you are closing it",
    )
    submit = SubmitField("Close the concern", widget=GovSubmitInput())


class RevealForm(FlaskForm):
    reason = _note(
        "Why you need to know who wrote it",
        "Both of you are recorded in the audit log with this reason.",
        "Write why you need to know who wrote it",
    )
    email = EmailField(
        "The second member of staff's email address",
        description="Another member of staff of this school with their own sign-in. "
        "They type it here themselves.",
        filters=[lambda v: clean(v).lower() if isinstance(v, str) else v],
        validators=[DataRequired(message="Enter the second member of staff's email address")],
        widget=GovTextInput(),
    )
    password = PasswordField(
        "The second member of staff's password",
        validators=[DataRequired(message="The second member of staff must enter their password")],
        widget=GovPasswordInput(),
    )
    submit = SubmitField("We both agree: show the pupil reference", widget=GovSubmitInput())
