"""Flask extensions, created once and bound to the app in `create_app`."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from .models.base import Base

# Models subclass our own typed `Base`; Flask-SQLAlchemy only manages sessions and engines for it.
db = SQLAlchemy(metadata=Base.metadata)
migrate = Migrate()
babel = Babel()
csrf = CSRFProtect()
# Limits are declared on the views that need them (code entry, sign-in); storage comes from config.
limiter = Limiter(get_remote_address)
login_manager = LoginManager()
