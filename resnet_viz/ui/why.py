"""The Streamlit pieces the three tabs of the Why it works page share: the choice of data to measure on
(checked before any job starts), the key, start button and live progress panel of the background probe jobs
(``python -m resnet_viz lesion|landscape`` for both twins), and the notice shown when no trained twins exist."""

from __future__ import annotations

import hashlib

import streamlit as st

from resnet_viz.data.datasets import DataUnavailable, get_dataset
from resnet_viz.models.names import display_name
from resnet_viz.runs.twins import data_for
from resnet_viz.training.jobs import probe_state, start_probe
from resnet_viz.ui.access import is_teacher, server_folder_input, teacher_only
from resnet_viz.ui.common import friendly_errors, network_available
from resnet_viz.ui.jobs import queue_panel

URL = dict(bind="query-params")  # the settings are in the page's URL: a link reproduces the figure
FOLDER = "a folder on this server..."


def no_twins() -> None:
    """The notice of a tab that needs trained twins when there are none."""
    st.info("No trained twins yet: the shipped runs are missing from assets/runs. Train a set on the "
            "Degradation page (or `bash scripts/train_shipped_runs.sh cifar10`).", icon=":material/info:")


def data_choice(col, pair, key: str, split: str) -> str | None:
    """The data to measure on: the runs' own, torchvision's CIFAR-10, or a folder on the server with a
    ``split``/ sub-folder of class folders (checked here, before any job starts)."""
    options = list(dict.fromkeys([data_for(pair.resnet), "cifar10"])) + [FOLDER]
    choice = col.selectbox("Data", options, key=key,
                           help=f"The {split} images the measurement uses: they must have the classes the nets "
                                "were trained on")
    if choice == FOLDER:
        folder = server_folder_input(f"Folder with a {split}/ sub-folder of class folders", f"{key}_folder")
        if folder is None:
            return None
        if not (folder / split).is_dir():
            st.warning(f"`{folder}` has no `{split}/` sub-folder of class folders.", icon=":material/folder_off:")
            return None
        return f"imagefolder:{folder}"
    if choice == "cifar10":
        missing = cifar_missing(split)
        if missing and not network_available():
            st.warning(missing, icon=":material/cloud_off:")
            return None
        if missing:
            st.caption("CIFAR-10 is not on this machine yet: the job downloads it first (170 MB).")
    return choice


@st.cache_data(ttl=60, show_spinner=False)
def cifar_missing(split: str) -> str | None:
    """Why torchvision's CIFAR-10 cannot be read here (None when it can); loading it takes a second, so the
    answer is kept for a minute rather than recomputed on every rerun."""
    try:
        get_dataset("cifar10", split, download=False)
    except DataUnavailable as e:
        return str(e)
    return None


def probe_key(kind: str, run, settings: tuple) -> str:
    """The background job's key: the run's checkpoint (a retrained one is a new job) and the settings."""
    ident = f"{run.path.resolve()}|{run.checkpoint.stat().st_mtime}|{settings}"
    return f"{kind}-{hashlib.sha1(ident.encode()).hexdigest()[:16]}"


def plain_and_resnet(results: dict):
    """``(plain net's result, ResNet's result)`` of a twin pair's results by model name (None where missing)."""
    plain = next((r for n, r in results.items() if n.startswith("plain")), None)
    res = next((r for n, r in results.items() if n.startswith("resnet")), None)
    return plain, res


def start_button(label: str, key: str, what: str, pair, keys: dict[str, str], argv: list[str]) -> None:
    """A button that starts ``python -m resnet_viz ARGV --model M --weights <checkpoint>`` for both twins; the
    results go to the shared run store, so it is a teacher action."""
    if not is_teacher():  # compute_note has said why
        return
    if st.button(label, key=key, type="primary"):
        with friendly_errors(what):
            for m, r in pair.runs.items():
                start_probe(keys[m], [*argv, "--model", m, "--weights", str(r.checkpoint)], owner="teacher",
                            label=f"{what}: {display_name(m)}")


def probe_panel(kind: str, keys: dict[str, str]) -> bool:
    """Live progress of the background jobs ``keys`` (model -> probe key); True when all have finished."""
    states = {n: probe_state(k) for n, k in keys.items()}
    live = any(s["state"] in ("running", "queued") for s in states.values())

    @st.fragment(run_every=2.0 if live else None)
    def panel():
        now = {n: probe_state(k) for n, k in keys.items()}
        for n, s in now.items():
            if s["state"] in ("running", "queued"):
                st.progress(min(1.0, s.get("done", 0) / max(1, s.get("total", 1))),
                            text=f"{display_name(n)}: {s.get('message', s['state'])}")
            elif s["state"] == "failed":
                st.warning(f"{kind} of {display_name(n)}: {s.get('message')}", icon=":material/error:")
        if live and not any(s["state"] in ("running", "queued") for s in now.values()):
            st.rerun()  # the jobs just finished: redraw the page with the figures

    panel()
    if live:
        queue_panel(f"why-{kind.split()[0].lower()}")
    return all(s["state"] == "finished" for s in states.values())


def compute_note(what: str) -> None:
    """For a student, above the settings of a computation: the jobs write into the shared run store, so only the
    teacher starts them; results the teacher computed with the same settings are shown to everyone."""
    if not is_teacher():
        teacher_only(f"{what} into the shared run store")
        st.caption("Results the teacher has computed with the settings below appear here for everyone.")
