"""The models of the `care` app, one module per use case; imported here so that Django finds them."""

from leerloopbaan.care.cases.models import *  # noqa: F401,F403
from leerloopbaan.care.handovers.models import *  # noqa: F401,F403
from leerloopbaan.care.requests.models import *  # noqa: F401,F403
