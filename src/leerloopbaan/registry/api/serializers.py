"""What the API shows of schools and pupils. Plain serializers over the registry's vocabulary: the API
reads through ``registry.selectors`` (scoped, audited) and never imports the person models."""

from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from leerloopbaan.registry.vocabulary import District, Level, Network, Qualification, Result, Sex


def _text(max_length: int, **kwargs) -> serializers.CharField:
    if kwargs.pop("blank", False):
        kwargs.update(required=False, allow_blank=True)
    return serializers.CharField(max_length=max_length, **kwargs)


class SchoolSerializer(serializers.Serializer):
    school_number = _text(6)
    name = _text(200)
    network = serializers.ChoiceField(choices=Network.choices)
    level = serializers.ChoiceField(choices=Level.choices)
    district = serializers.ChoiceField(choices=District.choices)
    postcode = _text(4, blank=True)
    clb = serializers.CharField(source="clb.name", default="", read_only=True)
    board = _text(200, blank=True, label=capfirst(_("school board")))


class EnrolmentSerializer(serializers.Serializer):
    school_number = serializers.CharField(source="school.school_number", read_only=True)
    school_year = _text(9)
    start_date = serializers.DateField(label=capfirst(_("start")))
    end_date = serializers.DateField(label=capfirst(_("end")), allow_null=True, required=False)
    grade = _text(2)
    stream = _text(1, blank=True)
    track = _text(12, blank=True)
    dual = serializers.BooleanField(label=capfirst(_("dual learning")), required=False)
    programme = _text(200, blank=True, label=capfirst(_("study programme")))
    end_reason = _text(20, blank=True)


class AttestationSerializer(serializers.Serializer):
    school_number = serializers.CharField(source="school.school_number", read_only=True)
    school_year = _text(9)
    grade = _text(2)
    result = serializers.ChoiceField(choices=Result.choices)
    qualification = serializers.ChoiceField(choices=Qualification.choices, required=False, allow_blank=True)


class PupilSerializer(serializers.Serializer):
    """A pupil by pseudonym. ``first_name``/``last_name`` are filled only for roles that may see names."""

    pupil_key = _text(64)
    birth_date = serializers.DateField()
    sex = serializers.ChoiceField(choices=Sex.choices)
    postcode = _text(4, blank=True)
    first_name = serializers.SerializerMethodField()
    last_name = serializers.SerializerMethodField()

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


class PseudonymisedPupilSerializer(serializers.Serializer):
    """A pupil as city roles see it (``registry.pseudonymised``): birth year and quarter (or coarser),
    sex, district (never the postcode), school and grade of the current or last enrolment, each possibly
    generalised ("–": not shown) so that every shown combination belongs to at least 5 pupils."""

    pupil_key = _text(64)
    birth = _text(12, help_text="birth year and quarter (2012-Q3), year (2012), 3-year band (2010-2012) or –")
    sex = _text(1, help_text="M, F, X or – (not shown)")
    district = _text(40, help_text="a district, city (somewhere in Antwerp), outside, or – (unknown or not shown)")
    school = _text(6, help_text="school number of the current or last enrolment, or –")
    grade = _text(5, help_text="grade (S3), stage (S3-S4) or –")


class YearSerializer(serializers.Serializer):
    school_year = _text(9)
    school = _text(6)
    grade = _text(5)


class YearAttestationSerializer(serializers.Serializer):
    school_year = _text(9)
    grade = _text(5)
    result = serializers.ChoiceField(choices=Result.choices)
    qualification = serializers.ChoiceField(choices=Qualification.choices, required=False, allow_blank=True)


class PseudonymisedPupilDetailSerializer(PseudonymisedPupilSerializer):
    """With the released school year only (that of the current or last enrolment, with the released school
    and grade, and that year's attestation), each left out where it would single a pupil out. Earlier
    school years are never shown to city roles (``history_shown`` is always false)."""

    years = YearSerializer(many=True, read_only=True,
                           help_text="at most one row: the released school year with the released school and grade")
    attestations = YearAttestationSerializer(many=True, read_only=True,
                                             help_text="at most one row: the attestation of the released school year")
    history_shown = serializers.BooleanField(
        read_only=True, help_text="always false: the history of earlier school years is not shown to city roles, "
                                  "to keep the pseudonym unidentifiable")
