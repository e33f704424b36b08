from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from leerloopbaan.site.deploy import require_serving_ready
from leerloopbaan.site.translations import compile_catalogues


def serve(port: int, host: str = "127.0.0.1", threads: int = 8, stdout=None) -> None:
    from waitress import serve as waitress_serve

    from leerloopbaan.wsgi import application

    if stdout is not None:
        stdout.write(f"Leerloopbaan runs on http://{host}:{port}/  (Ctrl+C stops it)")
    # waitress buffers a request body before the application sees it: cap it at the largest upload
    # any view takes (kernel.uploads refuses what a view does not take).
    limit = max(settings.IMPORT_UPLOAD_MAX_BYTES, settings.UPLOAD_MAX_BYTES) + 1024 * 1024
    waitress_serve(application, host=host, port=port, threads=threads, ident="leerloopbaan", max_request_body_size=limit)


class Command(BaseCommand):
    help = "Serve the site (waitress, a production-grade WSGI server) on 127.0.0.1:PORT."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")

    def handle(self, *args, port, host, **options):
        if not 0 < port < 65536:
            raise CommandError(f"--port {port}: expected a port number between 1 and 65535", returncode=2)
        try:
            require_serving_ready()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc), returncode=2) from exc
        compile_catalogues()
        if settings.DEMO and host not in ("127.0.0.1", "localhost", "::1"):
            raise CommandError("the demo serves on localhost only; set LEERLOOPBAAN_ENV=production to serve elsewhere", returncode=2)
        serve(port, host=host, stdout=self.stdout)
