"""The evidence of a drift warning or alarm: one feature's two histograms, training data vs this week (inline SVG)."""

from html import escape

from django.utils.translation import gettext

from .charts import FONT, GRID, INK, MUTED, _text
from .palette import CRIMSON, GREY

TRAINING_COLOR, CURRENT_COLOR = GREY, CRIMSON


def _bin_labels(edges: list[float]) -> list[str]:
    """(-inf, e0], (e0, e1], ..., (e_last, inf), missing: labelled by their upper edge."""

    def num(x: float) -> str:
        return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"

    return (
        ([f"≤{num(edges[0])}"] if edges else [])
        + [f"≤{num(e)}" for e in edges[1:]]
        + ([f">{num(edges[-1])}"] if edges else [gettext("all")])
        + [gettext("missing")]
    )


def paired_histogram(feature: str, histogram: dict, *, psi: float, width: int = 560, height: int = 190) -> str:
    """Share of customers per training-decile bin: training (grey) beside this week (red)."""
    training, current = histogram["training"], histogram["current"]
    labels = _bin_labels(histogram["edges"])
    n = len(training)
    left, right, top, bottom = 40, 10, 22, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    top_share = max([*training, *current, 0.01]) * 1.1
    slot = plot_w / n
    bar = slot * 0.38
    body = []
    for t in (0.0, top_share / 2, top_share):
        y = top + plot_h * (1 - t / top_share)
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        body.append(_text(left - 4, y + 3.5, f"{t * 100:.0f}%", anchor="end"))
    for i in range(n):
        x = left + i * slot + slot * 0.1
        for j, (value, color) in enumerate(((training[i], TRAINING_COLOR), (current[i], CURRENT_COLOR))):
            h = plot_h * value / top_share
            body.append(
                f'<rect x="{x + j * bar:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{color}"><title>{escape(labels[i])}: {value:.1%}</title></rect>'
            )
        body.append(_text(left + (i + 0.5) * slot, height - bottom + 13, labels[i], anchor="middle", size=9))
    body.append(_text(left, 13, f"{feature} · PSI {psi:.2f}", fill=INK, size=12, weight="600"))
    body.append(
        _text(width - right, 13, gettext("training ▪ grey   this week ▪ red"), anchor="end", fill=MUTED, size=10)
    )
    label = gettext("%(feature)s: share of customers per bin, training data vs this week (PSI %(psi)s)") % {
        "feature": feature,
        "psi": f"{psi:.2f}",
    }
    return (
        f'<svg class="rchart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg" {FONT} font-size="11"><title>{escape(label)}</title>'
        f"{''.join(body)}</svg>"
    )
