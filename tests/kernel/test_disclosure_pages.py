"""Every aggregate page and export has a test that attacks it.

The route table of tests/foundation/test_route_audit.py marks each route that shows aggregates
(``AGGREGATE``). Each of them is named here with the tests that request it in a world with small
groups, collect every table the request published through ``kernel.disclosure`` and let the attacker
(tests/kernel/attacker.py, linear programmes) solve for every suppressed cell from every figure of
the page: none may be pinned to one number. A new aggregate route without such a test fails
``test_every_aggregate_route_is_attacked``.
"""

from __future__ import annotations

import importlib
import inspect

from tests.foundation.test_route_audit import AGGREGATE, TABLE

ATTACKED = {
    "home-root": ["tests.registry.test_disclosure_outflow.test_home_page_city_figure"],
    "site:home": ["tests.registry.test_disclosure_outflow.test_home_page_city_figure",
                  "tests.site.test_home_this_week.test_the_city_counts_pin_no_suppressed_cell"],
    "registry:primary_school": ["tests.site.test_primary_school.test_the_page_outside_the_school_pins_no_suppressed_cell"],
    "registry:outflow": ["tests.registry.test_disclosure_outflow.test_every_outflow_page_is_safe",
                         "tests.registry.test_disclosure_outflow.test_the_pages_of_one_year_together_are_safe"],
    "ews:portrait": ["tests.ews.test_disclosure_ews.test_portrait_outside_the_school_pins_no_suppressed_cell",
                     "tests.ews.test_disclosure_ews.test_staff_of_the_school_see_their_own_column"],
    "ews:portrait_pdf": ["tests.ews.test_disclosure_ews.test_portrait_pdf_outside_the_school_is_one_safe_release"],
    "ews:model_card": ["tests.ews.test_approval.test_the_model_card_pins_no_small_count_behind_a_groups_rates"],
    "ews:model_card_run": ["tests.ews.test_approval.test_the_model_card_pins_no_small_count_behind_a_groups_rates"],
    "ews:city_dashboard": ["tests.ews.test_disclosure_ews.test_city_dashboard_pins_no_suppressed_cell"],
    "ews:city_monitoring": ["tests.ews.test_monitoring.test_a_school_with_three_leavers_shows_no_exact_small_count",
                            "tests.ews.test_monitoring.test_every_list_and_pair_pins_nothing",
                            "tests.ews.test_monitoring.test_the_drift_section_in_dutch"],
    "care:effect_list": ["tests.care.test_disclosure_effects.test_list_page_is_safe"],
    "care:effect_report": ["tests.care.test_disclosure_effects.test_report_page_is_safe_and_hides_the_small_numerator_and_its_complements"],
    "care:effect_report_pdf": ["tests.care.test_disclosure_effects.test_pdf_shows_the_figures_of_the_page"],
    "care:flagged_schools": ["tests.care.test_disclosure_effects.test_flagged_schools_page_is_safe"],
    "tutoring:reports": ["tests.tutoring.test_disclosure_tutoring.test_the_report_page_is_safe_against_an_attacker",
                         "tests.tutoring.test_disclosure_tutoring.test_a_coordinator_page_is_safe_too"],
    "assessments:norms": ["tests.assessments.test_disclosure_growth.test_norms_page_is_safe_and_hides_a_second_band"],
    "assessments:growth": ["tests.assessments.test_disclosure_growth.test_growth_page_hides_the_total_that_gives_away_small_mode_counts",
                           "tests.assessments.test_disclosure_growth.test_growth_page_with_large_groups_shows_the_estimate_safely"],
    "portfolio:city_figures": ["tests.portfolio.test_disclosure_portfolio.test_city_figures_are_safe_and_hide_the_complement"],
}
# exports that are not routes: the yearly effect run writes the page's figures and PDFs
COMMANDS = {"care_effects": ["tests.care.test_disclosure_effects.test_command_prints_and_writes_the_figures_of_the_pages"]}


def _test(path: str):
    module, name = path.rsplit(".", 1)
    return getattr(importlib.import_module(module), name, None)


def test_every_aggregate_route_is_attacked():
    aggregate = sorted(route for route, entry in TABLE.items() if entry is AGGREGATE)
    missing = [route for route in aggregate if route not in ATTACKED]
    assert not missing, f"aggregate routes without a disclosure test (add one and name it in ATTACKED): {missing}"
    stale = [route for route in ATTACKED if route not in aggregate]
    assert not stale, f"ATTACKED names routes that are not aggregate routes: {stale}"


def test_each_named_test_requests_a_page_and_runs_the_attacker():
    for route, tests in {**ATTACKED, **COMMANDS}.items():
        for path in tests:
            function = _test(path)
            assert function is not None, f"{route}: {path} does not exist"
            source = inspect.getsource(function)
            assert "assert_safe(" in source or "pinned(" in source or "attack(" in source, (
                f"{route}: {path} does not run the attacker on what the page published")
