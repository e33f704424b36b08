"""Routes of the handovers part of the support network (included by care/urls.py)."""

urlpatterns: list = []
