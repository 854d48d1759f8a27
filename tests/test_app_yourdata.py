"""AppTest of the "Your data" page: the data report, training in the background, the held-out results, and the
trained pair classifying in the explain page with the user's class names."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from .test_app_pages import _texts
from .test_userdata import symlink_entry, valid_entries, write_zip

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture(autouse=True)
def _own_run_store(tmp_path, monkeypatch):
    monkeypatch.setenv("RESNET_VIZ_RUNS", str(tmp_path / "shared-runs"))


def _your_data() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    at.switch_page("pages/your_data.py")
    at.run()
    assert not at.exception, at.exception
    return at


def _png(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "PNG")
    return buf.getvalue()


def test_example_data_trains_both_twins_and_the_pair_classifies_with_its_class_names():
    at = _your_data()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Images"] == "600" and metrics["Classes"] == "3" and metrics["Train / test"] == "480 / 120"
    assert len(at.get("image")) == 3, "one row of thumbnails per class"
    at.number_input(key="yd_epochs").set_value(3).run()
    at.button(key="yd_train").click().run()
    assert not at.exception, at.exception
    deadline = time.time() + 600
    while not any(s.key == "yd_result" for s in at.selectbox):
        assert time.time() < deadline, _texts(at)
        time.sleep(2)
        at.run()
    assert not at.exception, at.exception
    text = _texts(at)
    assert "ResNet-20 classifies" in text and "of the 120 held-out images correctly" in text
    assert "Plain-20 classifies" in text
    charts = at.get("plotly_chart")
    assert len(charts) >= 3  # class counts, confusion matrices, per-class accuracy
    assert any("Download this pair" in b.proto.label for b in at.get("download_button"))
    # the finished pair is offered on the image pages, with the user's class names
    at.switch_page("pages/classify_explain.py").run()
    pair = next(o for o in at.selectbox(key="ce_pair").options if o.startswith("Your data "))
    at.selectbox(key="ce_pair").set_value(pair).run()
    assert not at.exception, at.exception
    said = " ".join(i.value for i in at.info)
    assert "ResNet-20 says" in said and any(c in said for c in ("circle", "square", "triangle")), said


def test_zip_report_lists_classes_counts_and_skipped_files_and_refuses_bombs(tmp_path):
    entries = valid_entries("pets/")
    entries["pets/cat/notes.txt"] = b"not an image"
    entries["pets/dog/broken.png"] = b"\x89PNG\r\n\x1a\n broken"
    entries["../escape.png"] = _png(np.zeros((8, 8, 3), np.uint8))
    entries[symlink_entry("pets/fox/link.png", "/etc/passwd")] = b"/etc/passwd"
    good = write_zip(tmp_path / "pets.zip", entries)
    at = _your_data()
    at.radio(key="yd_source").set_value("upload a .zip").run()
    assert "Upload a .zip" in _texts(at)
    at.file_uploader(key="yd_zip").upload("pets.zip", good.read_bytes(), "application/zip").run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Images"] == "33" and metrics["Classes"] == "3" and metrics["Skipped files"] == "4"
    skipped = at.dataframe[0].value
    reasons = dict(zip(skipped["file"], skipped["reason"]))
    assert "path" in reasons["../escape.png"] and "link" in reasons["pets/fox/link.png"]
    assert "not a readable image" in reasons["pets/dog/broken.png"]
    assert "Classes with fewer than 10" not in _texts(at)
    # a zip bomb: one entry of zeros that would expand 1000:1
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("cat/a.png", b"\0" * (50 * 1024 * 1024))
    at.file_uploader(key="yd_zip").upload("bomb.zip", bomb.read_bytes(), "application/zip").run()
    assert not at.exception, at.exception
    assert any("bomb.zip" in e.value and "ratio" in e.value.lower() or "expand" in e.value for e in at.error), \
        [e.value for e in at.error]


def test_transfer_without_cached_weights_says_what_to_download_and_keeps_scratch_available():
    at = _your_data()
    at.radio(key="yd_approach").set_value("transfer learning (ImageNet ResNet)").run()
    warning = " ".join(w.value for w in at.warning)
    assert "resnet18-f37072fd.pth" in warning and "train from scratch" in warning
    assert at.button(key="yd_train").disabled
    at.radio(key="yd_approach").set_value("from scratch (CIFAR-style twins, 32x32)").run()
    assert not at.button(key="yd_train").disabled


def test_server_folder_errors_are_friendly(tmp_path):
    at = _your_data()
    at.radio(key="yd_source").set_value("folder on this server").run()
    at.text_input(key="yd_folder").input(str(tmp_path / "missing")).run()
    assert any("does not exist" in e.value for e in at.error)
    (tmp_path / "one" / "cat").mkdir(parents=True)
    Image.new("RGB", (8, 8)).save(tmp_path / "one" / "cat" / "a.png")
    at.text_input(key="yd_folder").input(str(tmp_path / "one")).run()
    assert any("at least 2 class folders" in e.value for e in at.error)
    assert not at.exception


def test_transfer_linear_probe_trains_from_cached_imagenet_weights(imagenet_resnet18):
    at = _your_data()
    at.radio(key="yd_approach").set_value("transfer learning (ImageNet ResNet)").run()
    assert not at.button(key="yd_train").disabled and not at.warning
    at.radio(key="yd_method").set_value("linear probe (frozen)").run()
    at.selectbox(key="yd_size").set_value(64).run()
    at.number_input(key="yd_epochs").set_value(1).run()
    assert "ResNet-18 from ImageNet weights, a linear probe" in _texts(at)
    at.button(key="yd_train").click().run()
    deadline = time.time() + 600
    while not any(s.key == "yd_result" for s in at.selectbox):
        assert time.time() < deadline, _texts(at)
        time.sleep(2)
        at.run()
    assert not at.exception, at.exception
    assert "linear probe on ImageNet features" in at.selectbox(key="yd_result").options[0]
    text = _texts(at)
    assert "ResNet-18 classifies" in text and "Plain-18 classifies" in text
