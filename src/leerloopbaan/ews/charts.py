"""Tiny server-side SVG charts: no JavaScript, nothing fetched from the internet.

Both functions return an ``<svg>`` string, safe to put in a template with ``|safe`` (every text
is escaped here). The charts are accessible: ``role="img"``, an ``aria-label`` and a ``<title>``;
pages should also show the numbers in a table for screen readers and printing.

- ``line_chart({"School": [("2022-2023", 0.12), ("2023-2024", None), ...], "City": [...]},
  title="VSV", y_label="rate", percent=True)``: one line per series over shared x labels (in the
  order they first appear); ``None`` leaves a gap (e.g. a suppressed cell).
- ``bar_chart([("low", 120), ("medium", 30), ("high", 8)], title="Risk bands")``: vertical bars.
"""

from __future__ import annotations

from html import escape

from leerloopbaan.kernel import formatting

PALETTE = ["#0d6efd", "#d63384", "#198754", "#fd7e14", "#6f42c1", "#20c997", "#6c757d"]
WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 28, 56


def _fmt(value: float, percent: bool) -> str:
    """An axis or bar label through the one formatting layer (the rounding and separators of the tables)."""
    if percent:
        return formatting.share(value, 0)
    return formatting.number(value, -1)


def _nice_max(value: float, percent: bool) -> float:
    if value <= 0:
        return 1.0 if not percent else 0.1
    for step in (1, 2, 2.5, 5):
        for exp in range(-3, 9):
            candidate = step * 10**exp
            if candidate >= value:
                return candidate
    return value


def _open(title: str, extra: str = "") -> list[str]:
    t = escape(title)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{t}" '
        f'class="ll-chart" font-family="sans-serif" font-size="11"{extra}>',
        f"<title>{t}</title>",
    ]


def _axes(parts: list[str], top: float, percent: bool, y_label: str = "") -> None:
    plot_h = HEIGHT - TOP - BOTTOM
    for i in range(5):
        value = top * i / 4
        y = HEIGHT - BOTTOM - plot_h * i / 4
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#dee2e6" stroke-width="1"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#495057">{escape(_fmt(value, percent))}</text>')
    if y_label:
        parts.append(f'<text x="12" y="{TOP + plot_h / 2:.1f}" transform="rotate(-90 12 {TOP + plot_h / 2:.1f})" '
                     f'text-anchor="middle" fill="#495057">{escape(y_label)}</text>')


def _x_label(parts: list[str], x: float, label: str, many: bool) -> None:
    y = HEIGHT - BOTTOM + 14
    if many:
        parts.append(f'<text x="{x:.1f}" y="{y}" text-anchor="end" transform="rotate(-40 {x:.1f} {y})" fill="#495057">{escape(label)}</text>')
    else:
        parts.append(f'<text x="{x:.1f}" y="{y}" text-anchor="middle" fill="#495057">{escape(label)}</text>')


def line_chart(series: dict[str, list[tuple[str, float | None]]], *, title: str, y_label: str = "", percent: bool = False) -> str:
    """Lines over shared x labels; ``None`` values leave a gap. Returns an SVG string."""
    labels: list[str] = []
    for points in series.values():
        for label, _v in points:
            if label not in labels:
                labels.append(str(label))
    values = [v for points in series.values() for _l, v in points if v is not None]
    top = _nice_max(max(values) if values else 0.0, percent)
    parts = _open(str(title))
    _axes(parts, top, percent, str(y_label))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = max(len(labels), 1)

    def x_of(i: int) -> float:
        return LEFT + (plot_w * (i + 0.5) / n)

    def y_of(v: float) -> float:
        return HEIGHT - BOTTOM - plot_h * (v / top)

    many = n > 8
    for i, label in enumerate(labels):
        _x_label(parts, x_of(i), label, many)
    legend_x = LEFT + 4
    for k, (name, points) in enumerate(series.items()):
        colour = PALETTE[k % len(PALETTE)]
        by_label = {str(lab): v for lab, v in points}
        segment: list[str] = []
        segments: list[list[str]] = []
        for i, label in enumerate(labels):
            v = by_label.get(label)
            if v is None:
                if segment:
                    segments.append(segment)
                segment = []
                continue
            segment.append(f"{x_of(i):.1f},{y_of(v):.1f}")
            parts.append(f'<circle cx="{x_of(i):.1f}" cy="{y_of(v):.1f}" r="3" fill="{colour}">'
                         f"<title>{escape(str(name))} {escape(label)}: {escape(_fmt(v, percent))}</title></circle>")
        if segment:
            segments.append(segment)
        for seg in segments:
            if len(seg) > 1:
                parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(seg)}"/>')
        parts.append(f'<rect x="{legend_x}" y="8" width="12" height="4" fill="{colour}"/>'
                     f'<text x="{legend_x + 16}" y="14" fill="#212529">{escape(str(name))}</text>')
        legend_x += 16 + 7 * len(str(name)) + 24  # about 7 units a character at font size 11
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(items: list[tuple[str, float]], *, title: str, percent: bool = False) -> str:
    """Vertical bars, one per (label, value). Returns an SVG string."""
    values = [float(v) for _l, v in items if v is not None]
    top = _nice_max(max(values) if values else 0.0, percent)
    parts = _open(str(title))
    _axes(parts, top, percent)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = max(len(items), 1)
    slot = plot_w / n
    bar_w = max(min(slot * 0.7, 60), 2)
    many = n > 8
    for i, (label, value) in enumerate(items):
        x = LEFT + slot * i + (slot - bar_w) / 2
        _x_label(parts, LEFT + slot * (i + 0.5), str(label), many)
        if value is None:
            continue
        h = plot_h * (float(value) / top)
        y = HEIGHT - BOTTOM - h
        text = escape(f"{label}: {_fmt(float(value), percent)}")
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{PALETTE[0]}"><title>{text}</title></rect>')
        if n <= 12:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle" fill="#212529">{escape(_fmt(float(value), percent))}</text>')
    parts.append("</svg>")
    return "".join(parts)
