from rest_framework.routers import SimpleRouter

from leerloopbaan.registry.api.views import PupilViewSet, SchoolViewSet

router = SimpleRouter()
router.register("schools", SchoolViewSet, basename="api-school")
router.register("pupils", PupilViewSet, basename="api-pupil")

urlpatterns = router.urls
