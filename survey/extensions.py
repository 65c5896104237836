"""Flask extensions, created once and bound to the app in `create_app`."""

from __future__ import annotations

import threading

from flask import current_app, has_app_context
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from .models.base import Base


class PerAppLimiter(Limiter):
    """Flask-Limiter with its storage kept per app, not on the one extension object.

    Flask-Limiter 4 keeps the storage, the key prefix and the fallback state on the `Limiter` object
    itself, so each `init_app` replaced them for every app in the process: two `create_app()` in one
    process (tests, a CLI inside a server) counted in whichever storage was set up last, and a
    "shared through Redis" test passed even with in-memory storage. Here those attributes are read
    from, and written to, the app being set up or the app of the current request. Declared limits
    (the decorators on the views) stay on the object: they are the same code for every app.
    """

    PER_APP = (
        "_storage",
        "_limiter",
        "_strategy",
        "_key_prefix",
        "_swallow_errors",
        "_storage_dead",
        "_fallback_storage",
        "_fallback_limiter",
        "_in_memory_fallback_enabled",
    )
    STATE = "survey.limiter"

    def __init__(self, *args, **kwargs) -> None:
        self.__dict__["_defaults"] = {}  # what the constructor sets: every app starts from it
        self.__dict__["_setting_up"] = threading.local()
        super().__init__(*args, **kwargs)

    def _state(self) -> dict:
        app = getattr(self.__dict__["_setting_up"], "app", None)
        if app is None and has_app_context():
            app = current_app._get_current_object()  # type: ignore[attr-defined]
        if app is None:
            return self.__dict__["_defaults"]
        state = app.extensions.get(self.STATE)
        return state if state is not None else self.__dict__["_defaults"]

    def _check_request_limit(self, callable_name=None, in_middleware=True) -> None:
        """Limits are declared only on the views that need them (code entry, sign-in), and those
        views' decorators check them. The app-wide before_request pass is for default and blueprint
        limits, which this app has none of: it would find nothing to do on every pupil page, at a
        cost of a tenth of a millisecond each."""
        manager = self.limit_manager
        if (
            not in_middleware
            or manager.application_limits
            or manager.default_limits
            or manager._blueprint_limits
        ):
            super()._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)

    def init_app(self, app) -> None:
        app.extensions[self.STATE] = dict(self.__dict__["_defaults"])
        self.__dict__["_setting_up"].app = app
        try:
            super().init_app(app)
        finally:
            self.__dict__["_setting_up"].app = None


def _per_app(name: str) -> property:
    return property(
        lambda self: self._state().get(name),
        lambda self, value: self._state().__setitem__(name, value),
    )


for _name in PerAppLimiter.PER_APP:
    setattr(PerAppLimiter, _name, _per_app(_name))

# Models subclass our own typed `Base`; Flask-SQLAlchemy only manages sessions and engines for it.
db = SQLAlchemy(metadata=Base.metadata)
migrate = Migrate()
babel = Babel()
csrf = CSRFProtect()
# Limits are declared on the views that need them (code entry, sign-in); storage comes from config.
limiter = PerAppLimiter(get_remote_address)
login_manager = LoginManager()
