"""The one formatting layer (kernel/formatting.py) and its template filters: nl-BE by default, English on request,
one rounding rule (half up on the decimal value) for tables, bars and charts alike."""

from __future__ import annotations

import datetime
import logging

import pytest
from django.template import Context, Template
from django.utils import translation

from leerloopbaan.kernel import formatting as f


@pytest.mark.parametrize(
    ("call", "nl", "en"),
    [
        (lambda lang: f.integer(3670, lang), "3.670", "3,670"),
        (lambda lang: f.integer(1234567, lang), "1.234.567", "1,234,567"),
        (lambda lang: f.number(1.63, 2, lang), "1,63", "1.63"),
        (lambda lang: f.number(32, 1, lang), "32,0", "32.0"),
        (lambda lang: f.number(250, -1, lang), "250", "250"),
        (lambda lang: f.number(250.46, -1, lang), "250,5", "250.5"),
        (lambda lang: f.percent(66.65, 1, lang), "66,7%", "66.7%"),
        (lambda lang: f.share(2 / 3, 1, lang), "66,7%", "66.7%"),
        (lambda lang: f.share(0.665, 0, lang), "67%", "67%"),
        (lambda lang: f.date(datetime.date(2026, 12, 6), lang), "06-12-2026", "2026-12-06"),
        (lambda lang: f.long_date(datetime.date(2026, 12, 6), lang), "6 december 2026", "6 December 2026"),
        (lambda lang: f.number(None, 1, lang), "–", "–"),
    ],
)
def test_each_kind_in_dutch_and_english(call, nl, en):
    assert call("nl-be") == nl
    assert call("en") == en


def test_rounding_is_half_up_on_the_decimal_value_not_the_float():
    # 2.675 is 2.67499999... as a float: banker's or binary rounding gives 2.67, a person expects 2.68
    assert f.number(2.675, 2, "en") == "2.68"
    assert f.number(0.125, 2, "en") == "0.13"  # half even would give 0.12
    assert f.share(0.6665, 1, "en") == "66.7%"
    assert f.number(-0.04, 1, "en") == "0.0"  # never "-0.0"


def test_a_moment_is_shown_in_brussels_time():
    moment = datetime.datetime(2026, 12, 6, 23, 30, tzinfo=datetime.UTC)  # 00:30 on 7 December in Brussels
    assert f.moment(moment, "nl") == "07-12-2026 00:30"


def test_the_active_language_decides():
    with translation.override("nl-be"):
        assert f.percent(66.66) == "66,7%"
    with translation.override("en"):
        assert f.percent(66.66) == "66.7%"


def test_the_filters_are_built_into_every_template_and_delegate():
    template = Template(
        "{{ n|integer }} {{ x|number:2 }} {{ p|percent }} {{ s|share:0 }} {{ d|day }} {{ none|day|default:'–' }}"
    )
    context = Context(
        {"n": 3706, "x": 1.625, "p": 66.65, "s": 0.5, "d": datetime.date(2026, 12, 6), "none": None}
    )
    with translation.override("nl-be"):
        assert template.render(context) == "3.706 1,63 66,7% 50% 06-12-2026 –"


def test_a_published_count_is_grouped_or_stays_suppressed():
    from leerloopbaan.kernel.disclosure import HIDDEN, SHOWN, SMALL, Figure

    template = Template("{{ a|integer }} {{ b|integer }} {{ c|integer }}")
    context = Context(
        {"a": Figure(state=SHOWN, value=3670), "b": Figure(state=SMALL), "c": Figure(state=HIDDEN)}
    )
    with translation.override("nl-be"):
        assert template.render(context) == "3.670 &lt;5 ×"


def test_the_ews_filters_use_the_same_layer():
    from leerloopbaan.ews.templatetags.ews_tags import pct, rate
    from leerloopbaan.kernel.disclosure import SHOWN, Figure

    figure = Figure(state=SHOWN, value=2 / 3)
    with translation.override("nl-be"):
        assert pct(0.185) == "19%"
        assert rate(figure) == "66,7%" == f.share(2 / 3)


def test_audit_lines_go_to_their_file_not_the_console(tmp_path, settings, capsys):
    """The demo printed 49 ``audit action=…`` lines among its progress: the console handler drops them."""
    from logging.config import dictConfig

    config = {**settings.LOGGING, "handlers": {**settings.LOGGING["handlers"]}}
    config["handlers"]["audit_file"] = {
        **config["handlers"]["audit_file"],
        "filename": str(tmp_path / "log" / "audit.log"),
    }
    try:
        dictConfig(config)
        logging.getLogger("leerloopbaan.kernel.audit").info("audit action=read type=pupil count=1")
        logging.getLogger("leerloopbaan.registry").warning("progress of an import")
        err = capsys.readouterr().err
        assert "progress of an import" in err
        assert "audit action" not in err
        assert "audit action=read" in (tmp_path / "log" / "audit.log").read_text()
    finally:
        dictConfig(settings.LOGGING)
