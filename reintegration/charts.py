"""A server-rendered SVG chart of the monitoring scores over time.

Three lines, one per dimension, on the fixed 1–5 scale, one point per visit done. Each line
has its own colour (Okabe–Ito), dash pattern and marker shape, so it reads without colour.
No inline style: colours and strokes are SVG presentation attributes, which the Content
Security Policy allows; text and layout come from classes in ``css/reintegration.css``. The
page shows the same numbers in a table beside it.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from .models import SCORE_MAX, SCORE_MIN, Dimension, MonitoringVisit

WIDTH = 640
HEIGHT = 260
LEFT, RIGHT, TOP, BOTTOM = 40, 16, 16, 64
MARKER_SHIFT = 5
# (colour, dash pattern, marker) per dimension.
STYLES: dict[str, tuple[str, str, str]] = {
    Dimension.ECONOMIC: ("#0072b2", "", "circle"),
    Dimension.SOCIAL: ("#d55e00", "6 3", "square"),
    Dimension.PSYCHOSOCIAL: ("#009e73", "2 3", "triangle"),
}


def _join(parts: list[SafeString]) -> SafeString:
    return format_html_join("", "{}", ((part,) for part in parts))


def _y(score: int) -> float:
    plot = HEIGHT - TOP - BOTTOM
    return round(TOP + plot - plot * (score - SCORE_MIN) / (SCORE_MAX - SCORE_MIN), 1)


def _marker(shape: str, x: float, y: float, colour: str, label: str) -> SafeString:
    if shape == "square":
        return format_html(
            '<rect class="chart-point" x="{}" y="{}" width="8" height="8" fill="{}">'
            "<title>{}</title></rect>",
            round(x - 4, 1),
            round(y - 4, 1),
            colour,
            label,
        )
    if shape == "triangle":
        points = f"{x},{round(y - 5, 1)} {round(x - 5, 1)},{round(y + 4, 1)} "
        points += f"{round(x + 5, 1)},{round(y + 4, 1)}"
        return format_html(
            '<polygon class="chart-point" points="{}" fill="{}"><title>{}</title></polygon>',
            points,
            colour,
            label,
        )
    return format_html(
        '<circle class="chart-point" cx="{}" cy="{}" r="4" fill="{}"><title>{}</title></circle>',
        x,
        y,
        colour,
        label,
    )


def monitoring_chart(visits: Sequence[MonitoringVisit]) -> SafeString | None:
    """The chart of ``visits`` (done, in date order); None when there is none."""
    if not visits:
        return None
    plot_width = WIDTH - LEFT - RIGHT
    slot = plot_width / len(visits)
    xs = [round(LEFT + slot * (i + 0.5), 1) for i in range(len(visits))]
    parts = [
        format_html(
            '<line class="chart-axis" x1="{}" y1="{}" x2="{}" y2="{}" stroke="#444"/>',
            LEFT,
            HEIGHT - BOTTOM,
            WIDTH - RIGHT,
            HEIGHT - BOTTOM,
        )
    ]
    for score in range(SCORE_MIN, SCORE_MAX + 1):
        y = _y(score)
        parts.append(
            format_html(
                '<line class="chart-grid" x1="{}" y1="{}" x2="{}" y2="{}" stroke="#ddd"/>'
                '<text class="chart-tick" x="{}" y="{}" text-anchor="end">{}</text>',
                LEFT,
                y,
                WIDTH - RIGHT,
                y,
                LEFT - 8,
                y + 4,
                score,
            )
        )
    for x, visit in zip(xs, visits, strict=True):
        parts.append(
            format_html(
                '<text class="chart-tick" x="{}" y="{}" text-anchor="middle">{}</text>',
                x,
                HEIGHT - BOTTOM + 16,
                date_format(visit.done_date, "j M Y"),
            )
        )
    for index, (dimension, label) in enumerate(Dimension.choices):
        colour, dash, shape = STYLES[dimension]
        # Each line sits a few pixels beside the others, so equal scores stay visible.
        shift = (index - 1) * MARKER_SHIFT
        points = [
            (round(x + shift, 1), _y(visit.scores()[dimension]), visit.scores()[dimension])
            for x, visit in zip(xs, visits, strict=True)
        ]
        if len(points) > 1:
            parts.append(
                format_html(
                    '<polyline class="chart-line" points="{}" fill="none" stroke="{}"'
                    ' stroke-width="2" stroke-dasharray="{}"/>',
                    " ".join(f"{x},{y}" for x, y, _score in points),
                    colour,
                    dash or "none",
                )
            )
        for x, y, score in points:
            parts.append(_marker(shape, x, y, colour, f"{label}: {score}"))
        legend_x = LEFT + index * (plot_width / 3)
        legend_y = HEIGHT - 16
        parts.append(
            _join(
                [
                    _marker(shape, legend_x + 5, legend_y - 4, colour, str(label)),
                    format_html(
                        '<text class="chart-legend" x="{}" y="{}">{}</text>',
                        legend_x + 14,
                        legend_y,
                        label,
                    ),
                ]
            )
        )
    title = _("Monitoring scores over time")
    description = _(
        "Line chart of the economic, social and psychosocial scores, from 1 (worst) to 5 "
        "(best), at each monitoring visit done. The table below gives the same scores."
    )
    return format_html(
        '<svg class="monitoring-chart" role="img" viewBox="0 0 {} {}"'
        ' aria-labelledby="monitoring-chart-title monitoring-chart-desc"'
        ' xmlns="http://www.w3.org/2000/svg">'
        '<title id="monitoring-chart-title">{}</title>'
        '<desc id="monitoring-chart-desc">{}</desc>{}</svg>',
        WIDTH,
        HEIGHT,
        title,
        description,
        _join(parts),
    )
