import datetime
import re

from reintegration.charts import BOTTOM, HEIGHT, TOP, monitoring_chart
from reintegration.models import MonitoringVisit


def _visit(day: int, economic: int, social: int, psychosocial: int) -> MonitoringVisit:
    return MonitoringVisit(
        status=MonitoringVisit.Status.DONE,
        done_date=datetime.date(2025, 1, day),
        economic_score=economic,
        social_score=social,
        psychosocial_score=psychosocial,
    )


def test_no_visit_done_draws_no_chart():
    assert monitoring_chart([]) is None


def test_three_lines_on_the_fixed_1_to_5_scale_with_title_and_description():
    svg = str(monitoring_chart([_visit(1, 1, 2, 3), _visit(20, 5, 4, 3)]))

    assert svg.count('<polyline class="chart-line"') == 3
    assert '<title id="monitoring-chart-title">' in svg
    assert '<desc id="monitoring-chart-desc">' in svg
    assert 'role="img"' in svg
    ticks = re.findall(r'text-anchor="end">(\d)</text>', svg)
    assert ticks == ["1", "2", "3", "4", "5"]
    # Score 5 is at the top of the plot, score 1 on the axis.
    assert f'y1="{float(TOP)}"' in svg
    assert f'y1="{HEIGHT - BOTTOM}"' in svg
    assert not re.search(r"\sstyle=", svg)


def test_each_point_has_a_label_with_its_dimension_and_score():
    svg = str(monitoring_chart([_visit(1, 2, 4, 5)]))

    assert "<title>Economic: 2</title>" in svg
    assert "<title>Social: 4</title>" in svg
    assert "<title>Psychosocial: 5</title>" in svg
    # One visit: points, no line.
    assert "<polyline" not in svg


def test_equal_scores_stay_distinguishable():
    svg = str(monitoring_chart([_visit(1, 3, 3, 3)]))

    circle = re.search(r'<circle class="chart-point" cx="([\d.]+)"', svg).group(1)
    square = re.search(r'<rect class="chart-point" x="([\d.]+)"', svg).group(1)
    assert float(circle) != float(square) + 4
