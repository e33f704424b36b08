"""The one chart module: small server-side SVG charts, no JavaScript, nothing fetched.

Every function returns an ``<svg>`` string (every text escaped here; callers mark it safe). The rules
every chart keeps:

- **a title** on every chart, drawn at its top and given as ``<title>``;
- **a text alternative**: ``<title>`` and ``<desc>`` (the figures in words) named by
  ``aria-labelledby``, so a screen reader reads the numbers, not "image";
- **nice axis maxima**: the smallest of 1, 2, 2.5 or 5 times a power of ten at or above the largest
  value (187 pupils -> 200, a rate of 41 % -> 50 %), see ``nice_max``;
- **one quantity per axis**: a chart of rates is not also a chart of counts; rows in other units
  go to their own panel (``interval_chart``);
- **small multiples** instead of a tangle: ``line_chart`` takes at most ``MAX_LINES`` series;
  more go to ``small_multiples`` (one small panel per series, one shared scale);
- **risk bands** have their own colours (high, medium, low: colour-blind safe, Okabe-Ito) and are
  always named in text as well, never told by colour alone;
- **numbers in the reader's locale** (nl-BE: decimal comma) through ``fmt``, which hands them to
  ``kernel.formatting`` (the one formatting layer: the same rounding as the tables).


Charts:

- ``bar_chart(items, title=...)``: vertical bars (``Bar`` or ``(label, value)``); a bar with a
  ``band`` takes that band's colour.
- ``hbar_chart(items, title=...)``: horizontal bars, one per group.
- ``line_chart(series, title=...)``: up to ``MAX_LINES`` lines over shared x labels; ``None`` is a gap.
- ``small_multiples(panels, title=...)``: one small line chart per series, a shared scale, an
  optional grey reference line (e.g. the city) in every panel.
- ``range_chart(rows, title=...)``: per row the range of similar schools (minimum to maximum, the
  middle half darker) with the school as a dot on it.
- ``growth_curve(slots, points, title=...)``: a pupil's scores against the norm bands per moment.
- ``interval_chart(rows, title=...)``: estimates with intervals around zero, one panel per unit.
"""

from __future__ import annotations

import datetime
import hashlib
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 640
TITLE_Y = 18
FONT = 'font-family="sans-serif" font-size="11"'
INK, MUTED, GRID = "#212529", "#495057", "#dee2e6"
# Okabe-Ito: distinguishable with the common colour-vision deficiencies, and in lightness
SERIES = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2", "4 2")
REFERENCE = "#8a8f94"
BAND_COLOURS = {
    "high": "#D55E00",
    "medium": "#E69F00",
    "low": "#9CC3E0",
}  # vermillion, orange, light blue: apart in lightness too
MAX_LINES = 4


# --- the environment: locale and words (the one place to point at a shared formatting module) ---


def _django_ready() -> bool:
    """Django is asked only when the program already runs it (never imported from here)."""
    if "django.conf" not in sys.modules:
        return False
    from django.conf import settings

    return settings.configured


def _language() -> str:
    if not _django_ready():
        return "nl"
    from django.utils.translation import get_language

    return (get_language() or "nl").lower()


def _locale() -> str:
    return "en_BE" if _language().startswith("en") else "nl_BE"


def _t(text: str) -> str:
    if not _django_ready():
        return text
    from django.utils.translation import gettext

    return gettext(text)


def fmt(value: float | None, kind: str = "number", digits: int | None = None) -> str:
    """A number as the reader reads it (nl-BE: ``41%``, ``7,4``, ``1.234``), through ``kernel.formatting``
    (one rounding rule, half up, for charts and tables alike). ``kind``: ``count``, ``percent`` (a share
    0..1) or ``number``; ``digits``: decimals (default: 0 for counts and percentages of 10 % or more,
    1 otherwise, up to 2 for numbers under 10)."""
    from babel.numbers import format_decimal

    from leerloopbaan.kernel import formatting

    if value is None:
        return "–"
    lang = "en" if _language().startswith("en") else "nl"
    if kind == "count":
        return formatting.integer(value, lang)
    if kind == "percent":
        if digits is None:
            digits = 0 if abs(value) >= 0.1 or value == 0 or float(value * 100).is_integer() else 1
        return formatting.share(value, digits, lang)
    if digits is None:  # as many decimals as the value has, up to 2 (1 from 10 on)
        exact = formatting.rounded(value, 1 if abs(value) >= 10 else 2)
        return format_decimal(exact, format="#,##0.##", locale=_locale(), decimal_quantization=False)
    return formatting.number(value, digits, lang)


def _axis_text(value: float, percent: bool) -> str:
    return (
        fmt(value, "percent", 0 if float(round(value * 100, 6)).is_integer() else 1)
        if percent
        else fmt(value)
    )


# --- scales ----------------------------------------------------------------------------------


def nice_max(value: float | None) -> float:
    """The smallest of 1, 2, 2.5 and 5 times a power of ten at or above ``value`` (1 for nothing)."""
    if value is None or value <= 0 or math.isnan(value):
        return 1.0
    exp = math.floor(math.log10(value))
    for e in (exp - 1, exp, exp + 1):
        for step in (1, 2, 2.5, 5):
            candidate = round(step * 10.0**e, 12)
            if candidate >= value * (1 - 1e-12):
                return candidate
    return value  # pragma: no cover


def ticks(top: float) -> list[float]:
    """Gridlines from 0 to ``top`` (a ``nice_max``): 0, 50, .., 200; 0, 10 %, .., 50 %."""
    exp = math.floor(math.log10(top))
    lead = round(top / 10.0**exp, 6)
    step = {1: 0.2, 2: 0.5, 2.5: 0.5, 5: 1}.get(lead, lead / 4) * 10.0**exp
    n = int(round(top / step))
    return [round(step * i, 12) for i in range(n + 1)]


# --- the frame: title, text alternative ---------------------------------------------------------


def _id(title: str, desc: str) -> str:
    return "chart-" + hashlib.sha1(f"{title}\n{desc}".encode()).hexdigest()[:10]


def _title_size(title: str, width: int) -> int:
    """13, or smaller (down to 10) so that a long title fits the chart's width (about 0.62 em a character)."""
    return max(10, min(13, int(width / (0.62 * max(len(title), 1)))))


def _svg(
    title: str, desc: str, height: float, body: list[str], chart_id: str | None = None, width: int = WIDTH
) -> str:
    if not str(desc).strip(" ."):
        desc = _t("No figures shown.")
    cid = chart_id or _id(title, desc)
    t, d = escape(str(title)), escape(str(desc))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height:.0f}" width="100%" role="img" '
        f'aria-labelledby="{cid}-title {cid}-desc" id="{cid}" class="ll-chart" {FONT}>'
        f'<title id="{cid}-title">{t}</title><desc id="{cid}-desc">{d}</desc>'
        f'<text x="0" y="{TITLE_Y}" font-size="{_title_size(str(title), width)}" font-weight="bold" fill="{INK}">{t}</text>'
        + "".join(body)
        + "</svg>"
    )


def _text(
    x: float,
    y: float,
    text: str,
    *,
    anchor: str = "start",
    fill: str = MUTED,
    size: int | None = None,
    bold: bool = False,
) -> str:
    extra = (f' font-size="{size}"' if size else "") + (' font-weight="bold"' if bold else "")
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}"{extra}>{escape(str(text))}</text>'


def _y_grid(
    body: list[str],
    top: float,
    percent: bool,
    *,
    left: float,
    right: float,
    y0: float,
    h: float,
    label: str = "",
) -> None:
    for v in ticks(top):
        y = y0 + h - h * v / top
        body.append(
            f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}" stroke-width="1"/>'
        )
        body.append(_text(left - 5, y + 4, _axis_text(v, percent), anchor="end"))
    if label:
        body.append(_text(left, y0 - 6, label))


def _value(v: float | None, percent: bool, kind: str = "number") -> str:
    return fmt(v, "percent" if percent else kind)


# --- bars ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    band: str | None = None  # "high", "medium", "low": the band's colour
    note: str = "–"  # shown instead of a value that is None (e.g. "<5")


def _bars(items) -> list[Bar]:
    return [i if isinstance(i, Bar) else Bar(str(i[0]), None if i[1] is None else float(i[1])) for i in items]


def bar_chart(
    items,
    *,
    title: str,
    percent: bool = False,
    y_label: str = "",
    kind: str = "count",
    chart_id: str | None = None,
    width: int = WIDTH,
) -> str:
    """Vertical bars, one per item; the value is printed above each bar, the label under it. A
    count axis reaches at least 5 (no axis of 0,2 pupils)."""
    bars = _bars(items)
    top = nice_max(max([b.value for b in bars if b.value is not None], default=0))
    if kind == "count" and not percent:
        top = max(top, 5.0)
    height, left, right, y0, bottom = 250, 48, width - 10, 44, 34
    h = height - y0 - bottom
    body: list[str] = []
    _y_grid(body, top, percent, left=left, right=right, y0=y0, h=h, label=y_label)
    slot = (right - left) / max(len(bars), 1)
    bar_w = max(min(slot * 0.6, 70), 2)
    for i, b in enumerate(bars):
        cx = left + slot * (i + 0.5)
        body.append(_text(cx, height - bottom + 15, b.label, anchor="middle", fill=INK))
        if b.value is None:
            body.append(_text(cx, y0 + h - 4, b.note, anchor="middle"))
            continue
        bh = h * b.value / top
        colour = BAND_COLOURS.get(b.band or "", SERIES[0])
        text = _value(b.value, percent, kind)
        body.append(
            f'<rect x="{cx - bar_w / 2:.1f}" y="{y0 + h - bh:.1f}" width="{bar_w:.1f}" height="{bh:.1f}" fill="{colour}">'
            f"<title>{escape(f'{b.label}: {text}')}</title></rect>"
        )
        body.append(_text(cx, y0 + h - bh - 4, text, anchor="middle", fill=INK, bold=True))
    desc = "; ".join(
        f"{b.label}: {_value(b.value, percent, kind) if b.value is not None else b.note}" for b in bars
    )
    return _svg(title, desc + ".", height, body, chart_id, width)


def hbar_chart(
    items, *, title: str, percent: bool = False, kind: str = "count", chart_id: str | None = None
) -> str:
    """Horizontal bars, one per group (long labels fit), the value at the end of each bar."""
    bars = _bars(items)
    top = nice_max(max([b.value for b in bars if b.value is not None], default=0))
    row, left, right, y0 = 20, 230, WIDTH - 60, 44
    height = y0 + row * max(len(bars), 1) + 26
    body: list[str] = []
    for v in ticks(top):
        x = left + (right - left) * v / top
        body.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y0 - 4}" y2="{height - 22}" stroke="{GRID}" stroke-width="1"/>'
        )
        body.append(_text(x, height - 8, _axis_text(v, percent), anchor="middle"))
    for i, b in enumerate(bars):
        y = y0 + row * i
        label = b.label if len(b.label) <= 38 else b.label[:37] + "…"
        body.append(_text(left - 6, y + 12, label, anchor="end", fill=INK))
        if b.value is None:
            body.append(_text(left + 4, y + 12, b.note))
            continue
        w = (right - left) * b.value / top
        text = _value(b.value, percent, kind)
        colour = BAND_COLOURS.get(b.band or "", SERIES[0])
        body.append(
            f'<rect x="{left}" y="{y + 2}" width="{w:.1f}" height="{row - 6}" fill="{colour}"><title>{escape(f"{b.label}: {text}")}</title></rect>'
        )
        body.append(_text(left + w + 4, y + 12, text, fill=INK))
    desc = "; ".join(
        f"{b.label}: {_value(b.value, percent, kind) if b.value is not None else b.note}" for b in bars
    )
    return _svg(title, desc + ".", height, body, chart_id)


# --- lines -----------------------------------------------------------------------------------


def _labels(series: dict) -> list[str]:
    labels: list[str] = []
    for points in series.values():
        for label, _v in points:
            if str(label) not in labels:
                labels.append(str(label))
    return labels


def _polyline(
    xs: list[float], ys: list[float | None], colour: str, dash: str = "", width: float = 2
) -> list[str]:
    out, seg = [], []
    for x, y in [*zip(xs, ys, strict=True), (None, None)]:
        if y is None:
            if len(seg) > 1:
                dashed = f' stroke-dasharray="{dash}"' if dash else ""
                out.append(
                    f'<polyline fill="none" stroke="{colour}" stroke-width="{width}"{dashed} points="{" ".join(seg)}"/>'
                )
            seg = []
            continue
        seg.append(f"{x:.1f},{y:.1f}")
    return out


def _series_desc(series: dict, percent: bool, kind: str) -> str:
    return " ".join(
        (f"{name}: " if name else "")
        + ", ".join(f"{lab} {_value(v, percent, kind)}" for lab, v in points)
        + "."
        for name, points in series.items()
    )


def line_chart(
    series: dict[str, list[tuple[str, float | None]]],
    *,
    title: str,
    y_label: str = "",
    percent: bool = False,
    kind: str = "number",
    chart_id: str | None = None,
    width: int = WIDTH,
) -> str:
    """Up to ``MAX_LINES`` lines of one quantity over shared x labels; each line is named in the
    legend and at its last point, with its own dash pattern (not told by colour alone)."""
    if len(series) > MAX_LINES:
        raise ValueError(f"{len(series)} lines are a tangle: use small_multiples")
    labels = _labels(series)
    values = [v for points in series.values() for _l, v in points if v is not None]
    top = nice_max(max(values, default=0))
    height, left, right, y0, bottom = 270, 48, width - 10, 62, 40
    h = height - y0 - bottom
    body: list[str] = []
    _y_grid(body, top, percent, left=left, right=right, y0=y0, h=h, label=y_label)
    n = max(len(labels), 1)
    xs = [left + (right - left) * (i + 0.5) / n for i in range(n)]
    step = max(1, -(-n // 10))
    for i, label in enumerate(labels):
        if i % step == 0 or i == n - 1:
            body.append(_text(xs[i], height - bottom + 15, label, anchor="middle"))
    legend_x, legend_y = 0.0, 34.0
    for k, (name, points) in enumerate(series.items()):
        colour, dash = SERIES[k % len(SERIES)], DASHES[k % len(DASHES)]
        by = {str(lab): v for lab, v in points}
        ys = [None if by.get(lab) is None else y0 + h - h * by[lab] / top for lab in labels]
        body.extend(_polyline(xs, ys, colour, dash))
        for x, y, lab in zip(xs, ys, labels, strict=True):
            if y is not None:
                body.append(
                    f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"><title>{escape(f"{name} {lab}".strip() + ": " + _value(by[lab], percent, kind))}</title></circle>'
                )
        if not name:
            continue
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        step = 26 + 6.2 * len(str(name)) + 18
        if legend_x and legend_x + step > width:  # the legend wraps (the plot starts lower)
            legend_x, legend_y = 0.0, legend_y + 14
        body.append(
            f'<line x1="{legend_x:.1f}" x2="{legend_x + 22:.1f}" y1="{legend_y:.0f}" y2="{legend_y:.0f}" stroke="{colour}" stroke-width="2.5"{dashed}/>'
        )
        body.append(_text(legend_x + 26, legend_y + 4, name, fill=INK))
        legend_x += step
    return _svg(title, _series_desc(series, percent, kind), height, body, chart_id, width)


def small_multiples(
    panels: dict[str, list[tuple[str, float | None]]],
    *,
    title: str,
    percent: bool = False,
    kind: str = "number",
    reference: tuple[str, list[tuple[str, float | None]]] | None = None,
    columns: int = 3,
    chart_id: str | None = None,
) -> str:
    """One small line chart per series on one shared scale (comparisons stay honest), each panel
    titled with its series; ``reference`` (name, points), e.g. the city, is a grey dashed line in
    every panel."""
    every = dict(panels)
    if reference:
        every[reference[0]] = reference[1]
    labels = _labels(every)
    values = [v for points in every.values() for _l, v in points if v is not None]
    top = nice_max(max(values, default=0))
    gap, legend_h = 14, 20 if reference else 0
    cols = max(1, min(columns, len(panels)))
    rows = -(-len(panels) // cols) if panels else 1
    pw = (WIDTH - gap * (cols - 1)) / cols
    ph, inner_top, inner_bottom, inner_left = 130, 20, 22, 40
    y_start = 30 + legend_h
    height = y_start + rows * (ph + gap)
    body: list[str] = []
    if reference:
        body.append(
            f'<line x1="0" x2="22" y1="34" y2="34" stroke="{REFERENCE}" stroke-width="2" stroke-dasharray="4 3"/>'
        )
        body.append(_text(26, 38, reference[0], fill=INK))
    n = max(len(labels), 1)
    for k, (name, points) in enumerate(panels.items()):
        px, py = (k % cols) * (pw + gap), y_start + (k // cols) * (ph + gap)
        left, right, y0 = px + inner_left, px + pw - 6, py + inner_top
        h = ph - inner_top - inner_bottom
        body.append(_text(px, py + 12, name, fill=INK, bold=True))
        for v in (0.0, top / 2, top):
            y = y0 + h - h * v / top
            body.append(
                f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}" stroke-width="1"/>'
            )
            body.append(_text(left - 4, y + 4, _axis_text(v, percent), anchor="end", size=9))
        xs = [left + (right - left) * (i + 0.5) / n for i in range(n)]
        body.append(_text(xs[0], py + ph - 6, labels[0] if labels else "", anchor="middle", size=9))
        if n > 1:
            body.append(_text(xs[-1], py + ph - 6, labels[-1], anchor="middle", size=9))
        if reference:
            ref = {str(lab): v for lab, v in reference[1]}
            body.extend(
                _polyline(
                    xs,
                    [None if ref.get(lab) is None else y0 + h - h * ref[lab] / top for lab in labels],
                    REFERENCE,
                    "4 3",
                    1.5,
                )
            )
        by = {str(lab): v for lab, v in points}
        ys = [None if by.get(lab) is None else y0 + h - h * by[lab] / top for lab in labels]
        body.extend(_polyline(xs, ys, SERIES[0]))
        for x, y, lab in zip(xs, ys, labels, strict=True):
            if y is not None:
                body.append(
                    f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{SERIES[0]}"><title>{escape(f"{name} {lab}: {_value(by[lab], percent, kind)}")}</title></circle>'
                )
    return _svg(title, _series_desc(every, percent, kind), height, body, chart_id)


# --- the school on the range of similar schools -------------------------------------------------


@dataclass(frozen=True)
class RangeRow:
    label: str
    value: float | None  # the school (None: not shown)
    low: float | None = None  # similar schools: minimum, quartiles, maximum (None: no range shown)
    q1: float | None = None
    q3: float | None = None
    high: float | None = None
    note: str = "–"  # shown instead of a value that is None (e.g. "<5")


def range_chart(
    rows: Sequence[RangeRow],
    *,
    title: str,
    percent: bool = True,
    school_label: str = "",
    range_label: str = "",
    chart_id: str | None = None,
) -> str:
    """Per row: a thin line from the lowest to the highest similar school, a thick bar over the middle
    half of them, and the school as a dot with its value printed beside it (one shared scale)."""
    values = [v for r in rows for v in (r.value, r.high) if v is not None]
    top = nice_max(max(values, default=0))
    row_h, left, right, y0 = 30, 250, WIDTH - 56, 58
    height = y0 + row_h * max(len(rows), 1) + 22
    body: list[str] = []
    # legend: the dot is the school, the bar the middle half, the line the range
    body.append(f'<circle cx="6" cy="34" r="5" fill="{INK}"/>')
    body.append(_text(16, 38, school_label or _t("this school"), fill=INK))
    lx = 16 + 6.2 * len(school_label or _t("this school")) + 20
    body.append(
        f'<line x1="{lx:.1f}" x2="{lx + 26:.1f}" y1="34" y2="34" stroke="#c3ccd5" stroke-width="2"/>'
        f'<rect x="{lx + 7:.1f}" y="29" width="12" height="10" fill="#9fb6cc"/>'
    )
    body.append(
        _text(
            lx + 32,
            38,
            range_label or _t("similar schools: lowest to highest, the middle half darker"),
            fill=INK,
        )
    )

    def x_of(v: float) -> float:
        return left + (right - left) * v / top

    for v in ticks(top):
        body.append(
            f'<line x1="{x_of(v):.1f}" x2="{x_of(v):.1f}" y1="{y0 - 6}" y2="{height - 22}" stroke="{GRID}" stroke-width="1"/>'
        )
        body.append(_text(x_of(v), height - 8, _axis_text(v, percent), anchor="middle"))
    parts = []
    for i, r in enumerate(rows):
        y = y0 + row_h * i + row_h / 2
        body.append(_text(left - 8, y + 4, r.label, anchor="end", fill=INK))
        words = []
        if r.low is not None and r.high is not None:
            body.append(
                f'<line x1="{x_of(r.low):.1f}" x2="{x_of(r.high):.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="#c3ccd5" stroke-width="3"/>'
            )
            if r.q1 is not None and r.q3 is not None:
                body.append(
                    f'<rect x="{x_of(r.q1):.1f}" y="{y - 6:.1f}" width="{max(x_of(r.q3) - x_of(r.q1), 1.5):.1f}" height="12" fill="#9fb6cc"/>'
                )
                words.append(
                    _t("middle half of similar schools %(lo)s to %(hi)s")
                    % {"lo": _value(r.q1, percent), "hi": _value(r.q3, percent)}
                )
            words.append(
                _t("similar schools %(lo)s to %(hi)s")
                % {"lo": _value(r.low, percent), "hi": _value(r.high, percent)}
            )
        if r.value is None:
            body.append(_text(right + 6, y + 4, r.note, fill=INK))
            parts.append(f"{r.label}: {r.note}" + (f" ({', '.join(words)})" if words else ""))
            continue
        text = _value(r.value, percent)
        body.append(
            f'<circle cx="{x_of(r.value):.1f}" cy="{y:.1f}" r="6" fill="{INK}" stroke="#fff" stroke-width="1.5">'
            f"<title>{escape(f'{r.label}: {text}')}</title></circle>"
        )
        body.append(_text(right + 6, y + 4, text, fill=INK, bold=True))
        parts.append(f"{r.label}: {text}" + (f" ({', '.join(words)})" if words else ""))
    return _svg(title, "; ".join(parts) + ".", height, body, chart_id)


# --- learning gain: growth curve and intervals ---------------------------------------------------

NORM_BAND_COLOURS = ("#cfe8d5", "#e4f1d0", "#f4f1dc", "#fbe2c6", "#f5cccc")  # A .. E
NORM_BANDS = ("A", "B", "C", "D", "E")
LINE = "#0d3b66"


@dataclass(frozen=True)
class Slot:
    moment: str
    label: str
    cuts: tuple[float, float, float, float] | None  # P20, P40, P60, P80


@dataclass(frozen=True)
class Point:
    moment: str
    date: datetime.date
    score: float
    band: str
    instrument: str
    when: str = ""  # shown instead of the date when given (the school year, for city roles)

    @property
    def shown_when(self) -> str:
        return self.when or self.date.isoformat()


def _scale_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    raw = (hi - lo) / max(n - 1, 1)
    step = nice_max(raw) if raw > 0 else 1.0
    v, out = math.ceil(lo / step) * step, []
    while v <= hi + 1e-9:
        out.append(v)
        v += step
    return out


def growth_curve(
    slots: Sequence[Slot], points: Sequence[Point], *, title: str, chart_id: str | None = None
) -> str:
    """A pupil's scale scores in one domain against the norm bands A (top 20 %) .. E (bottom 20 %)
    per test moment; the bands are lettered, not told by shade alone."""
    height, left, right, y0, bottom = 290, 48, WIDTH - 30, 30, 46
    if not slots:
        return _svg(title, _t("No results."), 40, [], chart_id)
    values = [c for s in slots if s.cuts for c in s.cuts] + [p.score for p in points]
    lo, hi = min(values), max(values)
    span = (hi - lo) or 10.0
    y_lo, y_hi = lo - 0.35 * span, hi + 0.35 * span
    plot_w, plot_h = right - left, height - y0 - bottom
    slot_w = plot_w / len(slots)
    half = slot_w * 0.3
    body: list[str] = []

    def x_of(i: int) -> float:
        return left + slot_w * (i + 0.5)

    def y_of(v: float) -> float:
        return y0 + plot_h * (y_hi - min(max(v, y_lo), y_hi)) / (y_hi - y_lo)

    runs: list[list[int]] = []
    for i, s in enumerate(slots):
        if s.cuts is None:
            continue
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    for run in runs:
        for b in range(5):

            def upper(i, b=b):
                return y_hi if b == 0 else slots[i].cuts[4 - b]

            def lower(i, b=b):
                return y_lo if b == 4 else slots[i].cuts[3 - b]

            top_pts = [f"{x:.1f},{y_of(upper(i)):.1f}" for i in run for x in (x_of(i) - half, x_of(i) + half)]
            bottom_pts = [
                f"{x:.1f},{y_of(lower(i)):.1f}"
                for i in reversed(run)
                for x in (x_of(i) + half, x_of(i) - half)
            ]
            body.append(
                f'<polygon points="{" ".join(top_pts + bottom_pts)}" fill="{NORM_BAND_COLOURS[b]}" stroke="none">'
                f"<title>{NORM_BANDS[b]}</title></polygon>"
            )
    for v in _scale_ticks(y_lo, y_hi):
        y = y_of(v)
        body.append(
            f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#adb5bd" stroke-width="0.5" stroke-dasharray="2,3"/>'
        )
        body.append(_text(left - 6, y + 4, fmt(v), anchor="end"))
    if runs:
        c = slots[runs[-1][-1]].cuts
        edges = [y_hi, c[3], c[2], c[1], c[0], y_lo]
        for b in range(5):
            body.append(
                _text(
                    right + 8,
                    (y_of(edges[b]) + y_of(edges[b + 1])) / 2 + 4,
                    NORM_BANDS[b],
                    fill=INK,
                    bold=True,
                )
            )
    index = {s.moment: i for i, s in enumerate(slots)}
    by_slot: dict[int, list[Point]] = {}
    for p in sorted(points, key=lambda p: (p.date, p.instrument)):
        if p.moment in index:
            by_slot.setdefault(index[p.moment], []).append(p)
    for i, s in enumerate(slots):
        body.append(_text(x_of(i), height - bottom + 16, s.label, anchor="middle", fill=INK))
        dates = ", ".join(dict.fromkeys(p.shown_when for p in by_slot.get(i, [])))
        if dates:
            body.append(_text(x_of(i), height - bottom + 30, dates, anchor="middle", size=9))
    coords = []
    for i, ps in sorted(by_slot.items()):
        for k, p in enumerate(ps):
            x = x_of(i) + (0 if len(ps) == 1 else -half + 2 * half * k / (len(ps) - 1))
            coords.append((p.date, x, y_of(p.score), p))
    coords.sort(key=lambda c: (c[0], c[1]))
    if len(coords) > 1:
        body.append(
            f'<polyline fill="none" stroke="{LINE}" stroke-width="2.5" points="{" ".join(f"{x:.1f},{y:.1f}" for _d, x, y, _p in coords)}"/>'
        )
    words = []
    for _d, x, y, p in coords:
        band = f" ({p.band})" if p.band else ""
        said = f"{p.instrument} {p.shown_when}: {fmt(p.score)}{band}"
        words.append(said)
        body.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" fill="{LINE}" stroke="#fff" stroke-width="1.5"><title>{escape(said)}</title></circle>'
        )
    return _svg(title, "; ".join(words) + "." if words else _t("No results."), height, body, chart_id)


def interval_chart(rows: Sequence[tuple], *, title: str, chart_id: str | None = None) -> str:
    """Rows of (label, estimate, low, high[, unit]): a dot and its interval per row around a line
    at zero. Rows of another unit (scale points, SD) get their own panel with their own axis."""
    units: dict[str, list[tuple]] = {}
    for r in rows:
        units.setdefault(str(r[4]) if len(r) > 4 else "", []).append(r)
    row_h, left, right = 28, 220, WIDTH - 24
    body: list[str] = []
    y = 30.0
    words = []
    for unit, members in units.items():
        if unit:
            body.append(_text(0, y + 12, unit, fill=INK, bold=True))
            y += 18
        extent = max((max(abs(r[2]), abs(r[3])) for r in members), default=1.0) or 1.0
        top = nice_max(extent)

        def x_of(v: float, top=top) -> float:
            return left + (right - left) * (v + top) / (2 * top)

        panel_top = y
        for k, (label, est, lo, hi, *_u) in enumerate(members):
            cy = y + row_h * k + row_h / 2
            body.append(_text(left - 8, cy + 4, label, anchor="end", fill=INK))
            body.append(
                f'<line x1="{x_of(lo):.1f}" x2="{x_of(hi):.1f}" y1="{cy:.1f}" y2="{cy:.1f}" stroke="{LINE}" stroke-width="2"/>'
            )
            said = f"{label}: {fmt(est, digits=2)} ({fmt(lo, digits=2)} {_t('to')} {fmt(hi, digits=2)})" + (
                f" {unit}" if unit else ""
            )
            words.append(said)
            body.append(
                f'<circle cx="{x_of(est):.1f}" cy="{cy:.1f}" r="4.5" fill="{LINE}"><title>{escape(said)}</title></circle>'
            )
        y += row_h * len(members)
        body.append(
            f'<line x1="{x_of(0):.1f}" x2="{x_of(0):.1f}" y1="{panel_top:.1f}" y2="{y + 4:.1f}" stroke="{MUTED}" stroke-width="1"/>'
        )
        for v in (-top, 0.0, top):
            body.append(_text(x_of(v), y + 16, ("+" if v > 0 else "") + fmt(v), anchor="middle"))
        y += 30
    return _svg(title, "; ".join(words) + "." if words else _t("No results."), y, body, chart_id)
