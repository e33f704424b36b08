"""Routes of the cases part of the support network (included by care/urls.py)."""

urlpatterns: list = []
