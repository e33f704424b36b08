"""Navigation per role. Each app adds its entries here as it arrives."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from leerloopbaan.accounts.roles import Role


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: frozenset[str]


ALL = frozenset(Role.values)
CITY = frozenset({Role.CITY_ANALYST, Role.PROGRAMME_MANAGER, Role.ADMIN})

ITEMS: list[NavItem] = [
    NavItem(_("Home"), "site:home", ALL),
    NavItem(_("Risk list"), "ews:risk_list", frozenset({Role.SCHOOL_STAFF, Role.CLB_WORKER})),
    NavItem(_("School portrait"), "ews:portrait_home", frozenset({Role.SCHOOL_STAFF, Role.CLB_WORKER, Role.CITY_ANALYST, Role.PROGRAMME_MANAGER, Role.ADMIN})),
    NavItem(_("City dashboard"), "ews:city_dashboard", CITY),
    NavItem(_("Monitoring"), "ews:city_monitoring", frozenset({Role.CITY_ANALYST, Role.ADMIN})),
    NavItem(_("Pupils"), "registry:pupil_list", frozenset({Role.SCHOOL_STAFF, Role.CLB_WORKER, Role.CITY_ANALYST, Role.ADMIN})),
    NavItem(_("Import"), "registry:import", frozenset({Role.SCHOOL_STAFF, Role.CITY_ANALYST, Role.ADMIN})),
    NavItem(_("Support"), "care:request_list", frozenset({Role.SCHOOL_STAFF, Role.CLB_WORKER})),
    NavItem(_("Inbox"), "care:request_list", frozenset({Role.CARE_COORDINATOR})),
    NavItem(_("Assigned requests"), "care:request_list", frozenset({Role.ORGANISATION_CONTACT})),
    NavItem(_("Support offers"), "care:offer_list", frozenset({Role.SCHOOL_STAFF, Role.CLB_WORKER, Role.CARE_COORDINATOR, Role.ORGANISATION_CONTACT,
                                                               Role.TUTOR_COORDINATOR, Role.CITY_ANALYST, Role.PROGRAMME_MANAGER, Role.ADMIN})),
    NavItem(_("Cases"), "care:case_list", frozenset({Role.CARE_COORDINATOR, Role.CLB_WORKER, Role.SCHOOL_STAFF})),
    NavItem(_("Handovers"), "care:handover_list", frozenset({Role.SCHOOL_STAFF, Role.CLB_WORKER, Role.CARE_COORDINATOR})),
    NavItem(_("Follow-up list"), "care:follow_up_list", frozenset({Role.CARE_COORDINATOR})),
    NavItem(_("Outflow"), "registry:outflow", CITY),
    NavItem(_("Effects"), "care:effect_list", frozenset({Role.CARE_COORDINATOR, Role.PROGRAMME_MANAGER, Role.CITY_ANALYST, Role.ADMIN,
                                                          Role.ORGANISATION_CONTACT})),
    NavItem(_("Tutors"), "tutoring:tutor_list", frozenset({Role.TUTOR_COORDINATOR, Role.ADMIN})),
    NavItem(_("Matching"), "tutoring:run_list", frozenset({Role.TUTOR_COORDINATOR, Role.ADMIN})),
    NavItem(_("City-wide matching"), "tutoring:city_run", frozenset({Role.PROGRAMME_MANAGER})),
    NavItem(_("Matches"), "tutoring:match_list", frozenset({Role.TUTOR_COORDINATOR, Role.ADMIN})),
    NavItem(_("Tutoring needs"), "tutoring:need_list", frozenset({Role.SCHOOL_STAFF, Role.CLB_WORKER, Role.TUTOR_COORDINATOR})),
    NavItem(_("Your pupils"), "tutoring:my_pupils", frozenset({Role.TUTOR})),
    NavItem(_("Training"), "tutoring:me_training", frozenset({Role.TUTOR})),
    NavItem(_("Your profile"), "tutoring:me_profile", frozenset({Role.TUTOR})),
    NavItem(_("Your tutoring"), "tutoring:my_tutoring", frozenset({Role.YOUTH})),
    NavItem(_("Remediation proposals"), "assessments:proposals", frozenset({Role.SCHOOL_STAFF, Role.CLB_WORKER})),
    NavItem(_("Growth of tutored pupils"), "assessments:growth", frozenset({Role.CITY_ANALYST, Role.PROGRAMME_MANAGER, Role.TUTOR_COORDINATOR,
                                                                          Role.ADMIN})),
    NavItem(_("Test norms"), "assessments:norms", frozenset({Role.CITY_ANALYST, Role.PROGRAMME_MANAGER, Role.TUTOR_COORDINATOR, Role.ADMIN})),
    NavItem(_("Tutoring figures"), "tutoring:reports", frozenset({Role.CITY_ANALYST, Role.PROGRAMME_MANAGER, Role.TUTOR_COORDINATOR, Role.ADMIN})),
    NavItem(_("Talent portfolio"), "portfolio:home", frozenset({Role.YOUTH, Role.PARENT})),
    NavItem(_("Attestations"), "portfolio:org_home", frozenset({Role.ORGANISATION_CONTACT})),
    NavItem(_("Portfolio organisations"), "portfolio:city_issuers", CITY),
    NavItem(_("Portfolio figures"), "portfolio:city_figures", CITY),
    NavItem(_("Talent growth places"), "portfolio:places", ALL),
    NavItem(_("Verify a credential"), "portfolio:verify", ALL),
    NavItem(_("Audit log"), "admin:audit_auditentry_changelist", frozenset({Role.ADMIN})),
]


def items_for(role: str) -> list[NavItem]:
    return [item for item in ITEMS if role in item.roles]
