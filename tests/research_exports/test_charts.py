"""Charts are drawn from the published table only; a suppressed count is a gap, never a zero."""

import re

from django.utils import translation

from research_exports.charts import BOTTOM, HEIGHT, MAX_BARS, MAX_SERIES, extract_chart

BASELINE = float(HEIGHT - BOTTOM)


def _result(dimensions, rows):
    return {
        "dimensions": dimensions,
        "rows": [{"values": values, "count": count} for values, count in rows],
        "row_totals": [],
        "column_totals": [],
        "grand_total": None,
    }


def _points(svg: str) -> list[tuple[float, float, str]]:
    return [
        (float(cx), float(cy), title)
        for cx, cy, title in re.findall(
            r'<circle class="chart-point" cx="([\d.]+)" cy="([\d.]+)"[^>]*><title>([^<]*)</title>',
            svg,
        )
    ]


def _polylines(svg: str) -> list[str]:
    return re.findall(r'<polyline class="chart-line" points="([^"]*)"', svg)


def test_a_year_dimension_gives_a_line_chart():
    chart = extract_chart(_result(["yearOfRegistration"], [(["2020"], 20), (["2021"], 30)]))

    assert chart.kind == "line"


def test_other_dimensions_give_a_bar_chart():
    chart = extract_chart(_result(["gender"], [(["Woman"], 20), (["Man"], 30)]))

    assert chart.kind == "bar"


def test_a_suppressed_year_breaks_the_line_and_has_no_point():
    result = _result(
        ["yearOfRegistration"],
        [(["2019"], 20), (["2020"], 25), (["2021"], None), (["2022"], 30), (["2023"], 40)],
    )

    svg = str(extract_chart(result).svg)

    assert [title for _x, _y, title in _points(svg)] == [
        "All, 2019: 20",
        "All, 2020: 25",
        "All, 2022: 30",
        "All, 2023: 40",
    ]
    assert [len(line.split()) for line in _polylines(svg)] == [2, 2]


def test_a_suppressed_point_is_never_drawn_at_zero():
    result = _result(["yearOfRegistration"], [(["2020"], 20), (["2021"], None), (["2022"], 30)])

    svg = str(extract_chart(result).svg)

    assert all(y != BASELINE for _x, y, _title in _points(svg))


def test_a_published_zero_is_drawn_at_zero():
    result = _result(["yearOfRegistration"], [(["2020"], 20), (["2021"], 0), (["2022"], 30)])

    svg = str(extract_chart(result).svg)

    assert [y for _x, y, title in _points(svg) if title.endswith(": 0")] == [BASELINE]


def test_the_line_chart_shows_only_published_counts():
    result = _result(
        ["yearOfRegistration", "gender"],
        [
            (["2020", "Woman"], 40),
            (["2020", "Man"], None),
            (["2021", "Woman"], 55),
            (["2021", "Man"], 15),
        ],
    )

    svg = str(extract_chart(result).svg)

    drawn = sorted(int(title.rsplit(": ", 1)[1]) for _x, _y, title in _points(svg))
    assert drawn == [15, 40, 55]


def test_two_dimensions_give_one_line_per_value_of_the_other():
    result = _result(
        ["gender", "yearOfRegistration"],
        [
            (["Woman", "2020"], 40),
            (["Woman", "2021"], 50),
            (["Man", "2020"], 20),
            (["Man", "2021"], 25),
        ],
    )

    svg = str(extract_chart(result).svg)

    assert len(_polylines(svg)) == 2
    assert {title.split(",")[0] for _x, _y, title in _points(svg)} == {"Woman", "Man"}


def test_series_beyond_the_maximum_are_left_to_the_table_with_a_note():
    rows = [
        ([str(year), f"C{series:02d}"], 100 + series)
        for series in range(MAX_SERIES + 3)
        for year in (2020, 2021)
    ]

    chart = extract_chart(_result(["yearOfRegistration", "citizenship"], rows))

    assert chart.omitted == 3
    assert len(_polylines(str(chart.svg))) == MAX_SERIES
    assert "3 smaller series are not drawn" in str(chart.svg)


def test_a_suppressed_bar_is_a_hatched_slot_not_a_bar():
    result = _result(["gender"], [(["Woman"], 40), (["Man"], None), (["Other"], 0)])

    svg = str(extract_chart(result).svg)

    bars = re.findall(r'<rect class="chart-bar"[^>]*><title>([^<]*)</title>', svg)
    suppressed = re.findall(r'<rect class="chart-suppressed"[^>]*><title>([^<]*)</title>', svg)
    assert bars == ["Woman: 40", "Other: 0"]
    assert suppressed == ["Man: 0 or hidden"]


def test_bars_beyond_the_maximum_are_counted_as_omitted():
    rows = [([f"V{i:03d}"], 20) for i in range(MAX_BARS + 5)]

    chart = extract_chart(_result(["citizenship"], rows))

    assert chart.omitted == 5


def test_the_chart_has_a_title_and_a_description():
    svg = str(extract_chart(_result(["gender"], [(["Woman"], 40)])).svg)

    assert re.search(r'<svg[^>]*role="img"[^>]*aria-labelledby="chart-title chart-desc"', svg)
    assert '<title id="chart-title">' in svg
    assert '<desc id="chart-desc">' in svg


def test_values_are_escaped():
    svg = str(extract_chart(_result(["gender"], [(["<script>x</script>"], 40)])).svg)

    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg


def test_the_chart_has_no_inline_style():
    result = _result(["yearOfRegistration"], [(["2020"], 20), (["2021"], None)])

    svg = str(extract_chart(result).svg)

    assert not re.search(r"\sstyle=|<style", svg)


def test_no_rows_gives_no_chart():
    assert extract_chart(_result(["gender"], [])) is None


def _dp_result(dimensions, rows, margin):
    result = _result(dimensions, rows)
    result["mode"] = "dp"
    for row in result["rows"]:
        row["margin"] = margin
    return result


def _error_bars(svg: str) -> list[tuple[float, float, float, str]]:
    """(x, y of the low end, y of the high end, title) of each error bar."""
    return [
        (float(x), float(low), float(high), title)
        for x, low, high, title in re.findall(
            r'<path class="chart-error" d="M([\d.]+) ([\d.]+)V([\d.]+)[^"]*"[^>]*>'
            r"<title>([^<]*)</title>",
            svg,
        )
    ]


def test_dp_bars_have_error_bars_of_their_margin():
    svg = str(extract_chart(_dp_result(["gender"], [(["Woman"], 20), (["Man"], 30)], 6)).svg)
    bars = _error_bars(svg)
    assert len(bars) == 2
    assert all(title == "95% margin of error: ± 6" for *_, title in bars)
    # The interval is drawn around the count: the high end above the low end (smaller y).
    assert all(high < low for _x, low, high, _t in bars)
    assert "error bar" in svg


def test_dp_points_have_error_bars_and_the_axis_holds_them():
    rows = [(["2020"], 40), (["2021"], 50)]
    svg = str(extract_chart(_dp_result(["yearOfRegistration"], rows, 12)).svg)
    bars = _error_bars(svg)
    assert len(bars) == 2
    # The top of the axis is at or above the highest end of an interval (50 + 12).
    assert min(high for _x, _low, high, _t in bars) >= 16


def test_an_error_bar_is_clamped_at_zero_like_the_count():
    svg = str(extract_chart(_dp_result(["gender"], [(["Woman"], 1), (["Man"], 30)], 6)).svg)
    lows = [low for _x, low, _high, _t in _error_bars(svg)]
    assert max(lows) == BASELINE


def test_suppressed_tables_have_no_error_bars():
    svg = str(extract_chart(_result(["gender"], [(["Woman"], 20), (["Man"], None)])).svg)
    assert "chart-error" not in svg


def test_in_arabic_the_axes_keep_their_direction_and_the_years_their_order():
    result = _result(["yearOfRegistration"], [(["2020"], 20), (["2021"], 30)])
    with translation.override("ar"):
        svg = str(extract_chart(result).svg)
    # The page is right to left; the chart keeps numbers readable: years left to right.
    assert ' direction="ltr" ' in svg
    (x_2020, _y0, _t0), (x_2021, _y1, _t1) = _points(svg)
    assert x_2020 < x_2021
