"""School-facing early warning pages: risk list, school portrait (HTML and PDF)."""

urlpatterns: list = []
