"""User data: hostile zips, folder layouts, stratified split, the ImageFolder-like data set and ``zip:FILE``.

Everything is generated in ``tmp_path`` (small PNG/JPEG files, zips built with ``zipfile``).
"""

from __future__ import annotations

import io
import stat
import struct
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from resnet_viz.data import folders as userdata
from resnet_viz.data.datasets import DataUnavailable, describe_dataset, get_dataset, parse_data_spec
from resnet_viz.data.folders import (
    UserDataError,
    UserImageFolder,
    prepare_zip,
    safe_extract,
    scan_folder,
    stratified_split,
)

VALID = {"cat": 12, "dog": 11, "fox": 10}


def image_bytes(colour: tuple[int, int, int], fmt: str = "PNG", size: int = 8) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(buf, fmt)
    return buf.getvalue()


def valid_entries(prefix: str = "pets/", classes: dict[str, int] = VALID) -> dict[str, bytes]:
    """``{name: bytes}`` for a small class set; every third image is a JPEG."""
    out = {}
    for k, (name, n) in enumerate(classes.items()):
        for j in range(n):
            fmt, ext = ("JPEG", "jpg") if j % 3 == 2 else ("PNG", "png")
            out[f"{prefix}{name}/{j:02d}.{ext}"] = image_bytes((80 * k, 7 * j, 200 - 60 * k), fmt)
    return out


def write_zip(path: Path, entries: dict[str | zipfile.ZipInfo, bytes], compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return path


def write_folder(root: Path, classes: dict[str, int], offset: int = 0) -> None:
    for k, (name, n) in enumerate(classes.items()):
        (root / name).mkdir(parents=True, exist_ok=True)
        for j in range(n):
            Image.new("RGB", (8, 8), (40 * k + offset, 9 * j, 0)).save(root / name / f"{j:02d}.png")


def symlink_entry(name: str, target: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # Unix
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


# --- safe_extract -------------------------------------------------------------------------------


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


# --- scan_folder --------------------------------------------------------------------------------


def test_scan_classes_layout_with_wrapper_and_junk(tmp_path: Path):
    write_folder(tmp_path / "wrap" / "inner", {"a": 10, "b": 12})
    (tmp_path / "wrap" / ".DS_Store").write_bytes(b"junk")
    (tmp_path / "wrap" / "inner" / "a" / "README.md").write_text("hello")
    (tmp_path / "wrap" / "inner" / "stray.png").write_bytes(image_bytes((0, 0, 0)))
    (tmp_path / "wrap" / "inner" / "b" / "nested").mkdir()
    Image.new("RGB", (8, 8)).save(tmp_path / "wrap" / "inner" / "b" / "nested" / "deep.png")
    report = scan_folder(tmp_path)
    assert report.ok and report.base == tmp_path / "wrap" / "inner" and report.layout == "classes"
    assert report.classes == ["a", "b"] and report.counts() == {"all": {"a": 10, "b": 13}}
    skipped = dict(report.skipped)
    assert skipped["wrap/inner/a/README.md"] == "not an image file (.md)"
    assert skipped["wrap/inner/stray.png"] == "not inside a class folder"
    assert ".DS_Store" not in str(report.skipped)
    assert "b/nested/deep.png" in {s.path for s in report.samples}
    assert report.summary().startswith("23 images in 2 classes")


def test_scan_train_test_layout_and_class_mismatch(tmp_path: Path):
    write_folder(tmp_path / "train", {"a": 10, "b": 10, "c": 10})
    write_folder(tmp_path / "test", {"a": 3, "b": 2, "d": 2})
    report = scan_folder(tmp_path)
    assert report.ok and report.layout == "train/test" and report.classes == ["a", "b", "c"]
    assert report.counts() == {"train": {"a": 10, "b": 10, "c": 10}, "test": {"a": 3, "b": 2, "c": 0}}
    assert any("differ between train/ and test/" in w and "only in train/: c" in w and "only in test/: d" in w
               for w in report.warnings)
    assert dict(report.skipped)["test/d/00.png"] == "class 'd' has no training images"
    train, test = UserImageFolder(report, "train"), UserImageFolder(report, "val")
    assert len(train) == 30 and len(test) == 5 and test.split == "test"
    assert train.classes == test.classes == ["a", "b", "c"]
    assert test.targets == [0, 0, 0, 1, 1]
    assert all("/test/" in path for path, _ in test.samples)


def test_scan_warnings_and_errors(tmp_path: Path):
    write_folder(tmp_path / "unbalanced", {"big": 40, "small": 5})
    report = scan_folder(tmp_path / "unbalanced")
    assert report.ok
    assert any("fewer than 10 images: small (5)" in w for w in report.warnings)
    assert any("unbalanced" in w and "'big' has 40" in w for w in report.warnings)

    write_folder(tmp_path / "one", {"only": 12})
    (tmp_path / "one" / "other").mkdir()
    (tmp_path / "one" / "other" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    report = scan_folder(tmp_path / "one")
    assert not report.ok and "Only one class ('only')" in report.errors[0]
    assert any("'other/' has no readable images" in w for w in report.warnings)
    with pytest.raises(UserDataError, match="at least 2 class folders"):
        UserImageFolder(report)

    (tmp_path / "empty").mkdir()
    assert "No class folders with images" in scan_folder(tmp_path / "empty").errors[0]
    write_folder(tmp_path / "testonly" / "test", {"a": 2, "b": 2})
    assert "no 'train/' folder" in scan_folder(tmp_path / "testonly").errors[0]
    with pytest.raises(UserDataError, match="does not exist"):
        scan_folder(tmp_path / "nowhere")


def test_scan_refuses_oversized_images_with_reason(tmp_path: Path):
    write_folder(tmp_path, {"a": 10, "b": 10})
    Image.new("RGB", (400, 400)).save(tmp_path / "a" / "huge.png")
    report = scan_folder(tmp_path, max_pixels=100_000)
    assert "more than the limit of 100,000 pixels" in dict(report.skipped)["a/huge.png"]
    assert report.counts() == {"all": {"a": 10, "b": 10}}


# --- stratified_split ---------------------------------------------------------------------------


def test_stratified_split_properties():
    targets = [0] * 50 + [1] * 7 + [2] * 2 + [3] * 1 + [1] * 3
    train, test = stratified_split(targets, 0.2, seed=0)
    assert sorted(train + test) == list(range(len(targets))) and not set(train) & set(test)
    assert train == sorted(train) and test == sorted(test)
    per_class_test = {c: sum(targets[i] == c for i in test) for c in range(4)}
    assert per_class_test == {0: 10, 1: 2, 2: 1, 3: 0}  # round(n * 0.2), at least 1 when n >= 2
    assert all(any(targets[i] == c for i in train) for c in range(4))  # every class keeps a training image
    assert stratified_split(targets, 0.2, seed=0) == (train, test)
    assert stratified_split(targets, 0.2, seed=1)[1] != test
    # a class's split does not depend on the other classes
    only_zero = stratified_split([0] * 50, 0.2, seed=0)[1]
    assert [i for i in test if targets[i] == 0] == only_zero
    assert len(stratified_split(targets, 0.5)[1]) == 25 + 5 + 1
    for bad in (0.0, 1.0, -0.1):
        with pytest.raises(ValueError, match="test_fraction"):
            stratified_split(targets, bad)


# --- the data set -------------------------------------------------------------------------------


def test_user_image_folder_holds_out_a_stratified_test_split(tmp_path: Path):
    write_folder(tmp_path, {"a": 10, "b": 15})
    report = scan_folder(tmp_path)
    to_array = np.asarray
    train = UserImageFolder(tmp_path, "train", transform=to_array, seed=3)
    test = UserImageFolder(report, "test", seed=3)
    assert train.classes == test.classes == ["a", "b"] and train.class_to_idx == {"a": 0, "b": 1}
    assert len(train) + len(test) == 25 and {p for p, _ in train.samples}.isdisjoint(p for p, _ in test.samples)
    assert sorted(test.targets) == [0, 0, 1, 1, 1]
    x, y = train[0]
    assert isinstance(x, np.ndarray) and x.shape == (8, 8, 3) and y == train.targets[0]
    img, _ = test[0]
    assert isinstance(img, Image.Image) and img.mode == "RGB"
    assert describe_dataset(test)["counts"] == {"a": 2, "b": 3}
    assert UserImageFolder(report, "test", seed=3).samples == test.samples
    with pytest.raises(ValueError, match="split"):
        UserImageFolder(report, "everything")


# --- zip:FILE through get_dataset ---------------------------------------------------------------


def test_parse_zip_spec():
    assert parse_data_spec("zip:/data/pets.zip") == ("zip", "/data/pets.zip")
    assert parse_data_spec(" ZIP:C:\\x.zip") == ("zip", "C:\\x.zip")
    for bad in ("zip", "zip:", "zip:  "):
        with pytest.raises(ValueError, match="imagefolder:PATH' or 'zip:FILE'"):
            parse_data_spec(bad)


def test_get_dataset_zip_end_to_end_extracts_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("RESNET_VIZ_CACHE", str(tmp_path / "cache"))
    calls = []
    real = userdata.safe_extract
    monkeypatch.setattr(userdata, "safe_extract", lambda *a, **k: calls.append(a) or real(*a, **k))
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
    real = userdata.safe_extract
    monkeypatch.setattr(userdata, "safe_extract", lambda *a, **k: calls.append(a) or real(*a, **k))
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
