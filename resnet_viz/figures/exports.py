"""Exports of the app's figures: interactive HTML (plotly.js embedded, so it opens offline), PNG
(plotly's ``kaleido``, which drives a Chrome/Chromium: ``BROWSER_PATH`` or one found on the PATH),
the plotted numbers as CSV, and a "lesson pack" zip of several figures with their settings.

Where no Chrome exists, PNG export is unavailable (``png_available()`` is False and ``figure_png``
raises ``ExportUnavailable`` at once, never starting or waiting on a browser); the pack then carries
HTML and CSV only and says so in its README.

The texts of an export (the README, the CSV's column headers, the page title, the messages) are in the current
language (``resnet_viz.i18n``): the app builds exports on another thread, inside ``use_language`` of the session
that asked. The CSV's numbers stay in Python's notation (a decimal point), whatever the language.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import os
import shutil
import threading
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import plotly.graph_objects as go

from resnet_viz.i18n import N_, _

_png_lock = threading.Lock()  # one kaleido render at a time (it drives one browser process)
CHROME_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
# the CSV headers of ``figure_rows``' keys that are words (x, y, z stay): the rows keep the English keys
# TRANSLATORS: a CSV column header: the name of the plotted line or series a row belongs to
FIGURE_COLUMNS = {"trace": N_("trace")}


class ExportUnavailable(RuntimeError):
    """PNG export needs plotly's kaleido and a Chrome/Chromium; the message says what is missing."""


def chrome_path() -> str | None:
    """``BROWSER_PATH`` when it names a file, else the first Chrome/Chromium on the PATH."""
    env = os.environ.get("BROWSER_PATH")
    if env and Path(env).is_file():
        return env
    return next((p for p in map(shutil.which, CHROME_NAMES) if p), None)


def png_missing() -> str | None:
    """Why PNG export is unavailable here (None when it is available)."""
    try:
        import kaleido  # noqa: F401
    except ImportError:
        return _("plotly's kaleido package is not installed (pip install kaleido)")
    if chrome_path() is None:
        return _("no Chrome/Chromium was found: install one (Debian: apt-get install chromium) or set BROWSER_PATH "
                 "to its executable")
    return None


def png_available() -> bool:
    return png_missing() is None


def figure_png(fig: go.Figure, *, width: int = 1280, height: int | None = None, scale: float = 1.0) -> bytes:
    """The figure as a PNG (``width`` x its own height unless given), rendered by kaleido."""
    missing = png_missing()
    if missing:
        raise ExportUnavailable(_("PNG export is not available: {why}", why=missing))
    os.environ.setdefault("BROWSER_PATH", chrome_path() or "")
    height = height or int(fig.layout.height or 500)
    with _png_lock:
        return fig.to_image(format="png", width=width, height=height, scale=scale)


def figure_html(fig: go.Figure, *, title: str = "") -> str:
    """A standalone interactive page with plotly.js embedded (about 4.5 MB; opens without a network)."""
    title = title or _("resnet-viz figure")
    return fig.to_html(full_html=True, include_plotlyjs=True, default_width="100%",
                       div_id=None, config={"displaylogo": False}).replace(
        "<head>", f"<head><title>{title}</title>", 1)


def _as_list(v) -> list:
    if v is None:
        return []
    if hasattr(v, "tolist"):
        return v.tolist()
    return list(v)


def figure_rows(fig: go.Figure) -> list[dict]:
    """The plotted numbers, one row per point: ``trace, x, y`` (and ``z`` for contour/heatmap/surface)."""
    rows: list[dict] = []
    for t in fig.data:
        name = getattr(t, "name", None) or t.type
        z = getattr(t, "z", None)
        if z is not None:
            zs = _as_list(z)
            xs, ys = _as_list(getattr(t, "x", None)), _as_list(getattr(t, "y", None))
            for j, row in enumerate(zs):
                for i, val in enumerate(row if isinstance(row, list) else [row]):
                    rows.append({"trace": name, "x": xs[i] if i < len(xs) else i, "y": ys[j] if j < len(ys) else j,
                                 "z": val})
            continue
        xs, ys = _as_list(getattr(t, "x", None)), _as_list(getattr(t, "y", None))
        for i in range(max(len(xs), len(ys))):
            rows.append({"trace": name, "x": xs[i] if i < len(xs) else i, "y": ys[i] if i < len(ys) else None})
    return rows


def rows_csv(rows: Iterable[dict]) -> str:
    """The rows as CSV; the header of ``figure_rows``' ``trace`` column in the current language (the keys of other
    rows are their headers as they are: the pages give them in the session's language)."""
    rows = list(rows)
    cols: list[str] = []
    for r in rows:
        cols += [k for k in r if k not in cols]
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=cols)
    w.writerow({c: _(FIGURE_COLUMNS[c]) if c in FIGURE_COLUMNS else c for c in cols})
    w.writerows(rows)
    return out.getvalue()


@dataclass
class PackItem:
    name: str  # file stem, e.g. "gradient_flow-layers"
    fig: go.Figure
    settings: dict = field(default_factory=dict)  # the page settings that reproduce it (and the link)
    rows: list[dict] | None = None  # data for the CSV (default: the plotted numbers)


def lesson_pack(items: list[PackItem], *, title: str | None = None) -> tuple[bytes, list[str]]:
    """A zip with, per figure, ``NAME.html``, ``NAME.png`` (when PNG export works here), ``NAME.csv`` and
    ``NAME.json`` (settings), plus a README (default title: "resnet-viz lesson pack"). Returns
    ``(zip bytes, notes)``."""
    title = title or _("resnet-viz lesson pack")
    notes = []
    missing = png_missing()
    if missing:
        notes.append(_("No PNG files: {why}. The HTML files are interactive and open offline in any browser.",
                       why=missing))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for it in items:
            zf.writestr(f"{it.name}.html", figure_html(it.fig, title=it.name))
            zf.writestr(f"{it.name}.csv", rows_csv(it.rows if it.rows is not None else figure_rows(it.fig)))
            zf.writestr(f"{it.name}.json", json.dumps(it.settings, indent=2, default=str))
            if not missing:
                try:
                    zf.writestr(f"{it.name}.png", figure_png(it.fig))
                except Exception as e:  # noqa: BLE001 - a failed render leaves the HTML; the README says why
                    png, error = it.name + ".png", type(e).__name__ + ": " + str(e)
                    # TRANSLATORS: {file} is a file name (a-line.png), {error} the Python error and its message
                    notes.append(_("{file} could not be rendered ({error}).", file=png, error=error))
        made = datetime.datetime.now().isoformat(timespec="seconds")
        readme = [title, "", _("Made {time} by resnet-viz.", time=made),
                  _("Per figure: .html (interactive), .png (image), .csv (the plotted numbers), .json (the settings "
                    "and the link that reproduces it)."), ""] + notes + ["", _("Figures:")] + \
            [f"- {it.name}" for it in items]
        zf.writestr("README.txt", "\n".join(readme) + "\n")
    return buf.getvalue(), notes
