from django.urls import include, path
from drf_spectacular.utils import OpenApiTypes, extend_schema
from drf_spectacular.views import SpectacularAPIView
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse

from leerloopbaan.portfolio.credentials.api import credential_verify


@extend_schema(responses={200: OpenApiTypes.OBJECT}, description="Links to every resource and the schema.")
@api_view(["GET"])
@permission_classes([AllowAny])
def api_root(request, format=None):
    """The API's entry point: links to every resource and the OpenAPI schema."""
    return Response(
        {
            "schema": reverse("api-schema", request=request, format=format),
            "schools": reverse("api-school-list", request=request, format=format),
            "pupils": reverse("api-pupil-list", request=request, format=format),
            "verify_credential": reverse("api-credential-verify", request=request, format=format),
        }
    )


urlpatterns = [
    path("", api_root, name="api-root"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("", include("leerloopbaan.registry.api.urls")),
    path("credentials/verify", credential_verify, name="api-credential-verify"),
]
