"""AppTest of the "Why it works" page (one test per tab and per way of getting results) and of the
story on Home."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from .test_app_pages import _texts

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture(autouse=True)
def _only_shipped_runs(tmp_path, monkeypatch):
    import streamlit as st

    monkeypatch.setenv("RESNET_VIZ_RUNS", str(tmp_path / "runs"))  # no local runs: only what ships
    st.cache_data.clear()
    yield


def _why(tab: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    at.switch_page("pages/why_it_works.py")
    if tab:
        at.query_params["tab"] = tab  # the tab is part of the URL; only the open tab computes
    at.run()
    assert not at.exception, at.exception
    return at


def _folder(at: AppTest, key: str, path) -> None:
    at.selectbox(key=key).set_value("a folder on this server...").run()
    at.text_input(key=f"{key}_folder").set_value(str(path)).run()


def _compute_now(tab: str | None, prefix: str, folder, sliders: dict, button: str, timeout: float = 240) -> AppTest:
    """Open a tab, switch it to "compute now" on ``folder``, set the sliders, start the background jobs,
    wait for them and draw the page again."""
    if not _shipped_pairs():
        pytest.skip("no shipped twins in assets/runs")
    at = _why(tab)
    if "stored results" in at.radio(key=f"{prefix}_mode").options:
        at.radio(key=f"{prefix}_mode").set_value("compute now").run()
    _folder(at, f"{prefix}_data", folder)
    for key, value in sliders.items():
        at.select_slider(key=key).set_value(value).run()
    at.button(key=button).click().run()
    assert not at.exception, at.exception
    _wait_for_probes(timeout)
    at.run()
    assert not at.exception, at.exception
    return at


def _shipped_pairs() -> list[str]:
    from resnet_viz.runs.why import twin_pairs

    return [p.label() for p in twin_pairs() if p.shipped]


def _fig(at: AppTest, key: str) -> dict:
    chart = next(c for c in at.get("plotly_chart") if c.proto.id.endswith(key) or key in c.proto.id)
    return json.loads(chart.proto.spec)


def test_lesion_tab_shows_the_stored_results_of_the_shipped_twins():
    from resnet_viz.probes.lesion import LesionResult, lesion_stats
    from resnet_viz.runs.why import stored, twin_pairs

    pairs = [p for p in twin_pairs() if p.shipped and all(stored(r, "lesion") for r in p.runs.values())]
    if not pairs:
        pytest.skip("no shipped twins with lesion.json (bash scripts/precompute_why.sh)")
    at = _why()
    pair = pairs[0]
    assert at.selectbox(key="lesion_pair").value == pair.label()
    assert at.radio(key="lesion_mode").value == "stored results"
    res = LesionResult.from_json(stored(pair.resnet, "lesion"))
    s = lesion_stats(res)
    text = _texts(at)
    from resnet_viz.probes.lesion import _rise

    assert (f"Removing one block of the ResNet (resnet{pair.depth}, {100 * s['intact']:.1f} % error intact) "
            f"{_rise(s['median_rise'])}") in text
    fig = json.loads(at.get("plotly_chart")[0].proto.spec)
    by_name = {t["name"]: t for t in fig["data"]}
    line = by_name[f"ResNet-{pair.depth}: one block removed"]
    assert line["x"] == [b.name for b in res.blocks]
    assert line["y"] == pytest.approx([100 * b.error for b in res.blocks])
    plain = by_name[f"Plain-{pair.depth}: one block removed"]
    assert [y is None for y in plain["y"]] == [b.downsampling for b in res.blocks]  # cannot remove


@pytest.mark.slow
def test_lesion_tab_computes_on_a_test_subset_in_the_background(cifar_jpg):
    at = _compute_now(None, "lesion", cifar_jpg, {"lesion_n": 100}, "lesion_run")
    text = _texts(at)
    assert "Removing one block of the ResNet (" in text and "Removing one block of the plain net (" in text
    assert "Measured on 100 class-balanced test images" in text
    assert any("lesion_plot" in c.proto.id for c in at.get("plotly_chart"))


def test_lesion_tab_refuses_a_folder_without_test_images(tmp_path):
    if not _shipped_pairs():
        pytest.skip("no shipped twins in assets/runs")
    at = _why()
    if "stored results" in at.radio(key="lesion_mode").options:
        at.radio(key="lesion_mode").set_value("compute now").run()
    _folder(at, "lesion_data", tmp_path / "nothing-here")
    assert not at.exception, at.exception
    assert any("has no `test/` sub-folder" in w.value for w in at.warning)
    assert not [b for b in at.button if b.key == "lesion_run"]  # nothing to start


def test_shattered_tab_at_initialisation():
    at = _why("Shattered gradients")
    at.select_slider(key="sh_depth").set_value(20).run()
    at.select_slider(key="sh_n").set_value(64).run()
    assert not at.exception, at.exception
    text = _texts(at)
    assert "At 20 layers, gradients at neighbouring points of the line correlate" in text
    assert "on a line of 64 points" in text
    figs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    names = {t.get("name") for f in figs for t in f["data"]}
    assert {"Plain-20", "ResNet-20"} <= names
    # the shipped depth study is drawn and described
    from resnet_viz.runs.why import shipped_study

    study = shipped_study("shattered-init")
    if study:
        assert study["text"].split(". ")[0] in text
    # the same image at both ends is refused with a message, not a crash
    at.selectbox(key="sh_b").set_value(at.selectbox(key="sh_a").value).run()
    assert not at.exception
    assert any("Pick two different images" in w.value for w in at.warning)


def test_shattered_tab_on_trained_twins():
    if not _shipped_pairs():
        pytest.skip("no shipped twins in assets/runs")
    at = _why("Shattered gradients")
    at.radio(key="sh_weights").set_value("trained").run()
    at.select_slider(key="sh_n").set_value(64).run()
    assert not at.exception, at.exception
    assert "Numbers for trained weights, on a line of 64 points." in _texts(at)


def _home_when_measured() -> AppTest:
    """Home, rerun until the start-up thread has measured every line (the page shows them as they come)."""
    import time

    from resnet_viz.lessons import home as story

    t0 = time.time()
    while not all(story.peek(fn)[0] for fn in story.STEP_FUNCTIONS) and time.time() - t0 < 240:
        if not any(t.name == "home-story" for t in __import__("threading").enumerate()):
            story.warm()
        time.sleep(0.5)
    at = AppTest.from_file(APP, default_timeout=300).run()
    assert not at.exception, at.exception
    return at


def test_home_tells_the_story_with_computed_numbers():
    at = _home_when_measured()
    lines = [m.value for m in at.markdown if m.value.startswith(":blue-background[")]
    text = "\n".join(lines)
    assert "Plain-56 and ResNet-56 both have 853,018 parameters (exactly the same)" in text
    assert "At initialisation Plain-56's first conv layer gets" in text
    from resnet_viz.runs.why import twin_pairs

    if {p.depth for p in twin_pairs() if p.shipped} >= {20, 56}:  # the shipped runs show the degradation problem
        assert "Plain-56 ends with" in text and "more training error than Plain-20" in text
        assert "Deleting one block of the trained ResNet-56 raises its test error by a median" in text
    labels = [p.proto.label for p in at.get("page_link")]
    for label in ("Degradation", "Architectures", "Gradient flow", "Inside a block", "Classify and explain",
                  "Why it works"):
        assert label in labels


def _wait_for_probes(timeout: float = 240) -> None:
    import time

    from resnet_viz.training.jobs import probe_root, probe_state

    t0 = time.time()
    while time.time() - t0 < timeout:
        keys = [p.name.removesuffix(".progress.json") for p in probe_root().glob("*.progress.json")]
        if keys and all(probe_state(k)["state"] in ("finished", "failed") for k in keys):
            return
        time.sleep(1)
    raise AssertionError("the landscape jobs did not finish in time")


def test_landscape_tab_computes_in_the_background(cifar_jpg):
    at = _compute_now("Loss landscape", "land", cifar_jpg, {"land_steps": 5, "land_images": 32}, "land_run")
    text = _texts(at)
    assert "At the model's own weights (the centre) the loss is" in text
    assert "5 points per axis in [-1, 1], 32 training images" in text
    assert "Command: `python -m resnet_viz landscape --data=" in text and "--model plain56" in text
    assert "--out" not in text and "--progress-file" not in text
    fig = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if "land_plot" in c.proto.id)
    contours = [t for t in fig["data"] if t["type"] == "contour"]
    shape = lambda z: z["shape"].replace(" ", "") if isinstance(z, dict) else f"{len(z)},{len(z[0])}"  # noqa: E731
    assert len(contours) == 2 and all(shape(t["z"]) == "5,5" for t in contours)
    at.radio(key="land_view").set_value("3-D surface").run()
    fig = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if "land_plot" in c.proto.id)
    assert [t["type"] for t in fig["data"]] == ["surface", "surface"]


def test_landscape_job_failure_is_reported_not_raised(tmp_path):
    """A folder whose classes are not the nets' classes: the job fails and the page says why."""
    from PIL import Image

    for cls in ("cats", "dogs"):
        (tmp_path / "train" / cls).mkdir(parents=True)
        Image.new("RGB", (32, 32), (120, 30, 30)).save(tmp_path / "train" / cls / "a.png")
    at = _compute_now("Loss landscape", "land", tmp_path, {"land_steps": 5}, "land_run", timeout=120)
    warnings = " ".join(w.value for w in at.warning)
    assert "the data set has 2 classes but" in warnings and "predicts 10" in warnings


def test_home_lesson_links_carry_the_settings():
    at = AppTest.from_file(APP, default_timeout=300).run()
    links = {p.proto.label: p.proto for p in at.get("page_link")}
    lesson = links["Gradient flow at 110 layers"]
    assert lesson.page == "gradient_flow" and lesson.query_string == "depth=110"
    assert "Balduzzi et al. 2017: shattered gradients at 110 layers" in links


def test_a_shared_link_sets_the_gradient_flow_page():
    """The URL's query parameters set the widgets (bind="query-params"); invalid values are ignored."""
    at = AppTest.from_file(APP, default_timeout=300)
    at.switch_page("pages/gradient_flow.py")
    at.query_params.update({"depth": "20", "bn": "false", "sweep": "false", "batch": "7"})
    at.run()
    assert not at.exception, at.exception
    assert at.select_slider(key="depth").value == 20 and at.toggle(key="bn").value is False
    assert at.select_slider(key="batch").value == 64  # 7 is not an option: the default stays
    assert at.info[0].value.startswith("The first conv layer of Plain-20 receives")
    assert "shrinks towards the input" in at.info[0].value  # no BatchNorm, as the link says


def test_a_shared_link_opens_the_shattered_tab_settings():
    at = AppTest.from_file(APP, default_timeout=300)
    at.switch_page("pages/why_it_works.py")
    at.query_params.update({"tab": "Shattered gradients", "sh_depth": "20", "sh_n": "64"})
    at.run()
    assert not at.exception, at.exception
    assert at.select_slider(key="sh_depth").value == 20 and at.select_slider(key="sh_n").value == 64
    assert "At 20 layers, gradients at neighbouring points of the line correlate" in _texts(at)


def test_presenter_mode_enlarges_figures_and_every_figure_has_exports():
    at = AppTest.from_file(APP, default_timeout=300)
    at.switch_page("pages/gradient_flow.py")
    at.query_params.update({"depth": "20", "sweep": "false"})
    at.run()
    normal = json.loads(at.get("plotly_chart")[0].proto.spec)
    labels = [b.proto.label for b in at.get("download_button")]
    n_figs = len(at.get("plotly_chart"))
    assert labels.count("Interactive HTML") == n_figs and labels.count("Data (CSV)") == n_figs
    assert len(at.session_state["_figures"]) == n_figs  # what the sidebar's lesson pack zips
    at.session_state["presenter"] = True  # the sidebar toggle (also ?presenter=true in a link)
    at.run()
    assert not at.exception, at.exception
    big = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert big["layout"]["font"]["size"] > normal["layout"]["font"]["size"]
    assert big["data"][0]["line"]["width"] > normal["data"][0]["line"]["width"]
    assert big["data"][0]["line"]["color"] == normal["data"][0]["line"]["color"]  # same two colours
