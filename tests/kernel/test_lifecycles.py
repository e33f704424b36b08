"""Every declared lifecycle is complete: its states are the model's, every state is reachable from a
start state, nothing leaves a terminal state, every other state has a way out, and no transition
leads to a state the model does not know."""

from __future__ import annotations

import importlib
import re

import pytest

from leerloopbaan.kernel import workflow

# the modules that declare lifecycles; a lifecycle declared elsewhere must be added here and below
MODULES = ["leerloopbaan.care.requests.services", "leerloopbaan.care.cases.services", "leerloopbaan.care.handovers.services",
           "leerloopbaan.tutoring.tutors.services", "leerloopbaan.tutoring.matching.services", "leerloopbaan.portfolio.youth.services"]
EXPECTED = {
    "care.request": "care.SupportRequest", "care.case": "care.Case", "care.handover": "care.Handover",
    "tutoring.tutor": "tutoring.Tutor", "tutoring.need": "tutoring.TutoringNeed", "tutoring.match": "tutoring.Match",
    "tutoring.run": "tutoring.MatchRun", "portfolio.credential": "portfolio.Credential", "portfolio.issuer": "portfolio.Issuer",
    "portfolio.request": "portfolio.AttestationRequest",
}


def declared() -> dict[str, workflow.Lifecycle]:
    for module in MODULES:
        importlib.import_module(module)
    return {name: lc for name, lc in workflow.lifecycles().items() if not name.startswith("test.")}


def test_every_lifecycle_is_declared_once_for_its_model():
    lifecycles = declared()
    assert {name: lc.model._meta.label for name, lc in lifecycles.items()} == EXPECTED
    for lc in lifecycles.values():
        assert workflow.lifecycle_of(lc.model) is lc


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_transition_table_is_complete(name):
    lc = declared()[name]
    choices = [value for value, _label in lc.model._meta.get_field(lc.state_field).choices]
    assert sorted(lc.states) == sorted(choices), "the lifecycle's states are the model's choices"
    states = set(choices)
    assert set(lc.initial) <= states and lc.initial
    for t in lc.transitions:
        assert re.fullmatch(r"[a-z_]+", t.action), t.action
        assert set(t.sources) <= states, f"{t.action}: from an unknown state {set(t.sources) - states}"
        assert t.target is None or t.target in states, f"{t.action}: to an unknown state {t.target}"
        assert t.sources, f"{t.action}: from no state"
        assert str(t.label).strip() and callable(t.guard), t.action
    graph = workflow.state_graph(lc)
    reached, todo = set(lc.initial), list(lc.initial)
    while todo:
        for nxt in graph[todo.pop()] - reached:
            reached.add(nxt)
            todo.append(nxt)
    assert reached == states, f"never reached: {states - reached}"
    dead_ends = {state for state, targets in graph.items() if not targets - {state}}
    assert dead_ends == set(lc.terminal), f"terminal declared {set(lc.terminal)}, but nothing leaves {dead_ends}"


def test_a_table_with_a_duplicate_action_is_refused():
    from leerloopbaan.tutoring.models import Tutor

    t = workflow.Transition("go", ("applied",), "screening", "Go", lambda user, obj: True)
    with pytest.raises(ValueError, match="declared twice"):
        workflow.Lifecycle(name="test.double", model=Tutor, noun="x", states=Tutor.Status.values, initial=["applied"], transitions=[t, t],
                           conflict_message="x", audit=lambda obj, change: {}, register=False)
