"""Zips of the user's images: hostile entries, bombs, limits, ``zip:FILE`` extracted once."""

from __future__ import annotations

import io
import struct
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from resnet_viz.data import uploads
from resnet_viz.data.datasets import DataUnavailable, describe_dataset, get_dataset, parse_data_spec
from resnet_viz.data.folders import UserDataError, scan_folder
from resnet_viz.data.uploads import prepare_zip, safe_extract
from tests.helpers import VALID, files_under, image_bytes, symlink_entry, valid_entries, write_zip


def test_hostile_entries_are_skipped_with_reasons_and_nothing_escapes(tmp_path: Path):
    box = tmp_path / "box"  # everything this test writes lives here; its parent must stay untouched
    box.mkdir()
    hostile: dict[str | zipfile.ZipInfo, bytes] = {
        "pets/": b"",
        "pets/cat/": b"",
        "../evil.png": image_bytes((255, 0, 0)),
        "../../evil2.png": image_bytes((255, 0, 0)),
        "/abs.png": image_bytes((255, 0, 0)),
        "C:/windows.png": image_bytes((255, 0, 0)),
        "pets\\cat\\backslash.png": image_bytes((255, 0, 0)),
        "pets/cat/../../sneaky.png": image_bytes((255, 0, 0)),
        symlink_entry("pets/cat/link.png", "/etc/passwd"): b"/etc/passwd",
        "__MACOSX/pets/cat/._00.png": b"\x00\x05\x16\x07 apple double",
        "pets/.DS_Store": b"\x00\x00\x00\x01Bud1",
        "pets/Thumbs.db": b"junk",
        "pets/notes.txt": b"my notes",
        "pets/run.exe": b"MZ\x90\x00",
        "pets/dog/fake.jpg": b"this is a text file renamed to .jpg\n" * 4,
        "pets/dog/empty.png": b"",
        **valid_entries(),
    }
    archive = write_zip(box / "hostile.zip", hostile)
    before_outside = files_under(tmp_path)
    report = safe_extract(archive, box / "out")

    reasons = dict(report.skipped)
    assert "path traversal" in reasons["../evil.png"] and "path traversal" in reasons["../../evil2.png"]
    assert "path traversal" in reasons["pets/cat/../../sneaky.png"]
    assert "absolute path" in reasons["/abs.png"]
    assert "drive letter" in reasons["C:/windows.png"]
    assert "backslash" in reasons["pets\\cat\\backslash.png"]
    assert "symbolic link" in reasons["pets/cat/link.png"]
    assert reasons["pets/"] == reasons["pets/cat/"] == "directory"
    for junk in ("__MACOSX/pets/cat/._00.png", "pets/.DS_Store", "pets/Thumbs.db"):
        assert reasons[junk] == "hidden or system file"
    assert reasons["pets/notes.txt"] == "not an image file (.txt)"
    assert reasons["pets/run.exe"] == "not an image file (.exe)"
    assert reasons["pets/dog/empty.png"] == "empty file"
    # the renamed text file has an image extension: unpacked here, refused by the scan
    assert sorted(report.extracted) == sorted([*valid_entries(), "pets/dog/fake.jpg"])
    assert report.total_bytes == sum(len(v) for v in valid_entries().values()) + len(hostile["pets/dog/fake.jpg"])
    assert "skipped" in report.summary() and "path traversal" in report.summary()

    # nothing was written outside dest: the only new files are under box/out
    new_files = files_under(tmp_path) - before_outside
    assert new_files and all((box / "out") in p.parents for p in new_files)
    assert not (tmp_path / "evil.png").exists() and not (tmp_path.parent / "evil2.png").exists()
    assert not Path("/abs.png").exists()
    assert not any(p.is_symlink() for p in (box / "out").rglob("*"))

    scan = scan_folder(box / "out")
    assert scan.ok and scan.base == box / "out" / "pets" and scan.layout == "classes"
    assert scan.classes == ["cat", "dog", "fox"]
    assert scan.counts() == {"all": VALID}
    skipped = dict(scan.skipped)
    assert "not a readable image" in skipped["pets/dog/fake.jpg"]
    assert scan.warnings == []


def test_zip_bomb_entry_refuses_the_whole_archive_before_writing(tmp_path: Path):
    entries = {**valid_entries(), "pets/cat/bomb.png": bytes(50 * 1024 * 1024)}  # 50 MB of zeros, ~1000:1
    archive = write_zip(tmp_path / "bomb.zip", entries)
    assert archive.stat().st_size < 1024 * 1024
    with pytest.raises(UserDataError, match=r"refused: 'pets/cat/bomb.png' expands [\d,]+:1 \(more than 100:1\)"):
        safe_extract(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    # a non-image bomb is refused too: a zip carrying one is hostile, whatever else it holds
    archive = write_zip(tmp_path / "bomb2.zip", {**valid_entries(), "data.bin": bytes(50 * 1024 * 1024)})
    with pytest.raises(UserDataError, match="zip bombs"):
        safe_extract(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_many_small_high_ratio_entries_are_refused_overall(tmp_path: Path):
    chunks = {f"pets/cat/{i}.bmp": bytes(900 * 1024) for i in range(4)}  # each under the 1 MB per-entry floor
    archive = write_zip(tmp_path / "b.zip", {**valid_entries(), **chunks})
    with pytest.raises(UserDataError, match="overall"):
        safe_extract(archive, tmp_path / "out")
    # a higher ratio limit accepts it: the limit is configurable
    report = safe_extract(archive, tmp_path / "out", max_ratio=10_000)
    assert len(report.extracted) == len(valid_entries()) + 4


def test_entry_count_total_size_and_file_size_limits(tmp_path: Path):
    archive = write_zip(tmp_path / "a.zip", valid_entries())
    n = len(valid_entries())
    with pytest.raises(UserDataError, match=f"has {n} entries, more than the limit of 5"):
        safe_extract(archive, tmp_path / "out", max_entries=5)
    with pytest.raises(UserDataError, match="would unpack to .* more than the"):
        safe_extract(archive, tmp_path / "out", max_total_bytes=1000)
    assert not (tmp_path / "out").exists()
    report = safe_extract(archive, tmp_path / "out", max_file_bytes=300)
    too_big = [name for name, reason in report.skipped if "per-file limit" in reason]
    assert too_big and len(too_big) + len(report.extracted) == n


def test_declared_size_lies_are_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    png = image_bytes((1, 2, 3))
    archive = write_zip(tmp_path / "lie.zip", {"pets/cat/a.png": png, "pets/dog/b.png": png}, zipfile.ZIP_STORED)
    # patch the central directory: b.png claims 10 bytes; zipfile stops there and the CRC fails
    raw = bytearray(archive.read_bytes())
    cd = raw.rfind(b"PK\x01\x02")
    assert raw[cd + 46: cd + 46 + 14] == b"pets/dog/b.png"
    raw[cd + 24: cd + 28] = struct.pack("<I", 10)
    archive.write_bytes(bytes(raw))
    report = safe_extract(archive, tmp_path / "out")
    assert report.extracted == ["pets/cat/a.png"]
    assert "damaged in the archive" in dict(report.skipped)["pets/dog/b.png"]
    assert not (tmp_path / "out" / "pets" / "dog" / "b.png").exists()

    # a reader that trusts the data, not the directory: the streamed copy stops at the declared size,
    # rolls back what it wrote and refuses the archive
    honest = write_zip(tmp_path / "ok.zip", {"pets/cat/a.png": png, "pets/dog/b.png": png})
    real_open = zipfile.ZipFile.open

    def endless(self, info, *args, **kwargs):
        if getattr(info, "filename", info) == "pets/dog/b.png":
            return io.BytesIO(b"\x00" * 5 * 1024 * 1024)
        return real_open(self, info, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", endless)
    with pytest.raises(UserDataError, match="unpacks to more than the .* bytes it declares"):
        safe_extract(honest, tmp_path / "out2")
    assert not (tmp_path / "out2").exists()


def test_bad_archives_and_destinations(tmp_path: Path):
    (tmp_path / "not.zip").write_bytes(b"PK but not really a zip file")
    with pytest.raises(UserDataError, match="'not.zip' is not a readable zip archive"):
        safe_extract(tmp_path / "not.zip", tmp_path / "out")
    with pytest.raises(UserDataError, match="could not be opened"):
        safe_extract(tmp_path / "missing.zip", tmp_path / "out")
    archive = write_zip(tmp_path / "a.zip", valid_entries())
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(UserDataError, match="is not empty"):
        safe_extract(archive, tmp_path / "full")


def test_parse_zip_spec():
    assert parse_data_spec("zip:/data/pets.zip") == ("zip", "/data/pets.zip")
    assert parse_data_spec(" ZIP:C:\\x.zip") == ("zip", "C:\\x.zip")
    for bad in ("zip", "zip:", "zip:  "):
        with pytest.raises(ValueError, match="imagefolder:PATH' or 'zip:FILE'"):
            parse_data_spec(bad)


def test_get_dataset_zip_end_to_end_extracts_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("RESNET_VIZ_CACHE", str(tmp_path / "cache"))
    calls = []
    real = uploads.safe_extract
    monkeypatch.setattr(uploads, "safe_extract", lambda *a, **k: calls.append(a) or real(*a, **k))
    archive = write_zip(tmp_path / "pets.zip", {**valid_entries(), "pets/notes.txt": b"x", "../evil.png": b"x"})

    train = get_dataset(f"zip:{archive}", "train", transform=np.asarray)
    test = get_dataset(f"zip:{archive}", "test")
    assert len(calls) == 1
    assert train.classes == test.classes == ["cat", "dog", "fox"]
    assert len(train) + len(test) == sum(VALID.values())
    assert describe_dataset(test)["counts"] == {"cat": 2, "dog": 2, "fox": 2}
    assert train[0][0].shape == (8, 8, 3) and isinstance(test[0][0], Image.Image)
    cached = list((tmp_path / "cache" / "userdata").iterdir())
    shas = [p for p in cached if p.is_dir()]
    assert len(shas) == 1 and len(shas[0].name) == 64 and (shas[0] / "report.json").is_file()
    assert all(str(shas[0]) in path for path, _ in train.samples)

    # same bytes under another name: same cache folder, no second extraction
    copy = tmp_path / "renamed.zip"
    copy.write_bytes(archive.read_bytes())
    extract, scan = prepare_zip(copy)
    assert len(calls) == 1 and scan.classes == ["cat", "dog", "fox"]
    assert dict(extract.skipped)["../evil.png"].startswith("path traversal")


def test_get_dataset_zip_problems_are_data_unavailable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("RESNET_VIZ_CACHE", str(tmp_path / "cache"))
    with pytest.raises(DataUnavailable, match="does not exist"):
        get_dataset(f"zip:{tmp_path / 'missing.zip'}")
    bomb = write_zip(tmp_path / "bomb.zip", {**valid_entries(), "pets/cat/bomb.png": bytes(20 * 1024 * 1024)})
    with pytest.raises(DataUnavailable, match="refused"):
        get_dataset(f"zip:{bomb}")
    assert [p.name for p in (tmp_path / "cache" / "userdata").iterdir() if p.is_dir()] == []  # nothing cached
    one_class = write_zip(tmp_path / "one.zip", valid_entries(classes={"cat": 12}))
    with pytest.raises(DataUnavailable, match="Only one class"):
        get_dataset(f"zip:{one_class}", "train")


def test_prepare_zip_concurrent_callers_extract_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    calls = []
    real = uploads.safe_extract
    monkeypatch.setattr(uploads, "safe_extract", lambda *a, **k: calls.append(a) or real(*a, **k))
    archive = write_zip(tmp_path / "pets.zip", valid_entries())
    results, errors = [], []

    def worker():
        try:
            results.append(prepare_zip(archive, cache_root=tmp_path / "cache")[1].counts())
        except Exception as e:  # noqa: BLE001 - reported by the assertion below
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and len(calls) == 1
    assert results == [{"all": VALID}] * 4
