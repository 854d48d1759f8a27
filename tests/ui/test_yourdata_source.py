"""Your data sources: the zip report, refused bombs, friendly folder errors."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
from PIL import Image

from tests.apptests import png_of, your_data_page
from tests.helpers import _texts, symlink_entry, valid_entries, write_zip

pytestmark = pytest.mark.usefixtures('own_run_store')


def test_zip_report_lists_classes_counts_and_skipped_files_and_refuses_bombs(tmp_path):
    entries = valid_entries("pets/")
    entries["pets/cat/notes.txt"] = b"not an image"
    entries["pets/dog/broken.png"] = b"\x89PNG\r\n\x1a\n broken"
    entries["../escape.png"] = png_of(np.zeros((8, 8, 3), np.uint8))
    entries[symlink_entry("pets/fox/link.png", "/etc/passwd")] = b"/etc/passwd"
    good = write_zip(tmp_path / "pets.zip", entries)
    at = your_data_page()
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


def test_server_folder_errors_are_friendly(tmp_path):
    at = your_data_page()
    at.radio(key="yd_source").set_value("folder on this server").run()
    at.text_input(key="yd_folder").input(str(tmp_path / "missing")).run()
    assert any("is not a folder under" in e.value for e in at.error)
    (tmp_path / "one" / "cat").mkdir(parents=True)
    Image.new("RGB", (8, 8)).save(tmp_path / "one" / "cat" / "a.png")
    at.text_input(key="yd_folder").input(str(tmp_path / "one")).run()
    assert any("at least 2 class folders" in e.value for e in at.error)
    assert not at.exception
