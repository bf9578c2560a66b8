"""Server-rendered inline SVG charts: pure functions from numbers to markup, nothing fetched at runtime.

Colours are SVG presentation attributes (not CSS), so a chart prints and renders the same anywhere.
"""

import math
from dataclasses import dataclass
from html import escape

from .palette import OUTCOME_COLORS, TIER_COLORS, ink_on, text_shade  # noqa: F401  (the charts' colours, re-exported)

INK, MUTED, GRID, BRAND = "#1d2330", "#5f6b7a", "#e5e7eb", "#1f3a5f"
FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif"'


def fmt(value, kind: str = "int") -> str:
    """Numbers as people read them: 85%, 1,204, 12.5 h, 48.2k."""
    if value is None:
        return "–"
    if kind == "pct":
        return f"{value * 100:.0f}%"
    if kind == "pct1":
        return f"{value * 100:.1f}%"
    if kind == "pp":
        return f"{value * 100:+.1f} pp"
    if kind == "hours":
        return f"{value:.1f} h" if value < 100 else f"{value:.0f} h"
    if kind == "money":
        return _money(value)
    if kind == "f2":
        return f"{value:.2f}"
    if kind == "f3":
        return f"{value:.3f}"
    if kind in ("days", "x"):
        return f"{value:.0f} d" if kind == "days" else f"{value:.1f}×"
    return f"{value:,.0f}"


def tick(value: float, kind: str) -> str:
    """Axis labels: whole numbers where the figure itself would show decimals."""
    if kind == "hours":
        return f"{value:.0f} h"
    if kind == "pp":
        return "0" if abs(value) < 1e-12 else f"{value * 100:+.0f} pp"
    return fmt(value, kind)


def _money(value: float) -> str:
    if abs(value) >= 1e6:
        return f"{value / 1e6:.2f}M"
    if abs(value) >= 1e3:
        return f"{value / 1e3:.1f}k"
    return f"{value:,.0f}"


def nice_ticks(lo: float, hi: float, count: int = 4) -> list[float]:
    """About `count` round tick values covering [lo, hi]."""
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(lo / step) * step
    ticks, t = [], first
    while t < hi + step * 0.999:
        ticks.append(round(t, 10))
        t += step
    return ticks


@dataclass(frozen=True)
class _Frame:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int

    @property
    def plot_w(self) -> float:
        return self.width - self.left - self.right

    @property
    def plot_h(self) -> float:
        return self.height - self.top - self.bottom


def _svg(frame: _Frame, body: list[str], label: str) -> str:
    return (
        f'<svg class="rchart" viewBox="0 0 {frame.width} {frame.height}" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg" {FONT} font-size="11">'
        f"<title>{escape(label)}</title>{''.join(body)}</svg>"
    )


def _text(x, y, text, *, anchor="start", fill=MUTED, size=11, weight="normal") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}" font-size="{size}" '
        f'font-weight="{weight}">{escape(str(text))}</text>'
    )


def _y_axis(frame: _Frame, ticks: list[float], scale, kind: str) -> list[str]:
    out = []
    for t in ticks:
        y = scale(t)
        out.append(
            f'<line x1="{frame.left}" x2="{frame.width - frame.right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        out.append(_text(frame.left - 6, y + 3.5, tick(t, kind), anchor="end"))
    return out


def _x_labels(frame: _Frame, labels: list[str], xs: list[float]) -> list[str]:
    return [_text(x, frame.height - 8, label, anchor="middle") for x, label in zip(xs, labels, strict=True)]


def _segments(points: list[tuple[float, float] | None]) -> list[list[tuple[float, float]]]:
    runs, current = [], []
    for p in points:
        if p is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append(p)
    if current:
        runs.append(current)
    return runs


def _scale_y(frame: _Frame, lo: float, hi: float):
    def scale(v: float) -> float:
        return frame.top + frame.plot_h * (1 - (v - lo) / (hi - lo))

    return scale


def _xs(frame: _Frame, n: int) -> list[float]:
    if n == 1:
        return [frame.left + frame.plot_w / 2]
    return [frame.left + frame.plot_w * i / (n - 1) for i in range(n)]


def _range(values: list[float], y_min, y_max, extra: list[float]) -> tuple[float, float]:
    finite = [v for v in values + extra if v is not None]
    lo = y_min if y_min is not None else min([0.0, *finite])
    hi = y_max if y_max is not None else max([lo + 1e-9, *finite]) * 1.08
    return lo, hi if hi > lo else lo + 1


def line_chart(
    labels: list[str],
    series: list[dict],
    *,
    kind: str = "int",
    y_min=0.0,
    y_max=None,
    threshold: float | None = None,
    threshold_label: str = "",
    label: str = "",
    width: int = 560,
    height: int = 210,
) -> str:
    """Weekly trend lines. series: {"name", "values", "color", optional "low"/"high" for an interval band}."""
    frame = _Frame(width, height, 46, 58, 14, 26)
    values = [v for s in series for v in s["values"] if v is not None]
    band = [v for s in series for key in ("low", "high") for v in s.get(key, []) if v is not None]
    lo, hi = _range(values + band, y_min, y_max, [threshold] if threshold is not None else [])
    ticks = [t for t in nice_ticks(lo, hi) if lo <= t <= hi * 1.0001] or [lo]
    hi = max(hi, ticks[-1])
    scale = _scale_y(frame, lo, hi)
    xs = _xs(frame, len(labels))
    body = _y_axis(frame, ticks, scale, kind) + _x_labels(frame, labels, xs)
    if threshold is not None:
        y = scale(threshold)
        body.append(
            f'<line x1="{frame.left}" x2="{width - frame.right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#b42318" '
            f'stroke-width="1.2" stroke-dasharray="5 4"/>'
        )
        body.append(_text(width - frame.right + 4, y + 3.5, threshold_label or fmt(threshold, kind), fill="#b42318"))
    labels_at = []
    for s in series:
        drawn, last = _series(s, xs, scale, kind)
        body += drawn
        if last:
            labels_at.append(last)
    body += _end_labels(labels_at)
    return _svg(frame, body, label)


LABEL_GAP = 12.0


def _end_labels(labels: list[tuple[float, float, str, str]]) -> list[str]:
    """The last value of each line, pushed apart vertically so that two close lines stay readable."""
    placed: list[float] = []
    out = []
    for x, y, text, color in sorted(labels, key=lambda item: item[1]):
        y = max(y, placed[-1] + LABEL_GAP) if placed else y
        placed.append(y)
        out.append(_text(x + 7, y + 4, text, fill=text_shade(color), weight="600", size=11.5))
    return out


def _series(s: dict, xs: list[float], scale, kind: str) -> tuple[list[str], tuple | None]:
    color = s.get("color", BRAND)
    out = []
    if s.get("low") and s.get("high"):
        for run in _segments(
            [
                (i, 0) if lo_ is not None and hi_ is not None else None
                for i, (lo_, hi_) in enumerate(zip(s["low"], s["high"], strict=True))
            ]
        ):
            idx = [i for i, _ in run]
            upper = " ".join(f"{xs[i]:.1f},{scale(s['high'][i]):.1f}" for i in idx)
            lower = " ".join(f"{xs[i]:.1f},{scale(s['low'][i]):.1f}" for i in reversed(idx))
            out.append(f'<polygon points="{upper} {lower}" fill="{color}" fill-opacity="0.13" stroke="none"/>')
    points = [None if v is None else (xs[i], scale(v)) for i, v in enumerate(s["values"])]
    dash = ' stroke-dasharray="4 3"' if s.get("dashed") else ""
    for run in _segments(points):
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
        out.append(
            f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2.2" '
            f'stroke-linejoin="round" stroke-linecap="round"{dash}/>'
        )
    last = max((i for i, p in enumerate(points) if p is not None), default=None)
    for i, p in enumerate(points):
        if p is None:
            continue
        fill = color if i == last else "#fff"
        out.append(
            f'<circle cx="{p[0]:.1f}" cy="{p[1]:.1f}" r="3.2" fill="{fill}" stroke="{color}" '
            f'stroke-width="1.6"><title>{escape(s["name"])}: {fmt(s["values"][i], kind)}</title></circle>'
        )
    if last is None:
        return out, None
    x, y = points[last]
    return out, (x, y, fmt(s["values"][last], kind), color)


def stacked_bars(
    labels: list[str], series: list[dict], *, kind: str = "int", label: str = "", width: int = 560, height: int = 210
) -> str:
    """Weekly stacked columns. series: {"name", "values", "color"}; the total is written on top."""
    frame = _Frame(width, height, 46, 12, 16, 26)
    totals = [sum(s["values"][i] or 0 for s in series) for i in range(len(labels))]
    lo, hi = _range(totals, 0.0, None, [])
    ticks = nice_ticks(0, hi)
    hi = max(hi, ticks[-1])
    scale = _scale_y(frame, 0, hi)
    slot = frame.plot_w / max(len(labels), 1)
    xs = [frame.left + slot * (i + 0.5) for i in range(len(labels))]
    body = _y_axis(frame, ticks, scale, kind) + _x_labels(frame, labels, xs)
    bar = min(34.0, slot * 0.62)
    for i, x in enumerate(xs):
        base = 0.0
        for s in series:
            v = s["values"][i] or 0
            if v <= 0:
                continue
            y0, y1 = scale(base), scale(base + v)
            body.append(
                f'<rect x="{x - bar / 2:.1f}" y="{y1:.1f}" width="{bar:.1f}" height="{max(y0 - y1, 0):.1f}" '
                f'fill="{s["color"]}"><title>{escape(s["name"])}: {fmt(v, kind)}</title></rect>'
            )
            base += v
        if totals[i]:
            body.append(_text(x, scale(totals[i]) - 4, fmt(totals[i], kind), anchor="middle", fill=INK, size=10.5))
    return _svg(frame, body, label)


def hbars(
    rows: list[dict],
    *,
    kind: str = "pct",
    max_value: float | None = None,
    threshold: float | None = None,
    threshold_label: str = "",
    label: str = "",
    width: int = 560,
    label_width: int = 150,
    row_height: int = 26,
) -> str:
    """Horizontal bars. rows: {"label", "value", "color", optional "note"}; None values show a dash."""
    height = 18 + row_height * max(len(rows), 1) + (16 if threshold is not None else 0)
    frame = _Frame(width, height, label_width, 64, 6, 12)
    top_value = max_value or max([r["value"] or 0 for r in rows] + [threshold or 0, 1e-9]) * 1.05

    def x_of(v):
        return frame.left + frame.plot_w * min(v / top_value, 1.0)

    body = []
    for i, r in enumerate(rows):
        y = frame.top + i * row_height
        body.append(_text(frame.left - 8, y + row_height / 2 + 4, r["label"], anchor="end", fill=INK, size=11.5))
        body.append(
            f'<rect x="{frame.left}" y="{y + 5:.1f}" width="{frame.plot_w:.1f}" height="{row_height - 10}" '
            f'fill="#f2f4f7" rx="3"/>'
        )
        if r["value"]:
            body.append(
                f'<rect x="{frame.left}" y="{y + 5:.1f}" width="{max(x_of(r["value"]) - frame.left, 1.5):.1f}"'
                f' height="{row_height - 10}" fill="{r.get("color", BRAND)}" rx="3"/>'
            )
        note = fmt(r["value"], kind) + (f"  {r['note']}" if r.get("note") else "")
        body.append(_text(width - frame.right + 6, y + row_height / 2 + 4, note, fill=INK, size=11))
    if threshold is not None:
        x = x_of(threshold)
        body.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{frame.top}" y2="{height - 14}" stroke="#b42318" '
            f'stroke-width="1.2" stroke-dasharray="5 4"/>'
        )
        body.append(_text(x, height - 3, threshold_label or fmt(threshold, kind), anchor="middle", fill="#b42318"))
    return _svg(frame, body, label)


def stacked_share_bars(
    rows: list[dict],
    parts: list[tuple[str, str, str]],
    *,
    label: str = "",
    width: int = 560,
    label_width: int = 110,
    row_height: int = 30,
) -> str:
    """100% horizontal bars. rows: {"label", "counts": {key: n}}; parts: (key, name, colour)."""
    height = 8 + row_height * max(len(rows), 1)
    frame = _Frame(width, height, label_width, 54, 4, 4)
    body = []
    for i, r in enumerate(rows):
        y = frame.top + i * row_height
        total = sum(r["counts"].get(k, 0) for k, _, _ in parts)
        body.append(_text(frame.left - 8, y + row_height / 2 + 4, r["label"], anchor="end", fill=INK, size=11.5))
        body.append(_text(width - frame.right + 6, y + row_height / 2 + 4, f"n = {total}", fill=MUTED))
        if not total:
            body.append(
                f'<rect x="{frame.left}" y="{y + 5}" width="{frame.plot_w:.1f}" height="{row_height - 10}" '
                f'fill="#f2f4f7" rx="3"/>'
            )
            continue
        x = float(frame.left)
        for key, name, color in parts:
            n = r["counts"].get(key, 0)
            if not n:
                continue
            w = frame.plot_w * n / total
            body.append(
                f'<rect x="{x:.1f}" y="{y + 5}" width="{w:.1f}" height="{row_height - 10}" fill="{color}">'
                f"<title>{escape(name)}: {n} ({n / total:.0%})</title></rect>"
            )
            if w >= 26:
                body.append(
                    _text(x + w / 2, y + row_height / 2 + 4, n, anchor="middle", fill=ink_on(color), weight="600")
                )
            x += w
    return _svg(frame, body, label)
