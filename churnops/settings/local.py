"""Developer and demo settings: SQLite and eager Celery unless the environment says otherwise."""

from .base import *  # noqa: F403
from .base import env

# Off by default even here: a 404 must not list every URL of the application, and the demo should look like
# the product. Static files are served by WhiteNoise (`make demo` collects them); DEBUG=1 turns it on.
DEBUG = env.bool("DEBUG", default=False)
