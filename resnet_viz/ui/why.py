"""The Streamlit pieces the three tabs of the Why it works page share: the choice of data to measure on
(checked before any job starts), the key, start button and live progress panel of the background probe jobs
(``python -m resnet_viz lesion|landscape`` for both twins), and the notice shown when no trained twins exist."""

from __future__ import annotations

import hashlib

import streamlit as st

from resnet_viz.data.datasets import DataUnavailable, get_dataset
from resnet_viz.i18n import N_, _
from resnet_viz.models.names import display_name
from resnet_viz.runs.twins import data_for
from resnet_viz.training.jobs import probe_state, start_probe
from resnet_viz.training.queue import job_msg
from resnet_viz.ui.access import is_teacher, server_folder_input, teacher_only
from resnet_viz.ui.common import friendly_errors, network_available
from resnet_viz.ui.jobs import queue_panel

URL = dict(bind="query-params")  # the settings are in the page's URL: a link reproduces the figure
FOLDER = N_("a folder on this server...")  # an option value (tests pick it): shown with format_func=_
STORED, COMPUTE = N_("stored results"), N_("compute now")  # the tabs' "Results" radios (values: English)
STATES = {"running": N_("running"), "queued": N_("queued")}  # a probe job's state, shown without a message


def no_twins() -> None:
    """The notice of a tab that needs trained twins when there are none."""
    st.info(_("No trained twins yet: the shipped runs are missing from assets/runs. Train a set on the "
              "Degradation page (or `bash scripts/train_shipped_runs.sh cifar10`)."), icon=":material/info:")


def data_choice(col, pair, key: str, split: str) -> str | None:
    """The data to measure on: the runs' own, torchvision's CIFAR-10, or a folder on the server with a
    ``split``/ sub-folder of class folders (checked here, before any job starts)."""
    options = list(dict.fromkeys([data_for(pair.resnet), "cifar10"])) + [FOLDER]
    if split == "test":
        why = _("The test images the measurement uses: they must have the classes the nets were trained on")
    else:
        why = _("The train images the measurement uses: they must have the classes the nets were trained on")
    choice = col.selectbox(_("Data"), options, key=key, format_func=_, help=why)
    if choice == FOLDER:
        folder = server_folder_input(_("Folder with a {split}/ sub-folder of class folders", split=split),
                                     f"{key}_folder")
        if folder is None:
            return None
        if not (folder / split).is_dir():
            st.warning(_("`{folder}` has no `{split}/` sub-folder of class folders.", folder=str(folder), split=split),
                       icon=":material/folder_off:")
            return None
        return f"imagefolder:{folder}"
    if choice == "cifar10":
        missing = cifar_missing(split)
        if missing and not network_available():
            st.warning(str(missing), icon=":material/cloud_off:")
            return None
        if missing:
            st.caption(_("CIFAR-10 is not on this machine yet: the job downloads it first (170 MB)."))
    return choice


@st.cache_data(ttl=60, show_spinner=False)
def cifar_missing(split: str) -> str | None:
    """Why torchvision's CIFAR-10 cannot be read here (None when it can); loading it takes a second, so the
    answer is kept for a minute rather than recomputed on every rerun. The reason is the exception's ``Msg``
    (English, drawn in each session's language), not a text in the language of the first session that asked."""
    try:
        get_dataset("cifar10", split, download=False)
    except DataUnavailable as e:
        return e.args[0] if len(e.args) == 1 and isinstance(e.args[0], str) else str(e)
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
    results go to the shared run store, so it is a teacher action. ``label`` is shown as it is (translated by the
    caller); ``what`` is the experiment's English name (marked where it is defined), also the queue's job label."""
    if not is_teacher():  # compute_note has said why
        return
    if st.button(label, key=key, type="primary"):
        with friendly_errors(_(what)):
            for m, r in pair.runs.items():
                start_probe(keys[m], [*argv, "--model", m, "--weights", str(r.checkpoint)], owner="teacher",
                            label=f"{what}: {display_name(m)}")


def probe_panel(kind: str, keys: dict[str, str]) -> bool:
    """Live progress of the background jobs ``keys`` (model -> probe key); True when all have finished. ``kind`` is
    the experiment's English name (it also names the queue panel), translated where it is shown."""
    states = {n: probe_state(k) for n, k in keys.items()}
    live = any(s["state"] in ("running", "queued") for s in states.values())

    @st.fragment(run_every=2.0 if live else None)
    def panel():
        now = {n: probe_state(k) for n, k in keys.items()}
        for n, s in now.items():
            if s["state"] in ("running", "queued"):
                # TRANSLATORS: a network's name, then what its background job is doing now
                st.progress(min(1.0, s.get("done", 0) / max(1, s.get("total", 1))), text=_(
                    "{name}: {status}", name=display_name(n), status=job_msg(s) or _(STATES[s["state"]])))
            elif s["state"] == "failed":
                st.warning(_("{kind} of {name}: {reason}", kind=_(kind), name=display_name(n),
                             reason=job_msg(s) or ""), icon=":material/error:")
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
        # TRANSLATORS: {what} is an experiment ("Lesion study", "Loss landscape"); shown in bold before "is a
        # teacher action."
        teacher_only(_("{what} into the shared run store", what=_(what)))
        st.caption(_("Results the teacher has computed with the settings below appear here for everyone."))
