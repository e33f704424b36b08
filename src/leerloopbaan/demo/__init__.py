"""The synthetic demo city (Django-free): see ``generator.generate_city``."""
