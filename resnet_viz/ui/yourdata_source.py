"""Step 1 of the Your data page: the user's images from the chosen source (the built-in example, an
uploaded .zip, a folder on the server), scanned once per session, and the report on them (counts per class
and split, thumbnails, skipped files) before anything trains."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import streamlit as st

from resnet_viz.data.examples import example_folder
from resnet_viz.data.folders import UserDataError, scan_folder, stratified_split
from resnet_viz.data.uploads import prepare_zip
from resnet_viz.figures.yourdata import SPLITS, class_counts_figure
from resnet_viz.i18n import N_, _, num
from resnet_viz.lessons.yourdata import checking_text, more_classes, skipped_title
from resnet_viz.ui.access import server_folder_input, upload_allowed
from resnet_viz.ui.figures import show_figure

# the data sources (the page's radio, bound to the URL: the values stay English, shown with format_func=_)
EXAMPLE = N_("built-in example (600 shapes images, 3 classes)")
UPLOAD = N_("upload a .zip")
FOLDER = N_("folder on this server")


def scan_with_progress(path: Path):
    """``scan_folder(path)`` with a progress bar (it opens every image)."""
    bar = st.progress(0.0, text=_("Checking every image..."))

    def progress(done: int, total: int) -> None:
        bar.progress(done / max(total, 1), text=str(checking_text(done, total)))

    report = scan_folder(path, progress=progress)
    bar.empty()
    return report


@st.cache_resource(show_spinner=False)  # the spinner is find_data's: its text is in the session's language
def example_data():
    """The built-in example, made and scanned once per server and shared (read-only) by every session."""
    path = example_folder()
    return f"imagefolder:{path}", None, scan_folder(path)


@st.cache_data(max_entries=32, show_spinner=False)
def thumbnails(spec: str, _report) -> list[tuple[str, list[np.ndarray]]]:
    """Up to 6 thumbnails of each of the first 12 classes, decoded once per data set (its spec names a folder
    of this session, or the shared example)."""
    from resnet_viz.data.images import load_image

    out = []
    for k, cls in enumerate(_report.classes[:12]):
        row = []
        for p in [_report.base / s.path for s in _report.samples if s.label == k][:6]:
            img = load_image(p)
            img.thumbnail((72, 72))
            row.append(np.asarray(img))
        out.append((cls, row))
    return out


def find_data(source: str, scr):
    """``(spec, extract report or None, folder report)`` of the chosen source, scanned once per session
    (None, with a message, until there is one)."""
    cache = st.session_state.setdefault("yd_scans", {})
    if source == EXAMPLE:
        with st.spinner(_("Making the example images (once per server)...")):
            return example_data()
    if source == UPLOAD:
        return uploaded_data(scr, cache)
    path = server_folder_input(_("Folder on this server (class folders, optionally inside train/ and test/)"),
                               "yd_folder")
    if path is None:
        return None
    if str(path) not in cache:
        try:
            cache[str(path)] = (f"imagefolder:{path}", None, scan_with_progress(path))
        except UserDataError as e:
            st.error(str(e), icon=":material/folder_off:")  # a Msg: str() gives it in the session's language
            return None
    return cache[str(path)]


def uploaded_data(scr, cache: dict):
    """The uploaded .zip, saved in the session's folder, unpacked safely and scanned once per content."""
    f = st.file_uploader(_("Zip of class folders"), type=["zip"], key="yd_zip",
                         help=_("Limits: {entries:,} entries, 2 GB unpacked, 50 MB and 40 megapixels per image. Files "
                                "that are not images are skipped and listed below.", entries=20_000))
    if f is not None and not upload_allowed(f):
        return None
    if f is None:
        st.info(_("Upload a .zip: one folder per class (`cat/`, `dog/`, ...), or `train/` and `test/` folders of "
                  "those. Without `test/`, 20 % of every class is held out for testing."),
                icon=":material/upload_file:")
        return None
    data = f.getvalue()
    sha = hashlib.sha256(data).hexdigest()
    if sha not in cache:
        path = scr.uploads / f"{sha[:16]}.zip"
        path.write_bytes(data)
        with st.spinner(_("Unpacking {name} safely and checking every image...", name=f.name)):
            try:
                extract, report = prepare_zip(path, cache_root=scr.unpacked)
            except UserDataError as e:
                path.unlink(missing_ok=True)
                st.error(f"{f.name}: {e}", icon=":material/error:")
                return None
        cache[sha] = (f"zip:{path}", extract, report)
    return cache[sha]


def split_counts(report) -> dict[str, dict[str, int]]:
    """``{"train"|"test": {class: n_images}}``: the folders' own split, or the hold-out the training engine
    makes (stratified, seed 0, 20 % of each class)."""
    counts = report.counts()
    if "all" in counts:
        labels = [s.label for s in report.samples]
        train_idx, test_idx = stratified_split(labels)
        counts = {split: {c: sum(1 for i in idx if labels[i] == k) for k, c in enumerate(report.classes)}
                  for split, idx in (("train", train_idx), ("test", test_idx))}
    return counts


def data_report(spec: str, extract, report) -> int:
    """The report on the data: its warnings (and errors, which stop the page), counts, thumbnails and
    skipped files. Returns the number of training images."""
    for w in report.warnings:  # Msg: str() gives them in the session's language
        st.warning(str(w), icon=":material/warning:")
    if report.errors:
        for e in report.errors:
            st.error(str(e), icon=":material/error:")
        st.stop()
    counts = split_counts(report)
    skipped = (extract.skipped if extract else []) + report.skipped
    n_train, n_test = (sum(counts[s].values()) for s in ("train", "test"))
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(_("Images"), num(len(report.samples), ","))
    c2.metric(_("Classes"), len(report.classes))
    c3.metric(_("Train / test"), f"{num(n_train, ',')} / {num(n_test, ',')}",
              help=_("From your train/ and test/ folders") if report.layout == "train/test" else
              _("Held out: 20 % of every class (stratified, seed 0), never used for training"))
    c4.metric(_("Skipped files"), len(skipped))
    left, right = st.columns([1, 1])
    with left:
        # the CSV export of the figure: its headers and split names in the session's language
        cls_h, split_h, images_h = _("class"), _("split"), _("images")
        show_figure(class_counts_figure(counts), key="counts",
                    rows=[{cls_h: c, split_h: _(SPLITS.get(s, s)), images_h: n} for s, per in counts.items()
                          for c, n in per.items()])
    with right:
        st.caption(_("A few images of every class (as found, before resizing):"))
        for cls, row in thumbnails(spec, report):
            st.image(row, caption=[cls] + [""] * (len(row) - 1), width=72)
        if more := more_classes(len(report.classes)):
            st.caption(str(more))
    if skipped:
        with st.expander(str(skipped_title(len(skipped)))):
            file_h, reason_h = _("file"), _("reason")
            st.dataframe([{file_h: s.name, reason_h: str(s.reason)} for s in skipped[:500]], hide_index=True,
                         width="stretch")
    return n_train
