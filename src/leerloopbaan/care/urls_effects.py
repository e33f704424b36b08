"""Routes of the effects part of the support network (included by care/urls.py)."""

urlpatterns: list = []
