"""The one chart module (kernel.charts): nice axis maxima, a title and a text alternative on every
chart, risk-band colours with labels, small multiples instead of a tangle, nl-BE numbers."""

import re

import pytest
from django.utils import translation

from leerloopbaan.kernel import charts


@pytest.mark.parametrize(
    ("value", "top"),
    [
        (187, 200),
        (0.41, 0.5),
        (41, 50),
        (1000, 1000),
        (1001, 2000),
        (201, 250),
        (3, 5),
        (0.07, 0.1),
        (0.2, 0.2),
        (12, 20),
        (0, 1),
        (None, 1),
    ],
)
def test_nice_maxima_step_1_2_2_5_5_10(value, top):
    assert charts.nice_max(value) == pytest.approx(top)


def test_ticks_end_on_the_nice_maximum():
    assert charts.ticks(200) == [0, 50, 100, 150, 200]
    assert charts.ticks(0.5) == pytest.approx([0, 0.1, 0.2, 0.3, 0.4, 0.5])
    assert charts.ticks(250) == [0, 50, 100, 150, 200, 250]


def _axis_labels(svg: str) -> list[str]:
    return re.findall(r'text-anchor="end" fill="#495057">([^<]+)</text>', svg)


def test_187_pupils_get_a_0_to_200_axis_and_41_percent_a_0_to_50_percent_axis():
    with translation.override("nl-be"):
        bars = charts.bar_chart([("a", 187), ("b", 20)], title="Leerlingen")
        rates = charts.line_chart(
            {"VSV": [("2023-2024", 0.41), ("2024-2025", 0.3)]}, title="VSV", percent=True
        )
    assert _axis_labels(bars)[-1] == "200" and "1000" not in _axis_labels(bars)
    assert _axis_labels(rates)[-1] == "50%" and "100%" not in _axis_labels(rates)


def _every_chart():
    rows = [
        charts.RangeRow("Vertraging", 0.23, 0.1, 0.18, 0.3, 0.45),
        charts.RangeRow("VSV", None, note="<5"),
    ]
    return {
        "bar": charts.bar_chart([("a", 3)], title="Bars"),
        "hbar": charts.hbar_chart([("a", 0.3)], title="HBars", percent=True),
        "line": charts.line_chart({"s": [("x", 1.0)]}, title="Lines"),
        "multiples": charts.small_multiples({"p": [("x", 1.0)], "q": [("x", 2.0)]}, title="Panels"),
        "range": charts.range_chart(rows, title="Range"),
        "growth": charts.growth_curve([charts.Slot("m1", "M1", (1, 2, 3, 4))], [], title="Growth"),
        "interval": charts.interval_chart([("a", 0.1, -0.2, 0.4, "SD")], title="Intervals"),
        "empty": charts.bar_chart([], title="Empty"),
    }


@pytest.mark.parametrize("name", list(_every_chart()))
def test_every_chart_has_a_visible_title_and_a_text_alternative(name):
    svg = _every_chart()[name]
    title = {
        "bar": "Bars",
        "hbar": "HBars",
        "line": "Lines",
        "multiples": "Panels",
        "range": "Range",
        "growth": "Growth",
        "interval": "Intervals",
        "empty": "Empty",
    }[name]
    cid = re.search(r'<svg[^>]* id="([^"]+)"', svg).group(1)
    assert f'aria-labelledby="{cid}-title {cid}-desc"' in svg and 'role="img"' in svg
    assert f'<title id="{cid}-title">{title}</title>' in svg
    desc = re.search(rf'<desc id="{cid}-desc">([^<]+)</desc>', svg).group(1)
    assert desc.strip(" .")  # the figures in words
    assert re.search(rf'<text [^>]*font-weight="bold"[^>]*>{title}</text>', svg)  # drawn, not only announced
    assert "style=" not in svg and "<script" not in svg


def test_text_alternative_says_the_figures_in_nl_be():
    with translation.override("nl-be"):
        svg = charts.bar_chart(
            [charts.Bar("laag", 145, "low"), charts.Bar("hoog", None, "high", "<5")], title="Risico"
        )
        line = charts.line_chart({"school": [("2024-2025", 0.074)]}, title="VSV", percent=True)
        mean = charts.interval_chart([("lezen", 1.25, 0.5, 2.0, "schaalpunten")], title="Groei")
    assert "laag: 145; hoog: &lt;5." in svg
    assert "school: 2024-2025 7,4%." in line
    assert "lezen: 1,25 (0,50" in mean


def test_numbers_follow_the_active_language():
    with translation.override("nl-be"):
        assert (charts.fmt(1234.5, digits=1), charts.fmt(0.413, "percent"), charts.fmt(2500, "count")) == (
            "1.234,5",
            "41%",
            "2.500",
        )
        assert charts.fmt(0.0413, "percent") == "4,1%"
    with translation.override("en"):
        assert charts._locale() == "en_BE"


def test_risk_bands_have_their_own_colours_and_their_names():
    svg = charts.bar_chart(
        [charts.Bar("laag", 100, "low"), charts.Bar("middel", 30, "medium"), charts.Bar("hoog", 12, "high")],
        title="Risico",
    )
    fills = re.findall(r'<rect [^>]*fill="(#[0-9A-Fa-f]{6})"', svg)
    assert fills == [charts.BAND_COLOURS["low"], charts.BAND_COLOURS["medium"], charts.BAND_COLOURS["high"]]
    assert len(set(fills)) == 3
    for name in ("laag", "middel", "hoog"):  # not told by colour alone
        assert re.search(rf"<text [^>]*>{name}</text>", svg)


def test_band_colours_differ_in_lightness_too():
    """Colour-blind safe: the three band colours are told apart by lightness as well as hue."""

    def lightness(hex_colour):
        r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    values = sorted(lightness(c) for c in charts.BAND_COLOURS.values())
    assert min(b - a for a, b in zip(values, values[1:], strict=False)) > 20


def test_a_tangle_of_lines_is_refused_and_small_multiples_draw_one_panel_each():
    eight = {f"district {i}": [("2023-2024", 0.1 * i / 8), ("2024-2025", 0.05)] for i in range(8)}
    with pytest.raises(ValueError, match="small_multiples"):
        charts.line_chart(eight, title="Tangle")
    svg = charts.small_multiples(
        eight,
        title="Per district",
        percent=True,
        reference=("stad", [("2023-2024", 0.06), ("2024-2025", 0.07)]),
    )
    for name in eight:
        assert re.search(rf'font-weight="bold"[^>]*>{name}</text>', svg)  # every panel titled
    assert svg.count("<polyline") == 2 * 8  # its own line and the reference in each panel
    # one shared scale: every panel's top gridline is the same nice maximum (10 %)
    assert set(re.findall(r'font-size="9">(\d+%)</text>', svg)) <= {"0%", "5%", "10%"}


def test_a_range_chart_marks_the_school_on_the_range_of_similar_schools():
    with translation.override("nl-be"):
        svg = charts.range_chart(
            [charts.RangeRow("Vertraging", 0.23, 0.1, 0.18, 0.3, 0.45)],
            title="Bereik",
            school_label="deze school",
        )
    assert svg.count("<circle") == 2  # the legend's dot and the school's
    assert "Vertraging: 23%" in svg and ">23%</text>" in svg
    assert re.search(r'<rect [^>]*fill="#9fb6cc"', svg)  # the middle half
    assert _axis_labels(svg) == [] and ">50%</text>" in svg  # 45 % -> a 0-50 % axis


def test_interval_chart_puts_scale_points_and_sd_on_their_own_axes():
    svg = charts.interval_chart(
        [("lezen", 4.0, 1.0, 7.0, "schaalpunten"), ("lezen", 0.2, 0.05, 0.35, "SD")], title="Verschil"
    )
    assert re.search(r'font-weight="bold"[^>]*>schaalpunten</text>', svg) and re.search(
        r'font-weight="bold"[^>]*>SD</text>', svg
    )
    assert ">+10</text>" in svg and (
        ">+0,5</text>" in svg or ">+0.5</text>" in svg
    )  # two axes, each with its own nice maximum


def test_chart_numbers_round_as_the_tables_do():
    """A bar and the table beside it show the same figure: the chart module formats through
    kernel.formatting (half up), not with a rounding rule of its own (Babel's default is half even)."""
    from django.utils import translation

    from leerloopbaan.kernel import formatting

    with translation.override("nl"):
        for value in (0.66650, 0.0125, 0.4445, 0.125):
            assert charts.fmt(value, "percent", 1) == formatting.share(value, 1)
        assert charts.fmt(0.66650, "percent", 1) == "66,7%"
        assert charts.fmt(0.125, "percent", 0) == "13%"
        assert charts.fmt(3670, "count") == "3.670"
