"""API: verify a credential (public, like the verify page; nothing submitted is kept)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiTypes, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, authentication_classes, permission_classes, throttle_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from leerloopbaan.kernel.uploads import upload_limit
from leerloopbaan.portfolio.youth import selectors

MAX_BYTES = 512 * 1024

_CHECK_FIELDS = {
    "name": serializers.ChoiceField(choices=["schema", "proof", "status", "dates"]),
    "ok": serializers.BooleanField(allow_null=True, help_text="null: not applicable (e.g. no credentialStatus)"),
    "code": serializers.CharField(help_text="stable machine code, e.g. proof.invalid_signature, status.revoked"),
    "message": serializers.CharField(help_text="what is wrong, where, and what was expected (in the request's language)"),
    "params": serializers.DictField(),
}


class VerifyThrottle(AnonRateThrottle):
    rate = "120/min"


@extend_schema(
    operation_id="credentials_verify",
    request=OpenApiTypes.OBJECT,
    responses={200: inline_serializer("VerificationReport", fields={
        "ok": serializers.BooleanField(),
        "checks": inline_serializer("VerificationCheck", fields=_CHECK_FIELDS, many=True)}),
        400: inline_serializer("VerifyError", fields={"detail": serializers.CharField()})},
    description="Verify an Open Badges 3.0 / W3C VC 2.0 credential (the JSON body is the credential): structure, "
                "eddsa-rdfc-2022 proof, Bitstring Status List status and dates. Issuer keys and status lists are "
                "resolved from what this platform publishes; nothing is fetched from elsewhere and nothing is kept.",
    examples=[OpenApiExample("A credential", value={"@context": ["https://www.w3.org/ns/credentials/v2"],
                                                     "type": ["VerifiableCredential", "OpenBadgeCredential"]})],
)
@upload_limit(MAX_BYTES)
@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])
@throttle_classes([VerifyThrottle])
def credential_verify(request):
    if len(request.body or b"") > MAX_BYTES:
        return Response({"detail": "The body is larger than 512 kB; a credential is much smaller."}, status=400)
    try:
        data = request.data
        report = selectors.verify(data)
    except RecursionError:
        return Response({"detail": "The JSON is nested too deeply to be a credential."}, status=400)
    return Response(report.to_dict())
