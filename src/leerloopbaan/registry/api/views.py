"""Read-only API for schools and, scoped and audited, pupils."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework import viewsets
from rest_framework.response import Response

from leerloopbaan.registry import pseudonymised as pseudonymised_selectors
from leerloopbaan.registry import selectors
from leerloopbaan.registry.api.serializers import (
    PseudonymisedPupilDetailSerializer,
    PseudonymisedPupilSerializer,
    PupilDetailSerializer,
    PupilSerializer,
    SchoolSerializer,
)


class SchoolViewSet(viewsets.ReadOnlyModelViewSet):
    """Schools are public institutions: every logged-in user may list them."""

    serializer_class = SchoolSerializer
    lookup_field = "school_number"
    queryset = selectors.school_list()
    filterset_fields = ["network", "level", "district"]


class PupilViewSet(viewsets.ViewSet):
    """Pupils the caller may see (see registry.selectors); each call is one audited read."""

    lookup_field = "pupil_key"
    lookup_value_regex = "[0-9a-f]{64}"

    @extend_schema(responses=PolymorphicProxySerializer(
        component_name="PupilAsSeen", serializers=[PupilSerializer, PseudonymisedPupilSerializer], resource_type_field_name=None, many=True),
        description="School staff and CLB workers: PupilSerializer rows (with names). City analysts and admins: "
                    "PseudonymisedPupilSerializer rows (registry.pseudonymised: every shown combination of birth, sex, "
                    "district, school and grade belongs to at least 5 pupils; no birth date, no postcode).")
    def list(self, request):
        try:
            limit = min(max(int(request.query_params.get("limit", 100)), 1), 500)
            offset = max(int(request.query_params.get("offset", 0)), 0)
        except ValueError:
            limit, offset = 100, 0
        if selectors.pseudonymised_view(request.user):
            shown = pseudonymised_selectors.pupil_list(user=request.user, school_number=request.query_params.get("school"),
                                                       limit=limit, offset=offset, purpose="api pupil list")
            data = PseudonymisedPupilSerializer(shown, many=True).data
            return Response({"limit": limit, "offset": offset, "results": data})
        school = None
        if "school" in request.query_params:
            school = get_object_or_404(selectors.schools_of(request.user), school_number=request.query_params["school"])
        pupils = selectors.pupil_list(user=request.user, school=school, limit=limit, offset=offset, purpose="api pupil list")
        data = PupilSerializer(pupils, many=True, context={"names": selectors.names_visible(request.user)}).data
        return Response({"limit": limit, "offset": offset, "results": data})

    @extend_schema(responses=PolymorphicProxySerializer(
        component_name="PupilDetailAsSeen", serializers=[PupilDetailSerializer, PseudonymisedPupilDetailSerializer],
        resource_type_field_name=None),
        description="City analysts and admins: PseudonymisedPupilDetailSerializer (the history by school year only).")
    def retrieve(self, request, pupil_key=None):
        if selectors.pseudonymised_view(request.user):
            record = pseudonymised_selectors.pupil_record(user=request.user, pupil_key=pupil_key, purpose="api pupil record")
            return Response(PseudonymisedPupilDetailSerializer(record).data)
        pupil = selectors.pupil_get(user=request.user, pupil_key=pupil_key, purpose="api pupil record")
        records = selectors.pupil_records(user=request.user, pupil=pupil)
        pupil._prefetched_objects_cache = {"enrolments": records["enrolments"], "attestations": records["attestations"]}
        if records["visible_until"] is not None:
            pupil.postcode = ""  # a pupil who left the user's schools: not their current address (not saved)
        return Response(PupilDetailSerializer(pupil, context={"names": selectors.names_visible(request.user)}).data)
