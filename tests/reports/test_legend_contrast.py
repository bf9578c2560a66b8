"""Chart legends and labels reach WCAG AA on the white card: text 4.5:1, graphical marks (swatches, lines, bars)
3:1 (issue 17: the 90th-percentile legend was #f79009 on white, 2.35:1)."""

import re
from pathlib import Path

import pytest

from reports import charts
from reports.palette import (
    CARD,
    GROUP_COLORS,
    OUTCOME_COLORS,
    TEXT_SHADES,
    TIER_COLORS,
    contrast,
    ink_on,
    text_shade,
)

ROOT = Path(__file__).resolve().parent.parent.parent
REPORT = ROOT / "templates" / "reports" / "weeklyreport_detail.html"
CUSTOMER = ROOT / "templates" / "customers" / "customer_detail.html"
APP_CSS = ROOT / "interventions" / "static" / "churnops" / "app.css"
TEXT, GRAPHIC = 4.5, 3.0
SERIES = sorted({*TIER_COLORS.values(), *OUTCOME_COLORS.values(), *GROUP_COLORS.values(), *TEXT_SHADES})


def legends(path: Path, css_class: str) -> list[str]:
    return re.findall(rf'<div class="{css_class}">(.*?)</div>', path.read_text(encoding="utf-8"), flags=re.S)


def legend_colours(html: str) -> tuple[list[str], list[str]]:
    """(colours of text, colours of marks) in a legend's markup."""
    text = re.findall(r'<span style="[^"]*\bcolor:\s*(#[0-9a-fA-F]{6})', html)
    marks = re.findall(r'<i[^>]*style="[^"]*(?:background|color|border-color):\s*(#[0-9a-fA-F]{6})', html)
    return text, marks


@pytest.mark.parametrize(("ratio", "pair"), [(2.35, ("#f79009", "#ffffff")), (21.0, ("#000000", "#ffffff"))])
def test_the_ratio_is_wcag_s(ratio, pair):
    assert round(contrast(*pair), 2) == ratio


def test_the_legend_text_colour_reads_on_the_card():
    muted = re.search(r"--muted:\s*(#[0-9a-fA-F]{6})", APP_CSS.read_text()).group(1)
    assert contrast(muted, CARD) >= TEXT


def test_every_report_legend_colour_reaches_aa():
    rows = legends(REPORT, "legend-row")
    assert len(rows) >= 8
    checked = 0
    for html in rows:
        text, marks = legend_colours(html)
        for colour in text:
            assert contrast(colour, CARD) >= TEXT, f"legend text {colour} on white: {contrast(colour, CARD):.2f}:1"
        for colour in marks:
            assert contrast(colour, CARD) >= GRAPHIC, f"legend mark {colour} on white: {contrast(colour, CARD):.2f}:1"
        checked += len(text) + len(marks)
    assert checked >= 15


def test_the_customer_chart_legend_bands_have_a_visible_edge():
    (html,) = legends(CUSTOMER, "legend")
    edges = re.findall(r"border-color:\s*(#[0-9a-fA-F]{6})", html)
    assert len(edges) == 4
    for colour in edges:
        assert contrast(colour, CARD) >= GRAPHIC, colour


@pytest.mark.parametrize("colour", SERIES)
def test_every_series_colour_is_a_visible_mark_and_its_labels_read(colour):
    assert contrast(colour, CARD) >= GRAPHIC
    assert contrast(text_shade(colour), CARD) >= TEXT


@pytest.mark.parametrize("colour", sorted({*OUTCOME_COLORS.values(), *TIER_COLORS.values()}))
def test_numbers_written_on_bars_read(colour):
    assert contrast(ink_on(colour), colour) >= TEXT


def test_line_end_labels_are_written_in_a_readable_shade():
    labels = charts._end_labels([(10.0, 10.0 + 20 * i, "12%", colour) for i, colour in enumerate(SERIES)])
    fills = [re.search(r'fill="(#[0-9a-fA-F]{6})"', label).group(1) for label in labels]
    assert len(fills) == len(SERIES)
    for fill in fills:
        assert contrast(fill, CARD) >= TEXT, fill
