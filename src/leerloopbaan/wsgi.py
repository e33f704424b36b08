import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leerloopbaan.settings")
application = get_wsgi_application()

# Production serves nobody while it lacks a secret, PostgreSQL or its public https address.
from leerloopbaan.site.deploy import require_serving_ready  # noqa: E402

require_serving_ready()
