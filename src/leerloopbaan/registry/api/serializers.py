from rest_framework import serializers

from leerloopbaan.registry.models import Attestation, Enrolment, Pupil, School


class SchoolSerializer(serializers.ModelSerializer):
    clb = serializers.CharField(source="clb.name", default="", read_only=True)

    class Meta:
        model = School
        fields = ["school_number", "name", "network", "level", "district", "postcode", "clb", "board"]


class EnrolmentSerializer(serializers.ModelSerializer):
    school_number = serializers.CharField(source="school.school_number", read_only=True)

    class Meta:
        model = Enrolment
        fields = ["school_number", "school_year", "start_date", "end_date", "grade", "stream", "track", "dual", "programme", "end_reason"]


class AttestationSerializer(serializers.ModelSerializer):
    school_number = serializers.CharField(source="school.school_number", read_only=True)

    class Meta:
        model = Attestation
        fields = ["school_number", "school_year", "grade", "result", "qualification"]


class PupilSerializer(serializers.ModelSerializer):
    """A pupil by pseudonym. ``first_name``/``last_name`` are filled only for roles that may see names."""

    first_name = serializers.SerializerMethodField()
    last_name = serializers.SerializerMethodField()

    class Meta:
        model = Pupil
        fields = ["pupil_key", "birth_date", "sex", "postcode", "first_name", "last_name"]

    def _name(self, obj, field) -> str | None:
        if not self.context.get("names"):
            return None
        name = getattr(obj, "name", None)
        return getattr(name, field, None) if name is not None else None

    def get_first_name(self, obj) -> str | None:
        return self._name(obj, "first_name")

    def get_last_name(self, obj) -> str | None:
        return self._name(obj, "last_name")


class PupilDetailSerializer(PupilSerializer):
    enrolments = EnrolmentSerializer(many=True, read_only=True)
    attestations = AttestationSerializer(many=True, read_only=True)

    class Meta(PupilSerializer.Meta):
        fields = [*PupilSerializer.Meta.fields, "enrolments", "attestations"]
