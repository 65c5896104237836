from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from ..data.users import MIN_PASSWORD
from ..form_fields import lower_email


class SignInForm(FlaskForm):
    """In the page's language: the sign-in page is in Welsh too."""

    email = EmailField(
        _l("Email address"),
        validators=[DataRequired(message=_l("Enter your email address"))],
        filters=[lower_email],
        widget=GovTextInput(),
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(message=_l("Enter your password"))],
        widget=GovPasswordInput(),
    )
    submit = SubmitField(_l("Sign in"), widget=GovSubmitInput())


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        "New password",
        description=f"At least {MIN_PASSWORD} characters. A few unrelated words make a strong password.",
        validators=[
            DataRequired(message="Enter a new password"),
            Length(
                min=MIN_PASSWORD, max=200, message=f"Enter a password of at least {MIN_PASSWORD} characters"
            ),
        ],
        widget=GovPasswordInput(),
    )
    confirm = PasswordField(
        "Type the new password again",
        validators=[
            DataRequired(message="Type the new password again"),
            EqualTo("password", message="The two passwords do not match"),
        ],
        widget=GovPasswordInput(),
    )
    submit = SubmitField("Save the new password", widget=GovSubmitInput())
