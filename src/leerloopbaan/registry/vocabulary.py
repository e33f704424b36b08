"""The registry's vocabulary: networks, levels, districts, grades, tracks, absence codes, results.

Words, not anybody's data: forms, views and API modules take them from here (they never import the
person models in ``registry.models``)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Network(models.TextChoices):
    GO = "GO", _("GO! (community education)")
    CITY = "CITY", _("City / municipal")
    PROVINCE = "PROVINCE", _("Provincial")
    CATHOLIC = "CATHOLIC", _("Catholic")
    OTHER = "OTHER", _("Other")


class Level(models.TextChoices):
    PRIMARY = "primary", _("Primary")
    SECONDARY = "secondary", _("Secondary")
    SPECIAL_PRIMARY = "special_primary", _("Special primary")
    SPECIAL_SECONDARY = "special_secondary", _("Special secondary")


class District(models.TextChoices):
    ANTWERPEN = "Antwerpen", "Antwerpen"
    BERCHEM = "Berchem", "Berchem"
    BZL = "Berendrecht-Zandvliet-Lillo", "Berendrecht-Zandvliet-Lillo"
    BORGERHOUT = "Borgerhout", "Borgerhout"
    DEURNE = "Deurne", "Deurne"
    EKEREN = "Ekeren", "Ekeren"
    HOBOKEN = "Hoboken", "Hoboken"
    MERKSEM = "Merksem", "Merksem"
    WILRIJK = "Wilrijk", "Wilrijk"
    OUTSIDE = "outside", _("outside Antwerp")


# The city's postcodes and the district each lies in (a postcode of the 2000 area, "Antwerpen", is
# finer than its district). Pseudonymised views show the district, never the postcode.
POSTCODE_DISTRICTS: dict[str, str] = {
    "2000": District.ANTWERPEN, "2018": District.ANTWERPEN, "2020": District.ANTWERPEN,
    "2030": District.ANTWERPEN, "2050": District.ANTWERPEN, "2060": District.ANTWERPEN,
    "2600": District.BERCHEM, "2040": District.BZL, "2140": District.BORGERHOUT, "2100": District.DEURNE,
    "2180": District.EKEREN, "2660": District.HOBOKEN, "2170": District.MERKSEM, "2610": District.WILRIJK,
}


def district_of_postcode(postcode: str) -> str:
    """The district of a postcode of the city, ``outside`` for any other postcode, "" when unknown."""
    if not postcode:
        return ""
    return str(POSTCODE_DISTRICTS.get(postcode, District.OUTSIDE))


class Sex(models.TextChoices):
    M = "M", _("male")
    F = "F", _("female")
    X = "X", _("X")


GRADES = ["K1", "K2", "K3", "P1", "P2", "P3", "P4", "P5", "P6", "S1", "S2", "S3", "S4", "S5", "S6", "S7"]
SECONDARY_GRADES = GRADES[9:]


class Track(models.TextChoices):
    ASO = "ASO", "ASO"
    TSO = "TSO", "TSO"
    KSO = "KSO", "KSO"
    BSO = "BSO", "BSO"
    DBSO = "DBSO", _("DBSO (part-time vocational)")
    BUSO = "BUSO", _("BUSO (special secondary)")
    OKAN = "OKAN", _("OKAN (reception class)")
    DOORSTROOM = "doorstroom", _("transition to higher education")
    DUBBEL = "dubbel", _("double finality")
    ARBEIDSMARKT = "arbeidsmarkt", _("labour market")


class EndReason(models.TextChoices):
    SCHOOL_CHANGE = "school_change", _("school change")
    MOVED_OUT = "moved_out", _("moved out of the region")
    QUALIFIED = "qualified", _("qualified")
    LEFT = "left", _("left")
    DECEASED = "deceased", _("deceased")
    OTHER = "other", _("other")


class HalfDay(models.TextChoices):
    AM = "AM", _("morning")
    PM = "PM", _("afternoon")


class AbsenceCode(models.TextChoices):
    """The Discimus codes since 1 September 2019."""

    A = "A", _("A: pre-school child not yet of compulsory school age")
    R = "R", _("R: legitimate by law")
    Z = "Z", _("Z: illness")
    H = "H", _("H: rehabilitation (special education)")
    P = "P", _("P: personal reasons approved by the head")
    M = "M", _("M: workplace learning missed, not by unwillingness")
    B = "B", _("B: problematic / unjustified")


class Result(models.TextChoices):
    A = "A", _("A-attest")
    B = "B", _("B-attest")
    C = "C", _("C-attest")
    CERTIFICATE = "certificate", _("certificate (studiebewijs)")
    NONE = "none", _("none (left before the end of the year)")


class Qualification(models.TextChoices):
    SECONDARY_DIPLOMA = "secondary_diploma", _("secondary-education diploma")
    BSO_CERTIFICATE = "bso_certificate", _("BSO certificate (2nd year of 3rd grade)")
    DBSO_CERTIFICATE = "dbso_certificate", _("DBSO certificate")
    SYNTRA_CERTIFICATE = "syntra_certificate", _("Syntra certificate")
    BUSO_OV3_CERTIFICATE = "buso_ov3_certificate", _("BUSO OV3 certificate")
    BUSO_OV4_CERTIFICATE = "buso_ov4_certificate", _("BUSO OV4 certificate")
    MODULAR_CERTIFICATE = "modular_certificate", _("modular certificate")
