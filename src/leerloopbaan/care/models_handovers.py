"""Models of the handovers part of the support network (imported by care/models.py)."""

__all__: list[str] = []
