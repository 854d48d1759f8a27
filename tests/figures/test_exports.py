"""Figure exports: HTML, PNG (kaleido + Chromium, when present), CSV and the lesson pack."""

from __future__ import annotations

import io
import json
import zipfile

import plotly.graph_objects as go
import pytest

from resnet_viz.figures import exports as exports


def _figs():
    line = go.Figure(go.Scatter(x=[1, 2, 3], y=[0.5, 0.25, 0.125], name="Plain-20"))
    contour = go.Figure(go.Contour(x=[-1, 0, 1], y=[-1, 1], z=[[1, 2, 3], [4, 5, 6]], name="ResNet-20"))
    return line, contour


def test_rows_and_csv_hold_the_plotted_numbers():
    line, contour = _figs()
    assert exports.figure_rows(line) == [{"trace": "Plain-20", "x": 1, "y": 0.5},
                                         {"trace": "Plain-20", "x": 2, "y": 0.25},
                                         {"trace": "Plain-20", "x": 3, "y": 0.125}]
    rows = exports.figure_rows(contour)
    assert len(rows) == 6 and rows[4] == {"trace": "ResNet-20", "x": 0, "y": 1, "z": 5}
    assert exports.rows_csv(rows).splitlines()[0] == "trace,x,y,z"


def test_html_is_standalone():
    html = exports.figure_html(_figs()[0], title="gradient_flow-layers")
    assert "<title>gradient_flow-layers</title>" in html and len(html) > 1_000_000  # plotly.js embedded
    assert '<script src="https://cdn.plot.ly' not in html and 'src="https://' not in html.split("</head>")[0]


def test_lesson_pack_without_a_browser_carries_html_and_says_so(monkeypatch):
    monkeypatch.setattr(exports, "chrome_path", lambda: None)
    line, contour = _figs()
    data, notes = exports.lesson_pack([exports.PackItem("a-line", line, {"link": "/gradient_flow?depth=20"}),
                                       exports.PackItem("b-contour", contour)])
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert sorted(names) == ["README.txt", "a-line.csv", "a-line.html", "a-line.json", "b-contour.csv",
                             "b-contour.html", "b-contour.json"]
    z = zipfile.ZipFile(io.BytesIO(data))
    assert json.loads(z.read("a-line.json"))["link"] == "/gradient_flow?depth=20"
    assert "No PNG files: no Chrome/Chromium was found" in z.read("README.txt").decode()
    assert notes and notes[0].startswith("No PNG files")
    with pytest.raises(exports.ExportUnavailable, match="no Chrome/Chromium was found"):
        exports.figure_png(line)


def test_png_with_the_system_chromium():
    if exports.png_missing():
        pytest.skip(f"PNG export unavailable here: {exports.png_missing()}")
    png = exports.figure_png(_figs()[0], width=640, height=400)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    data, notes = exports.lesson_pack([exports.PackItem("a-line", _figs()[0])])
    assert "a-line.png" in zipfile.ZipFile(io.BytesIO(data)).namelist() and not notes
