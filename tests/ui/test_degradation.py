"""The Degradation page: run store, Train now in the background, the paper's ordering."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptests import APP
from tests.helpers import _texts

pytestmark = pytest.mark.usefixtures('clear_streamlit_caches')


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory):
    """Four finished runs (plain/ResNet 20 and 32) on a small shapes set, tagged 'tiny'."""
    from resnet_viz.training.config import TrainConfig
    from resnet_viz.training.engine import train

    root = tmp_path_factory.mktemp("runs")
    for m in ("plain20", "resnet20", "plain32", "resnet32"):
        train(TrainConfig(model=m, data="shapes", epochs=2, limit_train=256, limit_test=100, batch_size=64),
              root / f"{m}-tiny")
    return root


def test_degradation_page_reads_the_run_store(tiny_runs, monkeypatch):
    from resnet_viz.runs.twins import run_sets

    monkeypatch.setenv("RESNET_VIZ_RUNS", str(tiny_runs))
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("pages/degradation.py").run()
    assert not at.exception, at.exception
    options = at.selectbox(key="runset").options
    assert any(o.startswith("tiny: shapes, fast preset, 2 epochs (trained here)") for o in options)
    at.selectbox(key="runset").set_value("local:tiny").run()
    text = _texts(at)
    rs = next(s for s in run_sets() if s.tag == "tiny")
    p20 = 100 * rs.runs["plain20"].final()["train_error"]
    assert f"{p20:.1f} %" in text and "After 2 epochs (all four runs), training error" in text
    table = at.dataframe[0].value
    assert list(table["model"]) == ["Plain-20", "Plain-32", "ResNet-20", "ResNet-32"]
    assert (table["state"] == "finished").all() and (table["epochs"] == 2).all()
    assert "Mean std of the 3x3 layer responses" in text
    assert len(at.get("plotly_chart")) == 2


@pytest.mark.slow
def test_degradation_train_now_runs_in_the_background_once(tmp_path, monkeypatch):
    import time

    from resnet_viz.runs.store import Run

    monkeypatch.setenv("RESNET_VIZ_RUNS", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("pages/degradation.py").run()
    text = _texts(at)  # without shipped runs / with the 20-layer ones / with all four
    assert "No finished runs" in text or "one depth only" in text or "the degradation problem" in text
    at.number_input(key="train_epochs").set_value(1)
    at.selectbox(key="train_depths").set_value("20 vs 32").run()
    at.button(key="train_now").click().run()
    assert not at.exception, at.exception
    assert any("Started: Plain-20" in s.value for s in at.success)
    at.button(key="train_now").click().run()  # a second click while it runs: no duplicate
    assert any("already queued or running" in i.value for i in at.info)
    runs = [Run(tmp_path / f"{m}-live-shapes2000-fast-1ep") for m in ("plain20", "resnet20", "plain32", "resnet32")]
    deadline = time.time() + 600
    while time.time() < deadline and not all(r.status.get("state") == "finished" for r in runs):
        time.sleep(1)
    assert all(r.status.get("state") == "finished" for r in runs), [r.status for r in runs]
    at.run()
    assert any(o.startswith("live-shapes2000-fast-1ep") for o in at.selectbox(key="runset").options)


def test_degradation_shipped_runs_show_the_papers_ordering(tmp_path, monkeypatch):
    """The curves shipped in assets/runs, as plotted: plain-56 ends above plain-20 in training error,
    ResNet-56 at or below ResNet-20 (same schedule for all four)."""
    import json

    from resnet_viz.runs.store import shipped_root

    if not all((shipped_root() / f"{m}-fast12" / "metrics.jsonl").is_file()
               for m in ("plain20", "resnet20", "plain56", "resnet56")):
        pytest.skip("assets/runs does not hold all four shipped runs (bash scripts/train_shipped_runs.sh)")
    monkeypatch.setenv("RESNET_VIZ_RUNS", str(tmp_path))  # no local runs: only what ships
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("pages/degradation.py").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="runset").value == "shipped:fast12"
    assert at.selectbox(key="runset").options[0].startswith("fast12: CIFAR-10")
    assert (at.selectbox(key="shallow").value, at.selectbox(key="deep").value) == (20, 56)
    fig = json.loads(at.get("plotly_chart")[0].proto.spec)
    final = {t["name"]: t["y"][-1] for t in fig["data"]}
    assert final["Plain-56 train"] > final["Plain-20 train"]
    assert final["ResNet-56 train"] <= final["ResNet-20 train"]
    text = _texts(at)
    assert "the degradation problem" in text and "with skip connections depth helps" in text
    # Figure 7: the sentence lists the four nets in the order of their shipped mean response std
    from resnet_viz.runs.store import read_json

    means = {}
    for name in ("plain20", "resnet20", "plain56", "resnet56"):
        rows = read_json(shipped_root() / f"{name}-fast12" / "responses.json")["layers"]
        means[name] = sum(r["std"] for r in rows) / len(rows)
    order = " < ".join(f"{n.replace('plain', 'Plain-').replace('resnet', 'ResNet-')} {means[n]:.3f}"
                       for n in sorted(means, key=means.get))
    assert order in text


def test_degradation_shows_shipped_twins_at_one_depth(tmp_path, monkeypatch):
    from resnet_viz.runs.store import shipped_root

    present = [m for m in ("plain20", "resnet20", "plain56", "resnet56")
               if (shipped_root() / f"{m}-fast12" / "metrics.jsonl").is_file()]
    if present != ["plain20", "resnet20"]:
        pytest.skip("this test covers a shipped set with the 20-layer twins only")
    monkeypatch.setenv("RESNET_VIZ_RUNS", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("pages/degradation.py").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="runset").options[0].startswith("fast12: CIFAR-10 (JPEG copy)")
    text = _texts(at)
    assert "After 12 epochs, ResNet-20 has 12.9 % training error and Plain-20 16.3 %" in text
    assert "one depth only" in text and "Mean std of the 3x3 layer responses" in text
