"""What each role finds on its home page. Panels say what will appear there once the data or the
module behind them is in place, so an empty platform still tells a user what it is for."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from leerloopbaan.accounts.roles import Role


@dataclass(frozen=True)
class Panel:
    """A home-page panel: ``empty`` until the data it needs (``needs``: "registry" or "ews") are
    there, then ``filled`` (if given) with a link to ``url_name``."""

    title: str
    empty: str
    url_name: str = ""
    filled: str = ""
    needs: str = ""
    links: tuple[tuple[str, str], ...] = ()  # (label, url name): what the user can use today


PANELS: dict[str, list[Panel]] = {
    Role.CITY_ANALYST: [
        Panel(_("City overview"), _("Pupils, schools and early school leaving across the city appear here once school data are imported."), "registry:outflow",
              _("Early school leaving by school year, district, network, track and school."), "registry"),
        Panel(_("School benchmarks"), _("The comparison of schools with schools of the same make-up appears here after the early warning model has run."),
              "ews:city_dashboard", _("Early school leaving and risk by district, network, track and school; programmes that lead to few qualifications."), "ews"),
        Panel(_("Tutoring"), _("Participation in tutoring against the 10 % target, waiting pupils and tutor retention."), "tutoring:reports"),
    ],
    Role.PROGRAMME_MANAGER: [
        Panel(_("Programme of actions"),
              _("Programme management comes in a later version; until then you follow the programme with the figures below: "
                "early school leaving by year and district, the city dashboard, the effects of support offers and the tutoring figures."),
              links=((_("Outflow"), "registry:outflow"), (_("City dashboard"), "ews:city_dashboard"), (_("Effects"), "care:effect_list"),
                     (_("Tutoring figures"), "tutoring:reports"))),
        Panel(_("Outflow"), _("The share of young people leaving school without a qualification, by year and district."), "registry:outflow"),
        Panel(_("City dashboard"), _("Early school leaving and risk across the city appear here after the early warning model has run."),
              "ews:city_dashboard", _("Early school leaving and risk by district, network, track and school."), "ews"),
        Panel(_("Tutoring"), _("Participation in tutoring against the 10 % target, waiting pupils and tutor retention."), "tutoring:reports"),
    ],
    Role.SCHOOL_STAFF: [
        Panel(_("Your school"), _("Your school's pupils, enrolments and absences appear here once your school's data are imported."), "registry:pupil_list",
              _("Your school's pupils with their enrolments, absences and attestations."), "registry"),
        Panel(_("Risk list"), _("Pupils who may need support, with the reasons in words you can act on, appear here after the early warning model has run."),
              "ews:risk_list", _("Pupils who may need support, with the reasons in words you can act on."), "ews"),
        Panel(_("School portrait"), _("Your school's portrait appears here once school data are imported."),
              "ews:portrait_home", _("Your school compared with schools of a similar intake: attestations, absences, early school leaving, risk."), "ews"),
        Panel(_("Tutoring and learning gain"), _("Your pupils' tutoring needs and matches, and proposals after a low learning-gain result."),
              "tutoring:need_list"),
    ],
    Role.CLB_WORKER: [
        Panel(_("Schools you serve"), _("The pupils of the schools your CLB serves appear here."), "registry:pupil_list",
              _("The pupils of the schools your CLB serves."), "registry"),
        Panel(_("Risk list"), _("Pupils who may need support in the schools you serve appear here after the early warning model has run."),
              "ews:risk_list", _("Pupils who may need support in the schools you serve, with the reasons."), "ews"),
        Panel(_("Support requests"), _("The support requests and cases you take part in."), "care:request_list"),
    ],
    Role.CARE_COORDINATOR: [
        Panel(_("Inbox of support requests"), _("Support requests from schools, to triage and assign."), "care:request_list"),
        Panel(_("Follow-up list"), _("Handovers left unacknowledged and young people who left school without a qualification."),
              "care:follow_up_list"),
    ],
    Role.TUTOR_COORDINATOR: [
        Panel(_("Tutors"), _("Tutors who signed up, with their screening and training."), "tutoring:tutor_list"),
        Panel(_("Matching"), _("Proposed matches between tutors and pupils, to review."), "tutoring:run_list"),
        Panel(_("Match health"), _("Active matches with their check-ins; matches without a recent check-in stand out."), "tutoring:match_list"),
    ],
    Role.TUTOR: [
        Panel(_("Your pupils"), _("The pupils you are matched with; fill in a check-in every few weeks."), "tutoring:my_pupils"),
        Panel(_("Training"), _("The training modules you still have to complete."), "tutoring:me_training"),
    ],
    Role.ORGANISATION_CONTACT: [
        Panel(_("Your organisation"), _("Workplace-learning places, school partners and attestations of your organisation."),
              "portfolio:org_home"),
    ],
    Role.YOUTH: [
        Panel(_("Your talent portfolio"), _("What you have learned, in and out of school. You decide who sees it."),
              "portfolio:home"),
    ],
    Role.PARENT: [
        Panel(_("Your child"), _("Your child's school career, absences, attestations, tutoring and an export of their data."),
              "site:children"),
        Panel(_("Talent portfolio"), _("Your child's talent portfolio, within what your child shows you from 13."), "portfolio:home"),
    ],
    Role.ADMIN: [
        Panel(_("Accounts and roles"), _("Users, their roles and their memberships of schools, CLBs and organisations."), "admin:accounts_user_changelist"),
        Panel(_("Audit log"), _("Every read and write of a person's data, searchable."), "admin:audit_auditentry_changelist"),
    ],
}


# where a primary school's staff land instead of the risk list (no model is validated for primary pupils)
PRIMARY_PANEL = Panel(_("Your primary school"), "", "registry:primary_school",
                      _("Attendance, school delay and the transition to secondary education of your pupils; primary pupils get no risk score."))
