"""The look every figure shares: the plain twin and the ResNet have the same two colours everywhere in the app
(Okabe-Ito, colour-blind safe: orange for plain, blue for residual), one font size, and the small layout helpers
(margins, horizontal legends) the figure modules build their layouts from. Every figure module imports it, which
is why it also holds the pandas import below.
"""

from __future__ import annotations

# plotly looks pandas up in sys.modules without the import lock: while the start-up warm-up thread is still
# importing pandas, a page building a figure saw a half-initialised module ("partially initialized module
# 'pandas' has no attribute 'Series'"). Importing it here goes through the lock and waits for the whole module.
import pandas  # noqa: F401

PLAIN_COLOR = "#E69F00"  # Okabe-Ito orange
RESNET_COLOR = "#0072B2"  # Okabe-Ito blue
OTHER_COLOR = "#7F7F7F"
FONT = dict(size=15)


def skip_color(skip: bool) -> str:
    """The colour of a net with (``True``) or without a skip connection."""
    return RESNET_COLOR if skip else PLAIN_COLOR


def twin_color(name: str) -> str:
    """The colour of a model by name: plain twins orange, everything else (the ResNets) blue."""
    return PLAIN_COLOR if name.startswith("plain") else RESNET_COLOR


def tight_margin(t: int = 40) -> dict:
    """The figures' narrow margins, ``t`` pixels above the plot (room for titles and a horizontal legend)."""
    return dict(l=10, r=10, t=t, b=10)


def h_legend(y: float) -> dict:
    """A horizontal legend ``y`` (in plot fractions) up from the bottom of the plot area: above it when > 1."""
    return dict(orientation="h", y=y)
