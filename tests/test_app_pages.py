"""AppTest for every page: interact with the widgets and assert on what is shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [i.value for i in at.info] + [c.value for c in at.caption]
    parts += [w.value for w in at.warning] + [e.value for e in at.error]
    return "\n".join(parts)


@pytest.fixture(autouse=True)
def _clear_streamlit_caches():
    import streamlit as st

    st.cache_data.clear()
    yield


@pytest.fixture
def at() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def _home_with_machine(at: AppTest) -> AppTest:
    """Home draws its machine and weights sections once the server's start-up thread has imported torch (the
    first run of a fresh process says it is checking): wait for that, then run again."""
    from resnet_viz.ui.common import torch_ready

    if not torch_ready():
        assert "the server is loading PyTorch" in _texts(at)
        assert not at.metric and not at.dataframe
        torch_ready(None)
        at.run()
    assert not at.exception, at.exception
    return at


def test_home_tells_the_story_and_machine_status(at):
    at = _home_with_machine(at)
    text = _texts(at)
    assert "H(x) = F(x) + x" in text
    assert "ResNet-56 has 853,018 parameters and its plain twin Plain-56 has 853,018: exactly the same" in text
    assert at.title[0].value.startswith("resnet-viz")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Network"] == "offline" and metrics["Models registered"] == "28"
    assert metrics["Compute"].startswith(("CPU", "CUDA", "Apple"))
    df = at.dataframe[0].value
    assert {"resnet20", "resnet56", "resnet50"} <= set(df["model"])
    # tests run with an empty torch cache: only what ships is available, and the page says where files go
    shipped = df["weights"].str.contains("shipped")
    assert df[shipped]["available"].all() and not df[~shipped]["available"].any()
    assert "offline" in text and "RESNET_VIZ_WEIGHTS_DIRS" in text


def test_home_lists_reference_weights_when_present(reference_dir):
    at = _home_with_machine(AppTest.from_file(APP, default_timeout=120).run())
    df = at.dataframe[0].value
    avail = dict(zip(df["model"] + " " + df["weights"], df["available"]))
    assert avail["resnet20 reference CIFAR-10 (Idelbayev 2018)"]
    assert not avail["resnet50 torchvision ImageNet (IMAGENET1K_V2)"]


def test_architectures_page_block_diagrams_and_takeaway(at):
    at.switch_page("pages/architectures.py").run()
    assert not at.exception, at.exception
    assert "What is a residual block made of" in _texts(at)
    charts = at.get("graphviz_chart")
    assert len(charts) == 2
    res_dot, plain_dot = (c.proto.spec for c in charts)
    assert '"+"' in res_dot and '"+"' not in plain_dot
    assert "0 params" in res_dot and "4,608 params" in res_dot  # 3x3 conv 16->32: 16*32*9
    info = at.info[0].value
    assert "exactly as many as plain20 (269,722)" in info

    at.radio(key="shortcut").set_value("B").run()
    info = at.info[0].value
    assert "resnet20 has 272,474 parameters and plain20 269,722" in info and "2 projection shortcuts" in info
    spec = at.get("graphviz_chart")[0].proto.spec
    assert "1x1 conv, stride 2 + BN" in spec and "576 params" in spec

    at.selectbox(key="block").set_value("ImageNet bottleneck (ResNet-50/101/152)").run()
    assert not at.exception
    assert "resnet50 has 25,557,032 parameters and plain50 22,780,456" in at.info[0].value
    assert "conv3" in at.get("graphviz_chart")[0].proto.spec

    at.selectbox(key="position").set_value("second block of stage 2 (same shape in and out)").run()
    assert "identity x\\n(0 params)" in at.get("graphviz_chart")[0].proto.spec
    assert "no shortcut" in at.get("graphviz_chart")[1].proto.spec


def test_architectures_zoo_table_filters_and_sorts(at):
    at.switch_page("pages/architectures.py").run()
    df = at.dataframe[0].value
    assert len(df) == 28
    r50 = df[df["name"] == "resnet50"].iloc[0]
    assert r50["params"] == 25_557_032 and abs(r50["gflops"] - 8.18) < 0.005
    at.multiselect(key="families").set_value(["imagenet"]).run()
    df = at.dataframe[0].value
    assert set(df["family"]) == {"imagenet"} and len(df) == 10
    assert "differ only by the projection shortcuts" in _texts(at)
    assert at.get("plotly_chart")


def test_gradient_flow_page_follows_depth_and_normalisation(at):
    at.switch_page("pages/gradient_flow.py").run()
    assert not at.exception, at.exception
    first = at.info[0].value
    assert first.startswith("The first conv layer of Plain-56 receives") and "explodes towards the input" in first
    assert len(at.get("plotly_chart")) >= 3  # layers, blocks, depth sweep
    sweep = at.dataframe[0].value
    assert list(sweep["depth"]) == [20, 32, 44, 56, 110]
    assert (sweep["plain ratio"] > sweep["ResNet ratio"]).all()
    assert "From 20 to 110 layers the plain net's first/last ratio" in _texts(at)

    at.toggle(key="sweep").set_value(False).run()
    at.select_slider(key="depth").set_value(20).run()
    assert not at.exception
    text20 = at.info[0].value
    assert "Plain-20" in text20 and "ResNet-20" in text20 and text20 != first

    at.toggle(key="bn").set_value(False).run()
    assert not at.exception
    text_none = at.info[0].value
    assert text_none != text20 and "Plain-20" in text_none
    assert "shrinks towards the input" in text_none  # measured: plain-20 without BN, ratio ~0.07

    at.selectbox(key="source").set_value("images").run()
    assert "Upload one or more images" in _texts(at)

    at.selectbox(key="source").set_value("noise").run()
    at.radio(key="family").set_value("imagenet").run()
    assert not at.exception
    assert "Plain-34" in at.info[0].value and "ResNet-34" in at.info[0].value


def test_gradient_flow_training_heatmap(at):
    at.switch_page("pages/gradient_flow.py").run()
    at.toggle(key="sweep").set_value(False).run()
    at.select_slider(key="depth").set_value(20).run()
    at.select_slider(key="steps").set_value(10).run()
    at.button(key="run_train").click().run()
    assert not at.exception, at.exception
    assert "After 10 steps the training loss of Plain-20 went from" in _texts(at)


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory):
    """Four finished runs (plain/ResNet 20 and 32) on a small shapes set, tagged 'tiny'."""
    from resnet_viz.training.engine import TrainConfig, train

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


def _page_with_reference(page: str, pair_key: str) -> AppTest:
    """A page with the reference ResNet-20 checkpoint picked (tests that compare with measured numbers)."""
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    _pick(at, pair_key, "CIFAR-10 ResNet-20 (reference checkpoint")
    return at


def _pick(at: AppTest, key: str, prefix: str) -> None:
    """Select the first option of a selectbox that starts with ``prefix``."""
    box = at.selectbox(key=key)
    box.set_value(next(o for o in box.options if o.startswith(prefix))).run()
    assert not at.exception, at.exception


def _png(arr) -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


def test_feature_maps_page_changes_with_layer_channel_and_image(reference_dir):
    import numpy as np

    at = _page_with_reference("pages/feature_maps.py", "fm_pair")
    first = at.info[0].value
    assert first.startswith("At layer2.0 each net has 32 channels of 16x16 (the input was 32x32 pixels)")
    assert "32x32 to 8x8 positions while the channels grow from 16 to 64" in at.info[1].value

    at.selectbox(key="fm_layer").set_value("layer3.2").run()
    assert at.info[0].value.startswith("At layer3.2 each net has 64 channels of 8x8")
    at.select_slider(key="fm_k").set_value(4).run()
    at.radio(key="fm_rank").set_value("choose").run()
    at.multiselect(key="fm_channels").set_value([5, 7]).run()
    assert at.selectbox(key="fm_detail").options == ["5", "7"]
    assert not at.exception

    at.selectbox(key="fm_sample").set_value("rocket").run()
    assert at.info[0].value != first and not at.exception

    at.radio(key="fm_source").set_value("upload").run()
    at.file_uploader(key="fm_upload").upload("broken.jpg", b"\xff\xd8\xff\xe0 truncated", "image/jpeg").run()
    assert any("broken.jpg" in e.value and "not a readable image" in e.value for e in at.error)
    at.file_uploader(key="fm_upload").upload("flat.png", _png(np.zeros((40, 40, 3), np.uint8)), "image/png").run()
    assert not at.exception and not at.error
    assert at.info[0].value.startswith("At layer3.2")


def test_block_anatomy_page_reports_small_residuals_of_a_trained_resnet(reference_dir):
    at = _page_with_reference("pages/block_anatomy.py", "ba_pair")
    text = at.info[0].value
    assert "the residual branch F(x) is smaller than the shortcut x in" in text
    assert "median ||F(x)||/||x|| = 0." in text  # measured on the cat: 0.62
    at.selectbox(key="ba_block").set_value("layer3.0").run()
    at.number_input(key="ba_ch_resnet20").set_value(5).run()
    assert not at.exception
    assert "ResNet-20 layer3.0, channel 5" in at.get("plotly_chart")[2].proto.spec

    pair = next(o for o in at.selectbox(key="ba_pair").options if "untrained" in o)
    at.selectbox(key="ba_pair").set_value(pair).run()
    assert not at.exception
    assert "Plain-20, which has no shortcut" in at.info[0].value


def test_classify_and_explain_page(reference_dir, tmp_path):
    import numpy as np
    import torch

    from resnet_viz.models.registry import build_model

    at = AppTest.from_file(APP, default_timeout=180).run()
    at.switch_page("pages/classify_explain.py").run()
    assert not at.exception, at.exception
    _pick(at, "ce_pair", "CIFAR-10 ResNet-20 (reference checkpoint")
    assert at.info[0].value.startswith("ResNet-20 says **cat**")  # skimage's chelsea
    assert len(at.get("plotly_chart")) == 2  # top-5 bars, Grad-CAM overlay

    for method in ("Saliency", "Occlusion", "Integrated Gradients", "Guided Grad-CAM"):
        at.selectbox(key="ce_method").set_value(
            {"Saliency": "saliency", "Occlusion": "occlusion", "Integrated Gradients": "ig",
             "Guided Grad-CAM": "guided-gradcam"}[method]).run()
        assert not at.exception, (method, at.exception)
        assert method in at.get("plotly_chart")[1].proto.spec
    at.selectbox(key="ce_method").set_value("gradcam").run()
    at.selectbox(key="ce_layer").set_value("layer2.0").run()
    at.selectbox(key="ce_target").set_value("another class...").run()
    at.selectbox(key="ce_target_any").set_value("ship").run()
    assert "for 'ship'" in at.get("plotly_chart")[1].proto.spec and not at.exception

    # malformed uploads: a message, never a traceback; a good upload works
    at.radio(key="ce_source").set_value("upload").run()
    for name, data in [("empty.png", b""), ("virus.jpg", b"MZ\x90\x00" + bytes(300)), ("notes.txt.png", b"hello")]:
        at.file_uploader(key="ce_upload").upload(name, data, "image/png").run()
        assert not at.exception and any(name in e.value for e in at.error), name
    at.file_uploader(key="ce_upload").upload("black.png", _png(np.zeros((50, 50, 3), np.uint8)), "image/png").run()
    assert not at.exception and not at.error and at.info[0].value.startswith("ResNet-20 says")

    # a user checkpoint for another architecture: one clear message; a right one is used (session only)
    torch.save(build_model("resnet56").state_dict(), tmp_path / "r56.pt")
    at.file_uploader(key="ce_ckpt").upload("r56.pt", (tmp_path / "r56.pt").read_bytes(), "application/octet-stream")
    at.run()
    assert any("does not fit resnet20" in e.value for e in at.error)
    at.selectbox(key="ce_arch").set_value("resnet56").run()
    assert any("Using r56.pt as resnet56" in s.value for s in at.success)
    assert at.info[0].value.startswith("ResNet-56 says")


def test_gradient_flow_batch_sources_offline_and_uploads():
    import numpy as np

    at = AppTest.from_file(APP, default_timeout=180).run()
    at.switch_page("pages/gradient_flow.py").run()
    at.toggle(key="sweep").set_value(False).run()
    at.select_slider(key="depth").set_value(20).run()
    at.selectbox(key="source").set_value("cifar10").run()
    assert not at.exception
    assert any("CIFAR-10 is not available" in w.value and "imagefolder:PATH" in w.value for w in at.warning)
    at.selectbox(key="source").set_value("images").run()
    rng = np.random.default_rng(0)
    at.file_uploader(key="images").upload("a.png", _png(rng.integers(0, 255, (40, 60, 3), dtype=np.uint8)),
                                          "image/png").run()
    assert not at.exception
    assert at.info[0].value.startswith("The first conv layer of Plain-20 receives")
    at.file_uploader(key="images").upload("bad.png", b"not an image", "image/png").run()
    assert any("bad.png" in w.value for w in at.warning) and not at.exception


def test_shipped_twins_are_the_default_pair_offline():
    from resnet_viz.models.weights import shipped_path

    if shipped_path("resnet20") is None or shipped_path("plain20") is None:
        pytest.skip("assets/runs holds no shipped ResNet-20/Plain-20 runs")
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.switch_page("pages/classify_explain.py").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="ce_pair").value == "CIFAR-10 ResNet-20 vs Plain-20 (trained by resnet-viz)"
    text = at.info[0].value
    assert text.startswith("ResNet-20 says **cat**") and "Plain-20 says" in text  # skimage's chelsea
    assert "overlap by" in at.info[1].value


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


def test_start_up_warm_up_waits_while_a_page_script_runs(monkeypatch):
    """The start-up thread's story steps yield to page scripts: they wait while one runs and for a grace
    period after it ended (the browser is still drawing), and never longer than IDLE_WAIT_S."""
    import threading
    import time

    from resnet_viz.ui import common

    monkeypatch.setattr(common, "GRACE_S", 0.3)
    running, release = threading.Event(), threading.Event()

    def page():
        with common.page_running():
            running.set()
            release.wait(5)

    threading.Thread(target=page).start()
    running.wait(5)
    waited = {}

    def step():
        t = time.monotonic()
        common._wait_for_idle()
        waited["s"] = time.monotonic() - t

    th = threading.Thread(target=step)
    th.start()
    time.sleep(0.5)
    assert th.is_alive(), "a warm-up step started while a page script was running"
    release.set()
    th.join(5)
    assert 0.5 + 0.3 - 0.05 <= waited["s"] < 3, waited  # the script's time plus the grace period

    monkeypatch.setattr(common, "IDLE_WAIT_S", 0.4)  # a server that is never idle still gets warmed up
    with common.page_running():
        t = time.monotonic()
        common._wait_for_idle()
        assert time.monotonic() - t < 1.5
