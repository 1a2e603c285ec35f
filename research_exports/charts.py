"""Server-rendered SVG charts of an extract's published table.

Charts are drawn from ``Extract.result`` only: the numbers after disclosure control, never the
mart. A count published as "0 or hidden" (``None``: nobody, or withheld; the two are published
alike on purpose) is drawn as a gap — a break in a line, a hatched empty slot instead of a bar —
never as a zero or as a value, so a chart cannot suggest what the table does not publish.
No inline style: colours and strokes are SVG presentation attributes, which the Content Security
Policy allows, and the rest is classes from ``harbour.css``.

In a right-to-left language the labels are translated but the axes are not mirrored: counts
grow upwards and years run left to right, as statistical offices publishing in Arabic draw
them, so the numbers read the same in every language. The SVG says ``direction="ltr"`` because
it would otherwise inherit the page's right-to-left direction, which turns every text-anchor
around and pushes the tick numbers onto the axis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .variables import VARIABLES

YEAR = "yearOfRegistration"
MAX_SERIES = 8
MAX_BARS = 40
WIDTH = 720
HEIGHT = 360
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 72
TICKS = 5
# Colour-blind-safe palette (Okabe–Ito), one colour per series.
PALETTE = (
    "#0072b2",
    "#d55e00",
    "#009e73",
    "#cc79a7",
    "#e69f00",
    "#56b4e9",
    "#000000",
    "#f0e442",
)


@dataclass(frozen=True)
class Chart:
    kind: str  # "line" or "bar"
    svg: SafeString
    omitted: int  # series or bars not drawn; the table has them


def _label(dimension: str) -> str:
    variable = VARIABLES.get(dimension)
    return str(variable.label) if variable else dimension


def _join(parts: list[SafeString]) -> SafeString:
    """Already-escaped fragments as one; format_html keeps them as they are."""
    return format_html_join("", "{}", ((part,) for part in parts))


def _nice_max(value: int) -> int:
    """The top of the y axis: a round number at or above the largest published count."""
    if value <= 0:
        return TICKS
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        top = step * magnitude
        if top >= value:
            return max(math.ceil(top), TICKS)
    return value


def _year_key(value: str) -> tuple[int, str]:
    return (int(value), value) if value.isdigit() else (10**6, value)


def _y(count: int, top: int) -> float:
    plot = HEIGHT - TOP - BOTTOM
    return round(TOP + plot - plot * count / top, 1)


def _error_bar(x: float, count: int, margin: int, top: int, colour: str) -> SafeString:
    """The 95 % interval of a differentially private count, clamped at zero like the count."""
    low, high = _y(max(0, count - margin), top), _y(count + margin, top)
    return format_html(
        '<path class="chart-error" d="M{} {}V{}M{} {}H{}M{} {}H{}" stroke="{}"'
        ' stroke-width="1.5" fill="none"><title>{}</title></path>',
        x,
        low,
        high,
        round(x - 4, 1),
        low,
        round(x + 4, 1),
        round(x - 4, 1),
        high,
        round(x + 4, 1),
        colour,
        _("95%% margin of error: ± %(margin)d") % {"margin": margin},
    )


def _axes(top: int, y_label: str) -> SafeString:
    parts = [
        format_html(
            '<line class="chart-axis" x1="{}" y1="{}" x2="{}" y2="{}" stroke="#444"/>',
            LEFT,
            HEIGHT - BOTTOM,
            WIDTH - RIGHT,
            HEIGHT - BOTTOM,
        ),
        format_html(
            '<line class="chart-axis" x1="{}" y1="{}" x2="{}" y2="{}" stroke="#444"/>',
            LEFT,
            TOP,
            LEFT,
            HEIGHT - BOTTOM,
        ),
    ]
    for index in range(TICKS + 1):
        value = round(top * index / TICKS)
        y = _y(value, top)
        parts.append(
            format_html(
                '<line class="chart-grid" x1="{}" y1="{}" x2="{}" y2="{}" stroke="#ddd"/>'
                '<text class="chart-tick" x="{}" y="{}" text-anchor="end">{}</text>',
                LEFT,
                y,
                WIDTH - RIGHT,
                y,
                LEFT - 6,
                y + 4,
                value,
            )
        )
    parts.append(
        format_html(
            '<text class="chart-axis-label" x="12" y="{}" transform="rotate(-90 12 {})" '
            'text-anchor="middle">{}</text>',
            HEIGHT / 2,
            HEIGHT / 2,
            y_label,
        )
    )
    return _join(parts)


def _svg(title: str, description: str, body: SafeString) -> SafeString:
    return format_html(
        '<svg class="chart" role="img" viewBox="0 0 {} {}" aria-labelledby="chart-title chart-desc"'
        ' direction="ltr" xmlns="http://www.w3.org/2000/svg">'
        '<title id="chart-title">{}</title><desc id="chart-desc">{}</desc>'
        "<defs>"
        '<pattern id="chart-hatch" width="6" height="6" patternUnits="userSpaceOnUse"'
        ' patternTransform="rotate(45)">'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#888" stroke-width="2"/></pattern>'
        "</defs>{}</svg>",
        WIDTH,
        HEIGHT,
        title,
        description,
        body,
    )


def _line_chart(result: dict[str, Any]) -> Chart:
    dimensions = result["dimensions"]
    year_index = dimensions.index(YEAR)
    others = [d for i, d in enumerate(dimensions) if i != year_index]
    # series label -> year -> published count (None when suppressed)
    series: dict[str, dict[str, int | None]] = {}
    # series label -> year -> 95 % margin of error (differentially private tables only)
    margins: dict[str, dict[str, int]] = {}
    years: set[str] = set()
    for row in result["rows"]:
        values = [str(v) for v in row["values"]]
        year = values[year_index]
        name = " / ".join(v for i, v in enumerate(values) if i != year_index) or _("All")
        years.add(year)
        series.setdefault(name, {})[year] = row["count"]
        if row.get("margin") is not None:
            margins.setdefault(name, {})[year] = row["margin"]
    ordered_years = sorted(years, key=_year_key)
    # The largest series (by published counts) are drawn; the rest stay in the table.
    ranked = sorted(series, key=lambda name: (-sum(c or 0 for c in series[name].values()), name))
    drawn = ranked[:MAX_SERIES]
    published = [
        c + margins.get(name, {}).get(year, 0)
        for name in drawn
        for year, c in series[name].items()
        if c is not None
    ]
    top = _nice_max(max(published, default=0))
    plot_width = WIDTH - LEFT - RIGHT
    # Each year sits in the middle of its own slot, so the first point is off the y axis.
    slot = plot_width / len(ordered_years)
    x_of = {year: round(LEFT + slot * (i + 0.5), 1) for i, year in enumerate(ordered_years)}

    parts = [_axes(top, _("People"))]
    for year in ordered_years:
        parts.append(
            format_html(
                '<text class="chart-tick" x="{}" y="{}" text-anchor="middle">{}</text>',
                x_of[year],
                HEIGHT - BOTTOM + 18,
                year,
            )
        )
    for index, name in enumerate(drawn):
        colour = PALETTE[index % len(PALETTE)]
        # A suppressed or absent year ends the current segment: the line has a gap there.
        segments: list[list[tuple[float, float, str, int]]] = [[]]
        for year in ordered_years:
            count = series[name].get(year)
            if count is None:
                if segments[-1]:
                    segments.append([])
                continue
            segments[-1].append((x_of[year], _y(count, top), year, count))
        for segment in segments:
            if len(segment) > 1:
                points = " ".join(f"{x},{y}" for x, y, _year, _count in segment)
                parts.append(
                    format_html(
                        '<polyline class="chart-line" points="{}" fill="none" stroke="{}"'
                        ' stroke-width="2"/>',
                        points,
                        colour,
                    )
                )
            for x, y, year, count in segment:
                margin = margins.get(name, {}).get(year)
                if margin is not None:
                    parts.append(_error_bar(x, count, margin, top, colour))
                parts.append(
                    format_html(
                        '<circle class="chart-point" cx="{}" cy="{}" r="3.5" fill="{}">'
                        "<title>{}</title></circle>",
                        x,
                        y,
                        colour,
                        f"{name}, {year}: {count}",
                    )
                )
        legend_y = HEIGHT - BOTTOM + 36 + 14 * (index // 4)
        legend_x = LEFT + (index % 4) * (plot_width / 4)
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="10" height="10" fill="{}"/>'
                '<text class="chart-legend" x="{}" y="{}">{}</text>',
                legend_x,
                legend_y - 9,
                colour,
                legend_x + 14,
                legend_y,
                name,
            )
        )

    omitted = len(ranked) - len(drawn)
    if others:
        title = _("People by year of registration and %(dimension)s") % {
            "dimension": ", ".join(_label(d) for d in others)
        }
    else:
        title = _("People by year of registration")
    if margins:
        description = _(
            "Line chart of the differentially private counts per year, each point with an "
            "error bar of its 95% margin of error."
        )
    else:
        description = _(
            "Line chart of the published counts per year. A break in a line is a count published "
            "as 0 or hidden."
        )
    if omitted:
        description += " " + ngettext(
            "%(count)d smaller series is not drawn; the table has it.",
            "%(count)d smaller series are not drawn; the table has them.",
            omitted,
        ) % {"count": omitted}
    return Chart("line", _svg(title, description, _join(parts)), omitted)


def _bar_chart(result: dict[str, Any]) -> Chart:
    dimensions = result["dimensions"]
    rows = result["rows"]
    drawn = rows[:MAX_BARS]
    published = [
        row["count"] + (row.get("margin") or 0) for row in drawn if row["count"] is not None
    ]
    top = _nice_max(max(published, default=0))
    noisy = any(row.get("margin") is not None for row in drawn)
    plot_width = WIDTH - LEFT - RIGHT
    slot = plot_width / max(len(drawn), 1)
    bar_width = round(slot * 0.7, 1)
    parts = [_axes(top, _("People"))]
    for index, row in enumerate(drawn):
        name = " / ".join(str(v) for v in row["values"]) or _("All")
        x = round(LEFT + slot * index + (slot - bar_width) / 2, 1)
        count = row["count"]
        if count is None:
            # A hatched, full-height slot: "0 or hidden", neither a zero bar nor a value.
            parts.append(
                format_html(
                    '<rect class="chart-suppressed" x="{}" y="{}" width="{}" height="{}"'
                    ' fill="url(#chart-hatch)" fill-opacity="0.35"><title>{}</title></rect>',
                    x,
                    TOP,
                    bar_width,
                    HEIGHT - BOTTOM - TOP,
                    _("%(name)s: 0 or hidden") % {"name": name},
                )
            )
        else:
            y = _y(count, top)
            parts.append(
                format_html(
                    '<rect class="chart-bar" x="{}" y="{}" width="{}" height="{}" fill="{}">'
                    "<title>{}</title></rect>",
                    x,
                    y,
                    bar_width,
                    round(HEIGHT - BOTTOM - y, 1),
                    PALETTE[0],
                    f"{name}: {count}",
                )
            )
            if row.get("margin") is not None:
                parts.append(
                    _error_bar(round(x + bar_width / 2, 1), count, row["margin"], top, "#222")
                )
        label_x = round(x + bar_width / 2, 1)
        label_y = HEIGHT - BOTTOM + 12
        parts.append(
            format_html(
                '<text class="chart-tick" x="{}" y="{}" text-anchor="end"'
                ' transform="rotate(-45 {} {})">{}</text>',
                label_x,
                label_y,
                label_x,
                label_y,
                name,
            )
        )
    omitted = len(rows) - len(drawn)
    title = _("People by %(dimension)s") % {"dimension": ", ".join(_label(d) for d in dimensions)}
    if noisy:
        description = _(
            "Bar chart of the differentially private counts, each bar with an error bar of its "
            "95% margin of error."
        )
    else:
        description = _(
            "Bar chart of the published counts. A hatched slot is a count published as 0 or hidden."
        )
    if omitted:
        description += " " + ngettext(
            "%(count)d more bar is not drawn; the table has it.",
            "%(count)d more bars are not drawn; the table has them.",
            omitted,
        ) % {"count": omitted}
    return Chart("bar", _svg(title, description, _join(parts)), omitted)


def extract_chart(result: dict[str, Any] | None) -> Chart | None:
    """A trend line chart when the year is a dimension, a bar chart otherwise; None if no rows."""
    if not result or not result.get("rows"):
        return None
    if YEAR in result["dimensions"]:
        return _line_chart(result)
    return _bar_chart(result)
