"""Navigation per role. Each app adds its entries here as it arrives.

A role's menu fits one line on a laptop (1366 px): at most ``MAX_TOP_LEVEL`` entries whose labels,
in the language of the request, fit ``WIDTH_BUDGET``. Items start as links; while the menu does not
fit, their groups fold into dropdowns, least used first (``FOLD_ORDER``); a group that holds one item
for the role stays that item's link; if it still does not fit, the last entries share a "More"
dropdown. Below the laptop width the whole menu collapses behind a menu button (templates/base.html).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from leerloopbaan.accounts.roles import Role


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: frozenset[str]
    group: str = ""


MAX_TOP_LEVEL = 7
# Room for the menu entries at 1366 px beside the brand and the language/account tools, in pixels,
# and the estimate of an entry's width: its label at 16 px in the system font plus padding (a
# dropdown adds its caret). Checked in a browser by tests/e2e/test_layout.py.
WIDTH_BUDGET = 720
PX_PER_CHAR, PX_PER_ENTRY, PX_PER_CARET = 7.6, 20, 17

# The dropdown groups; a group's dropdown sits where the role's first item of it would be.
GROUPS: dict[str, str] = {
    "ews": _("Early warning"),
    "pupils": _("Pupil registry"),
    "care": _("Care"),
    "learning": _("Tutoring and learning gain"),
    "portfolio": _("Portfolio"),
}
MORE = _("More")
# The order in which groups fold into a dropdown when a menu is too wide: the shared portfolio pages
# first, a role's daily work last.
FOLD_ORDER = ["portfolio", "learning", "care", "pupils", "ews"]

ALL = frozenset(Role.values)
CITY = frozenset({Role.CITY_ANALYST, Role.PROGRAMME_MANAGER, Role.ADMIN})

ITEMS: list[NavItem] = [
    NavItem(_("Home"), "site:home", ALL),
    NavItem(_("Risk list"), "ews:risk_list", frozenset({Role.SCHOOL_STAFF, Role.CLB_WORKER}), "ews"),
    NavItem(
        _("School portrait"),
        "ews:portrait_home",
        frozenset(
            {Role.SCHOOL_STAFF, Role.CLB_WORKER, Role.CITY_ANALYST, Role.PROGRAMME_MANAGER, Role.ADMIN}
        ),
        "ews",
    ),
    NavItem(_("City dashboard"), "ews:city_dashboard", CITY, "ews"),
    NavItem(_("Monitoring"), "ews:city_monitoring", frozenset({Role.CITY_ANALYST, Role.ADMIN}), "ews"),
    NavItem(
        _("Pupils"),
        "registry:pupil_list",
        frozenset({Role.SCHOOL_STAFF, Role.CLB_WORKER, Role.CITY_ANALYST, Role.ADMIN}),
        "pupils",
    ),
    NavItem(
        _("Import"),
        "registry:import",
        frozenset({Role.SCHOOL_STAFF, Role.CITY_ANALYST, Role.ADMIN}),
        "pupils",
    ),
    NavItem(_("Support"), "care:request_list", frozenset({Role.SCHOOL_STAFF, Role.CLB_WORKER}), "care"),
    NavItem(_("Inbox"), "care:request_list", frozenset({Role.CARE_COORDINATOR}), "care"),
    NavItem(_("Assigned requests"), "care:request_list", frozenset({Role.ORGANISATION_CONTACT}), "care"),
    NavItem(
        _("Support offers"),
        "care:offer_list",
        frozenset(
            {
                Role.SCHOOL_STAFF,
                Role.CLB_WORKER,
                Role.CARE_COORDINATOR,
                Role.ORGANISATION_CONTACT,
                Role.TUTOR_COORDINATOR,
                Role.CITY_ANALYST,
                Role.PROGRAMME_MANAGER,
                Role.ADMIN,
            }
        ),
        "care",
    ),
    NavItem(
        _("Cases"),
        "care:case_list",
        frozenset({Role.CARE_COORDINATOR, Role.CLB_WORKER, Role.SCHOOL_STAFF}),
        "care",
    ),
    NavItem(
        _("Handovers"),
        "care:handover_list",
        frozenset({Role.SCHOOL_STAFF, Role.CLB_WORKER, Role.CARE_COORDINATOR}),
        "care",
    ),
    NavItem(_("Follow-up list"), "care:follow_up_list", frozenset({Role.CARE_COORDINATOR}), "care"),
    NavItem(_("Outflow"), "registry:outflow", CITY, "ews"),
    NavItem(
        _("Effects"),
        "care:effect_list",
        frozenset(
            {
                Role.CARE_COORDINATOR,
                Role.PROGRAMME_MANAGER,
                Role.CITY_ANALYST,
                Role.ADMIN,
                Role.ORGANISATION_CONTACT,
            }
        ),
        "care",
    ),
    NavItem(_("Tutors"), "tutoring:tutor_list", frozenset({Role.TUTOR_COORDINATOR, Role.ADMIN}), "learning"),
    NavItem(_("Matching"), "tutoring:run_list", frozenset({Role.TUTOR_COORDINATOR, Role.ADMIN}), "learning"),
    NavItem(_("City-wide matching"), "tutoring:city_run", frozenset({Role.PROGRAMME_MANAGER}), "learning"),
    NavItem(_("Matches"), "tutoring:match_list", frozenset({Role.TUTOR_COORDINATOR, Role.ADMIN}), "learning"),
    NavItem(
        _("Tutoring needs"),
        "tutoring:need_list",
        frozenset({Role.SCHOOL_STAFF, Role.CLB_WORKER, Role.TUTOR_COORDINATOR}),
        "learning",
    ),
    NavItem(_("Your pupils"), "tutoring:my_pupils", frozenset({Role.TUTOR}), "learning"),
    NavItem(_("Training"), "tutoring:me_training", frozenset({Role.TUTOR}), "learning"),
    NavItem(_("Your profile"), "tutoring:me_profile", frozenset({Role.TUTOR}), "learning"),
    NavItem(_("Your tutoring"), "tutoring:my_tutoring", frozenset({Role.YOUTH}), "learning"),
    NavItem(
        _("Remediation proposals"),
        "assessments:proposals",
        frozenset({Role.SCHOOL_STAFF, Role.CLB_WORKER}),
        "learning",
    ),
    NavItem(
        _("Growth of tutored pupils"),
        "assessments:growth",
        frozenset({Role.CITY_ANALYST, Role.PROGRAMME_MANAGER, Role.TUTOR_COORDINATOR, Role.ADMIN}),
        "learning",
    ),
    NavItem(
        _("Test norms"),
        "assessments:norms",
        frozenset({Role.CITY_ANALYST, Role.PROGRAMME_MANAGER, Role.TUTOR_COORDINATOR, Role.ADMIN}),
        "learning",
    ),
    NavItem(
        _("Tutoring figures"),
        "tutoring:reports",
        frozenset({Role.CITY_ANALYST, Role.PROGRAMME_MANAGER, Role.TUTOR_COORDINATOR, Role.ADMIN}),
        "learning",
    ),
    NavItem(_("Your children"), "site:children", frozenset({Role.PARENT}), "pupils"),
    NavItem(_("Talent portfolio"), "portfolio:home", frozenset({Role.YOUTH, Role.PARENT}), "portfolio"),
    NavItem(_("Attestations"), "portfolio:org_home", frozenset({Role.ORGANISATION_CONTACT}), "portfolio"),
    NavItem(_("Portfolio organisations"), "portfolio:city_issuers", CITY, "portfolio"),
    NavItem(_("Portfolio figures"), "portfolio:city_figures", CITY, "portfolio"),
    NavItem(_("Talent growth places"), "portfolio:places", ALL, "portfolio"),
    NavItem(_("Verify a credential"), "portfolio:verify", ALL, "portfolio"),
    NavItem(_("Audit log"), "admin:audit_auditentry_changelist", frozenset({Role.ADMIN})),
]


def items_for(role: str) -> list[NavItem]:
    return [item for item in ITEMS if role in item.roles]


@dataclass
class MenuEntry:
    """One top-level entry: a link (``url``) or a dropdown group (``children``)."""

    label: str
    url: str = ""
    active: bool = False
    children: list[MenuEntry] = field(default_factory=list)
    key: str = ""

    @property
    def is_group(self) -> bool:
        return bool(self.children)


def _url(url_name: str) -> str | None:
    try:
        return reverse(url_name)
    except NoReverseMatch:
        return None


def estimated_width(entries: list[MenuEntry]) -> float:
    return sum(
        len(str(e.label)) * PX_PER_CHAR + PX_PER_ENTRY + (PX_PER_CARET if e.is_group else 0) for e in entries
    )


def fits(entries: list[MenuEntry]) -> bool:
    return len(entries) <= MAX_TOP_LEVEL and estimated_width(entries) <= WIDTH_BUDGET


def _fold(links: list[tuple[NavItem, MenuEntry]], folded: set[str]) -> list[MenuEntry]:
    top: list[MenuEntry] = []
    groups: dict[str, MenuEntry] = {}
    for item, entry in links:
        if item.group not in folded:
            top.append(entry)
            continue
        if item.group not in groups:
            groups[item.group] = MenuEntry(label=GROUPS[item.group], key=item.group)
            top.append(groups[item.group])
        groups[item.group].children.append(entry)
    return [entry.children[0] if len(entry.children) == 1 else entry for entry in top]


def menu_for(role: str, path: str = "", url_for: Callable[[str], str | None] = _url) -> list[MenuEntry]:
    """The role's menu (see the module's docstring)."""
    links: list[tuple[NavItem, MenuEntry]] = []
    for item in items_for(role):
        url = url_for(item.url_name)
        if url is not None:
            links.append((item, MenuEntry(label=item.label, url=url, active=path == url)))
    folded: set[str] = set()
    top = _fold(links, folded)
    for group in FOLD_ORDER:
        if fits(top):
            break
        folded.add(group)
        top = _fold(links, folded)
    keep = len(top)
    while not fits(top) and keep > 1:  # still too wide: the last entries share a "More" dropdown
        keep -= 1
        more = MenuEntry(label=MORE, key="more")
        for entry in top[keep:]:
            more.children.extend(entry.children or [entry])
        top = top[:keep] + [more]
    for entry in top:
        entry.active = entry.active or any(child.active for child in entry.children)
    return top
