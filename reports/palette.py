"""The colours of the charts and their legends, chosen for contrast on the white card (WCAG 2.1 AA).

A line, bar or legend swatch is a graphical mark: at least 3:1 against the card (1.4.11). A value written in a
series' colour is text: at least 4.5:1 (1.4.3), so it is written in the series' darker shade; the outcome bars that
carry their counts are dark enough for white or ink text at 4.5:1.
"""

CARD = "#ffffff"
INK = "#1d2330"

BLUE = "#2563eb"
NAVY = "#1f3a5f"
GREEN = "#067647"
AMBER = "#dc6803"
YELLOW = "#ca8504"
RED = "#d92d20"
CRIMSON = "#b42318"
SKY = "#2e90fa"
PURPLE = "#7a5af8"
GREY = "#667085"

# Text in a series' colour: the same hue, dark enough for text.
TEXT_SHADES = {AMBER: "#b54708", YELLOW: "#a15c07", SKY: "#175cd3"}

TIER_COLORS = {1: CRIMSON, 2: AMBER, 3: SKY, 4: GREY}
OUTCOME_COLORS = {"retained": GREEN, "churned": RED, "unreachable": YELLOW, "false_alarm": GREY}
GROUP_COLORS = {"worked": BLUE, "control": AMBER, "not_flagged": GREY, "flagged_other": PURPLE}


def _luminance(color: str) -> float:
    channels = [int(color.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(foreground: str, background: str = CARD) -> float:
    """The WCAG contrast ratio of two #rrggbb colours (1 to 21)."""
    high, low = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def text_shade(color: str) -> str:
    """The colour to write a series' value in: its darker shade where the series colour is too light for text."""
    return TEXT_SHADES.get(color, color)


def ink_on(fill: str) -> str:
    """White or ink, whichever reads better on a bar of colour `fill`."""
    return "#ffffff" if contrast("#ffffff", fill) >= contrast(INK, fill) else INK
