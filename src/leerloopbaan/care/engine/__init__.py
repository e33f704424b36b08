"""Django-free computations of the support network (effect monitoring)."""
