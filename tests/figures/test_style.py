"""The shared look of every figure: the two colours, the layout helpers, and no torch at import time."""

from __future__ import annotations

import subprocess
import sys

from resnet_viz.figures.style import (
    OTHER_COLOR,
    PLAIN_COLOR,
    RESNET_COLOR,
    h_legend,
    skip_color,
    tight_margin,
    twin_color,
)
from tests.conftest import ROOT


def test_the_two_colours_are_okabe_ito_orange_and_blue():
    assert PLAIN_COLOR == "#E69F00"
    assert RESNET_COLOR == "#0072B2"
    assert OTHER_COLOR not in (PLAIN_COLOR, RESNET_COLOR)


def test_skip_color_gives_blue_with_a_skip_and_orange_without():
    assert skip_color(True) == RESNET_COLOR
    assert skip_color(False) == PLAIN_COLOR


def test_twin_color_goes_by_the_name():
    assert twin_color("plain56") == PLAIN_COLOR
    assert twin_color("plain20") == PLAIN_COLOR
    assert twin_color("resnet56") == RESNET_COLOR
    assert twin_color("resnet50") == RESNET_COLOR
    assert twin_color("wide_resnet50_2") == RESNET_COLOR  # anything not plain is a residual net


def test_layout_helpers():
    assert tight_margin() == dict(l=10, r=10, t=40, b=10)
    assert tight_margin(60)["t"] == 60
    assert h_legend(1.1) == dict(orientation="h", y=1.1)


def test_figure_modules_import_without_torch():
    """The app's sidebar (every page) builds figures before anything needs torch: a cold start must not pay
    for importing it. Checked in a fresh interpreter (this test process has torch loaded already)."""
    mods = ["style", "architecture", "gradients", "training", "images", "why", "yourdata", "exports"]
    code = ("import sys\n"
            + "".join(f"import resnet_viz.figures.{m}\n" for m in mods)
            + "import resnet_viz.models.names\n"
            + "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('torch.')))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]", f"torch imported by a figure module: {out.stdout.strip()}"
