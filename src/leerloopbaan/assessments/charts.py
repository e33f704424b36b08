"""Server-side SVG charts of the learning-gain tests (no JavaScript, nothing fetched), in the manner
of ``ews.charts``: ``role="img"``, an ``aria-label`` and a ``<title>``; every text escaped here. The
pages show the same numbers in a table for screen readers and printing.

- ``growth_curve(slots, points, title=...)``: one domain of one pupil. The x axis holds the test
  moments in order; per moment the norm bands A (top 20 %) .. E (bottom 20 %) are shaded, joined
  into ribbons between neighbouring moments; the pupil's scale scores are a line over them.
- ``interval_chart(rows, title=...)``: estimates with their 95 % intervals around a line at zero.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from leerloopbaan.kernel import formatting

WIDTH, HEIGHT = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 56, 30, 20, 46
BAND_COLOURS = ("#cfe8d5", "#e4f1d0", "#f4f1dc", "#fbe2c6", "#f5cccc")  # A .. E
BAND_NAMES = ("A", "B", "C", "D", "E")
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
        return self.when or formatting.date(self.date)


def _fmt(v: float) -> str:
    """A tick label: whole from 10 up, else up to two decimals (the one formatting layer's separators)."""
    return formatting.integer(v) if abs(v) >= 10 else formatting.number(v, -2)


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    span = hi - lo
    raw = span / max(n - 1, 1)
    mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    step = next((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), 10 * mag)
    first = math.ceil(lo / step) * step
    out = []
    v = first
    while v <= hi + 1e-9:
        out.append(v)
        v += step
    return out


def _open(title: str, height: int) -> list[str]:
    t = escape(title)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{t}" '
        f'class="ll-chart" font-family="sans-serif" font-size="11">',
        f"<title>{t}</title>",
    ]


def growth_curve(slots: Sequence[Slot], points: Sequence[Point], *, title: str) -> str:
    """A pupil's scores in one domain against the norm bands per moment. Returns an SVG string."""
    parts = _open(title, HEIGHT)
    if not slots:
        parts.append("</svg>")
        return "".join(parts)
    values = [c for s in slots if s.cuts for c in s.cuts] + [p.score for p in points]
    lo, hi = min(values), max(values)
    span = (hi - lo) or 10.0
    y_lo, y_hi = lo - 0.35 * span, hi + 0.35 * span
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = len(slots)
    slot_w = plot_w / n
    half = slot_w * 0.3

    def x_of(i: int) -> float:
        return LEFT + slot_w * (i + 0.5)

    def y_of(v: float) -> float:
        v = min(max(v, y_lo), y_hi)
        return TOP + plot_h * (y_hi - v) / (y_hi - y_lo)

    # band ribbons over runs of neighbouring moments with a norm
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

            top = [f"{x:.1f},{y_of(upper(i)):.1f}" for i in run for x in (x_of(i) - half, x_of(i) + half)]
            bottom = [f"{x:.1f},{y_of(lower(i)):.1f}" for i in reversed(run) for x in (x_of(i) + half, x_of(i) - half)]
            parts.append(f'<polygon points="{" ".join(top + bottom)}" fill="{BAND_COLOURS[b]}" stroke="none">'
                         f"<title>{escape(BAND_NAMES[b])}</title></polygon>")
    # axes: horizontal grid and scale labels
    for v in _ticks(y_lo, y_hi):
        y = y_of(v)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#adb5bd" stroke-width="0.5" stroke-dasharray="2,3"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#495057">{escape(_fmt(v))}</text>')
    # band letters at the right of the last moment with a norm
    last = runs[-1][-1] if runs else None
    if last is not None:
        c = slots[last].cuts
        edges = [y_hi, c[3], c[2], c[1], c[0], y_lo]
        for b in range(5):
            y = (y_of(edges[b]) + y_of(edges[b + 1])) / 2
            parts.append(f'<text x="{WIDTH - RIGHT + 8}" y="{y + 4:.1f}" fill="#212529" font-weight="bold">{BAND_NAMES[b]}</text>')
    # moments on the x axis, with the date(s) of the pupil's results there
    index = {s.moment: i for i, s in enumerate(slots)}
    by_slot: dict[int, list[Point]] = {}
    for p in sorted(points, key=lambda p: (p.date, p.instrument)):
        if p.moment in index:
            by_slot.setdefault(index[p.moment], []).append(p)
    for i, s in enumerate(slots):
        parts.append(f'<text x="{x_of(i):.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" fill="#212529">{escape(s.label)}</text>')
        dates = ", ".join(dict.fromkeys(p.shown_when for p in by_slot.get(i, [])))
        if dates:
            parts.append(f'<text x="{x_of(i):.1f}" y="{HEIGHT - BOTTOM + 30}" text-anchor="middle" fill="#6c757d" font-size="9">{escape(dates)}</text>')
    # the pupil's line
    coords = []
    for i, ps in sorted(by_slot.items()):
        for k, p in enumerate(ps):
            x = x_of(i) + (0 if len(ps) == 1 else -half + 2 * half * k / (len(ps) - 1))
            coords.append((p.date, x, y_of(p.score), p))
    coords.sort(key=lambda c: (c[0], c[1]))
    if len(coords) > 1:
        parts.append(f'<polyline fill="none" stroke="{LINE}" stroke-width="2.5" points="{" ".join(f"{x:.1f},{y:.1f}" for _d, x, y, _p in coords)}"/>')
    for _d, x, y, p in coords:
        band = f" ({p.band})" if p.band else ""
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" fill="{LINE}" stroke="#fff" stroke-width="1.5">'
                     f"<title>{escape(f'{p.instrument} {p.shown_when}: {_fmt(p.score)}{band}')}</title></circle>")
    parts.append("</svg>")
    return "".join(parts)


def interval_chart(rows: Sequence[tuple[str, float, float, float]], *, title: str) -> str:
    """Rows of (label, estimate, low, high): a dot and a line per row, a vertical line at zero."""
    row_h, top, bottom, left, right = 30, 16, 28, 200, 24
    height = top + bottom + row_h * max(len(rows), 1)
    parts = _open(title, height)
    if not rows:
        parts.append("</svg>")
        return "".join(parts)
    extent = max(max(abs(lo), abs(hi)) for _l, _e, lo, hi in rows) or 1.0
    extent *= 1.15
    plot_w = WIDTH - left - right

    def x_of(v: float) -> float:
        return left + plot_w * (v + extent) / (2 * extent)

    zero = x_of(0.0)
    parts.append(f'<line x1="{zero:.1f}" x2="{zero:.1f}" y1="{top - 6}" y2="{height - bottom + 4}" stroke="#6c757d" stroke-width="1"/>')
    for v in (-extent / 1.15, extent / 1.15):
        parts.append(f'<text x="{x_of(v):.1f}" y="{height - 8}" text-anchor="middle" fill="#495057">{escape(formatting.number(v, 2, signed=True))}</text>')
    parts.append(f'<text x="{zero:.1f}" y="{height - 8}" text-anchor="middle" fill="#495057">0</text>')
    for k, (label, est, lo, hi) in enumerate(rows):
        y = top + row_h * k + row_h / 2
        parts.append(f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end" fill="#212529">{escape(label)}</text>')
        parts.append(f'<line x1="{x_of(lo):.1f}" x2="{x_of(hi):.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="{LINE}" stroke-width="2"/>')
        parts.append(f'<circle cx="{x_of(est):.1f}" cy="{y:.1f}" r="4.5" fill="{LINE}">'
                     f"<title>{escape(f'{label}: {est:+.2f} ({lo:+.2f} to {hi:+.2f})')}</title></circle>")
    parts.append("</svg>")
    return "".join(parts)
