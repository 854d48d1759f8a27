"""Why it works, shared parts: refused folders and failed jobs shown as messages."""

from __future__ import annotations

import pytest

from tests.apptests import compute_now, pick_folder, shipped_pairs, why_page

pytestmark = pytest.mark.usefixtures('only_shipped_runs')


def test_lesion_tab_refuses_a_folder_without_test_images(tmp_path):
    if not shipped_pairs():
        pytest.skip("no shipped twins in assets/runs")
    at = why_page()
    if "stored results" in at.radio(key="lesion_mode").options:
        at.radio(key="lesion_mode").set_value("compute now").run()
    (tmp_path / "nothing-here").mkdir()
    pick_folder(at, "lesion_data", tmp_path / "nothing-here")
    assert not at.exception, at.exception
    assert any("has no `test/` sub-folder" in w.value for w in at.warning)
    assert not [b for b in at.button if b.key == "lesion_run"]  # nothing to start


def test_landscape_job_failure_is_reported_not_raised(tmp_path):
    """A folder whose classes are not the nets' classes: the job fails and the page says why."""
    from PIL import Image

    for cls in ("cats", "dogs"):
        (tmp_path / "train" / cls).mkdir(parents=True)
        Image.new("RGB", (32, 32), (120, 30, 30)).save(tmp_path / "train" / cls / "a.png")
    at = compute_now("Loss landscape", "land", tmp_path, {"land_steps": 5}, "land_run", timeout=120)
    warnings = " ".join(w.value for w in at.warning)
    assert "the data set has 2 classes but" in warnings and "predicts 10" in warnings
