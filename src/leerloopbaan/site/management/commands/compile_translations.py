from django.core.management.base import BaseCommand

from leerloopbaan.site.translations import compile_catalogues


class Command(BaseCommand):
    help = "Compile the message catalogues (.po to .mo) with Babel."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="compile even when the .mo is newer")

    def handle(self, *args, force=False, **options):
        for mo in compile_catalogues(force=force):
            self.stdout.write(f"compiled {mo.parent.parent.name}")
