"""Learning-gain test use cases: school staff enter one result at a time.

Results mostly arrive through the import (``test_results.csv``, docs/data-import.md). One result can
also be entered on a page by school staff, for a pupil enrolled in one of their schools on the test
date, with the same checks as the import (known instrument in use, score inside the instrument's
range). Entering a result for a pupil, instrument and date that already has one corrects it. One
transaction and one audit entry per use case.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from leerloopbaan.accounts.roles import Role
from leerloopbaan.assessments.models import Instrument, TestResult
from leerloopbaan.kernel import clock
from leerloopbaan.kernel.access import access_for
from leerloopbaan.kernel.audit.services import audit_record
from leerloopbaan.registry.models import Enrolment, Pupil
from leerloopbaan.registry.selectors import schools_of


class AssessmentError(Exception):
    """A result that cannot be recorded; the message is shown to the user."""


def may_enter_results(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.role == Role.SCHOOL_STAFF)


def enrolled_in_schools_of(user, pupil: Pupil, day: datetime.date) -> bool:
    """The pupil is enrolled in one of the user's schools on ``day``."""
    return Enrolment.objects.filter(pupil=pupil, school__in=schools_of(user), start_date__lte=day).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=day)).exists()


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


@transaction.atomic
def test_result_enter(*, user, pupil: Pupil, instrument: Instrument, date: datetime.date, scale_score: float) -> TestResult:
    """Record (or correct) a pupil's scale score on ``instrument`` on ``date``."""
    if not may_enter_results(user) or not access_for(user).visible(pupil):  # no query for a pupil read through Access
        raise PermissionDenied
    if not instrument.active:
        raise AssessmentError(_("This test is no longer in use."))
    if date > clock.today():
        raise AssessmentError(_("The date of a test result cannot be in the future."))
    if not enrolled_in_schools_of(user, pupil, date):
        raise AssessmentError(_("The pupil was not enrolled in one of your schools on that date."))
    score = float(scale_score)
    if not instrument.score_min <= score <= instrument.score_max:
        raise AssessmentError(_("The scale score of %(code)s lies from %(low)s to %(high)s.") % {
            "code": instrument.code, "low": _fmt(instrument.score_min), "high": _fmt(instrument.score_max)})
    now = timezone.now()
    existing = TestResult.objects.select_for_update().filter(pupil=pupil, instrument=instrument, date=date).first()
    if existing is None:
        result = TestResult.objects.create(pupil=pupil, instrument=instrument, date=date, scale_score=score,
                                           scale_version=instrument.scale_version, source=TestResult.Source.ENTRY,
                                           entered_by=user, created_at=now, updated_at=now)
        action, detail = "create", {"instrument": instrument.code, "date": date.isoformat(), "scale_score": score}
    else:
        before = {"scale_score": existing.scale_score, "scale_version": existing.scale_version}
        existing.scale_score, existing.scale_version = score, instrument.scale_version
        existing.source, existing.entered_by, existing.updated_at = TestResult.Source.ENTRY, user, now
        existing.full_clean(validate_unique=False)
        existing.save(update_fields=["scale_score", "scale_version", "source", "entered_by", "updated_at"])
        result = existing
        action, detail = "update", {"instrument": instrument.code, "date": date.isoformat(), "before": before,
                                    "after": {"scale_score": score, "scale_version": instrument.scale_version}}
    audit_record(action=action, subject_type="pupil", subjects=[pupil.pupil_key], object_repr=f"test result {instrument.code}",
                 purpose="test result entered", actor=user, detail=detail)
    return result


test_result_enter.__test__ = False  # not a pytest test
