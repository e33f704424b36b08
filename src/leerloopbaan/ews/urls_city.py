"""City-facing early warning pages: the city dashboard."""

urlpatterns: list = []
