"""Charts as inline SVG, drawn on the server: no chart library, no script, readable without JavaScript.

Every bar carries its numbers (`data-series`, `data-label`, `data-value`) and a tooltip (`<title>`), and the pages
show the same numbers in a table.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

# Okabe-Ito and a few more: distinguishable with the common colour vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
           "#7F7F7F", "#8C564B", "#17BECF", "#BCBD22", "#393B79", "#AD494A")
FONT = 'font-family="system-ui, sans-serif" font-size="11"'


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[int]


@dataclass(frozen=True)
class Chart:
    svg: Markup
    legend: list[tuple[str, int]]  # (series name, colour number: the page's CSS has .swatch-N for each)


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def _nice_maximum(value: int) -> int:
    """The axis top: 1, 2 or 5 times a power of ten, at least `value`."""
    power = 1
    while True:
        for step in (1, 2, 5):
            if power * step >= value:
                return power * step
        power *= 10


def column_chart(title: str, labels: Sequence[str], series: Sequence[Series], *, width: int = 1240,
                 height: int = 240, label_every: int = 1, colours: Mapping[str, int] | None = None) -> Chart:
    """Stacked columns: one per label, one colour per series (`colours`: the colour number of each series name,
    so one name has one colour in every chart of a page)."""
    numbers = [(colours or {}).get(item.name, index) % len(PALETTE) for index, item in enumerate(series)]
    left, right, top, bottom = 44, 8, 10, 34
    plot_width, plot_height = width - left - right, height - top - bottom
    totals = [sum(s.values[index] for s in series) for index in range(len(labels))]
    maximum = _nice_maximum(max(totals, default=0))
    slot = plot_width / max(len(labels), 1)
    bar = max(slot * 0.7, 1)
    parts = [_axis(left, top, plot_width, plot_height, maximum)]
    for index, label in enumerate(labels):
        x = left + index * slot + (slot - bar) / 2
        y = top + plot_height
        for number, item in zip(numbers, series):
            value = item.values[index]
            if not value:
                continue
            bar_height = value / maximum * plot_height
            y -= bar_height
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{bar_height:.1f}" fill="{colour(number)}" '
                f'data-series="{escape(item.name)}" data-label="{escape(label)}" data-value="{value}">'
                f"<title>{escape(item.name)}, {escape(label)}: {value}</title></rect>"
            )
        if index % label_every == 0:
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{height - bottom + 14}" text-anchor="middle" {FONT}>'
                         f"{escape(label)}</text>")
    return Chart(_svg(title, width, height, parts), [(item.name, number) for number, item in zip(numbers, series)])


def bar_chart(title: str, items: Sequence[tuple[str, int, str]], *, width: int = 600, bar_height: int = 18) -> Chart:
    """Horizontal bars: (label, value, tooltip) each, largest first as given."""
    left, right, top = 44, 40, 6
    plot_width = width - left - right
    height = top * 2 + max(len(items), 1) * (bar_height + 6)
    maximum = max((value for _, value, _ in items), default=0) or 1
    parts = []
    for index, (label, value, tooltip) in enumerate(items):
        y = top + index * (bar_height + 6)
        length = value / maximum * plot_width
        parts.append(
            f'<text x="{left - 6}" y="{y + bar_height - 5}" text-anchor="end" {FONT}>{escape(label)}</text>'
            f'<rect x="{left}" y="{y}" width="{max(length, 1):.1f}" height="{bar_height}" fill="{colour(0)}" '
            f'data-series="{escape(title)}" data-label="{escape(label)}" data-value="{value}">'
            f"<title>{escape(label)} {escape(tooltip)}: {value}</title></rect>"
            f'<text x="{left + length + 4:.1f}" y="{y + bar_height - 5}" {FONT}>{value}</text>'
        )
    return Chart(_svg(title, width, height, parts), [])


def _axis(left: int, top: int, width: float, height: float, maximum: int) -> str:
    lines = []
    for fraction in (0, 0.5, 1) if maximum % 2 == 0 else (0, 1):
        y = top + height - fraction * height
        shown = f"{maximum * fraction:g}"
        lines.append(f'<line x1="{left}" x2="{left + width:.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d0d0"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" {FONT}>{shown}</text>')
    return "".join(lines)


def _svg(title: str, width: int, height: int, parts: list[str]) -> Markup:
    return Markup(
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>{''.join(parts)}</svg>"
    )
