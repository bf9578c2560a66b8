"""Charts of estimates and distributions: intervals (churn rates with their 95% intervals) and histograms."""

import math

from django.utils.translation import gettext

from .charts import BRAND, GRID, INK, _Frame, _scale_y, _svg, _text, _y_axis, fmt, nice_ticks, tick
from .palette import GREEN, YELLOW


def interval_chart(
    rows: list[dict],
    *,
    kind: str = "pct",
    zero_line: bool = False,
    label: str = "",
    width: int = 560,
    label_width: int = 150,
    row_height: int = 34,
) -> str:
    """Points with interval whiskers. rows: {"label", "value", "low", "high", "color", optional "note"}."""
    bounds = [v for r in rows for v in (r["low"], r["high"], r["value"]) if v is not None]
    lo = min([0.0, *bounds])
    hi = max([0.0, *bounds]) or 0.1
    ticks = nice_ticks(lo, hi, 4)
    lo, hi = min(lo, ticks[0]), max(hi, ticks[-1])
    height = 30 + row_height * max(len(rows), 1)
    frame = _Frame(width, height, label_width, 96, 6, 24)

    def x_of(v):
        return frame.left + frame.plot_w * (v - lo) / (hi - lo)

    body = []
    for t in ticks:
        x = x_of(t)
        body.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{frame.top}" y2="{height - frame.bottom}" stroke="{GRID}"/>')
        body.append(_text(x, height - 8, tick(t, "pp" if zero_line else kind), anchor="middle"))
    if zero_line:
        x = x_of(0)
        body.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{frame.top}" y2="{height - frame.bottom}" stroke="{INK}" '
            f'stroke-width="1.2"/>'
        )
    for i, r in enumerate(rows):
        y = frame.top + i * row_height + row_height / 2
        color = r.get("color", BRAND)
        body.append(_text(frame.left - 8, y + 4, r["label"], anchor="end", fill=INK, size=11.5))
        if r["value"] is None:
            body.append(_text(frame.left + 4, y + 4, gettext("no customers yet")))
            continue
        if r["low"] is not None and r["high"] is not None:
            x0, x1 = x_of(r["low"]), x_of(r["high"])
            body.append(
                f'<line x1="{x0:.1f}" x2="{x1:.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="{color}" '
                f'stroke-width="2.5" stroke-linecap="round" stroke-opacity="0.55"/>'
            )
            for xe in (x0, x1):
                body.append(
                    f'<line x1="{xe:.1f}" x2="{xe:.1f}" y1="{y - 6:.1f}" y2="{y + 6:.1f}" stroke="{color}" '
                    f'stroke-width="2"/>'
                )
        body.append(
            f'<circle cx="{x_of(r["value"]):.1f}" cy="{y:.1f}" r="5.5" fill="{color}" stroke="#fff" '
            f'stroke-width="1.5"/>'
        )
        note = fmt(r["value"], "pp" if zero_line else "pct1") + (f"  {r['note']}" if r.get("note") else "")
        body.append(_text(width - frame.right + 8, y + 4, note, fill=INK, size=11))
    return _svg(frame, body, label)


def histogram(
    values: list[float],
    *,
    bin_width: float,
    marker: float,
    marker_label: str,
    label: str = "",
    width: int = 560,
    height: int = 190,
    max_value: float | None = None,
) -> str:
    """Counts per bin of `bin_width`; bins at or past the marker are green (in time), before it amber."""
    frame = _Frame(width, height, 40, 14, 18, 26)
    top = max_value if max_value is not None else max([*values, marker * 2, bin_width])
    edges = [i * bin_width for i in range(int(math.ceil((top + 1e-9) / bin_width)) + 1)]
    counts = [
        sum(a <= v < b or (b == edges[-1] and v == b) for v in values) for a, b in zip(edges, edges[1:], strict=False)
    ]
    hi = max([*counts, 1])
    ticks = [t for t in nice_ticks(0, hi, 3) if float(t).is_integer()]
    hi = max(hi, ticks[-1])
    scale = _scale_y(frame, 0, hi)
    span = edges[-1] or 1

    def x_of(v):
        return frame.left + frame.plot_w * v / span

    body = _y_axis(frame, ticks, scale, "int")
    for a, b, n in zip(edges, edges[1:], counts, strict=False):
        color = GREEN if a >= marker else YELLOW
        if n:
            body.append(
                f'<rect x="{x_of(a) + 1:.1f}" y="{scale(n):.1f}" width="{x_of(b) - x_of(a) - 2:.1f}" '
                f'height="{scale(0) - scale(n):.1f}" fill="{color}"><title>{a:.0f}–{b:.0f} days: {n}'
                f"</title></rect>"
            )
    for e in edges[:: max(1, len(edges) // 8)]:
        body.append(_text(x_of(e), height - 8, f"{e:.0f}", anchor="middle"))
    x = x_of(marker)
    body.append(
        f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{frame.top - 6}" y2="{scale(0):.1f}" stroke="{INK}" '
        f'stroke-width="1.2" stroke-dasharray="5 4"/>'
    )
    body.append(_text(x + 5, frame.top + 2, marker_label, fill=INK))
    return _svg(frame, body, label)
