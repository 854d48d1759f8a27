"""Shared pieces of every page: start-up, cached loaders, sidebar, page anatomy, error handling.

Cached models (``st.cache_resource``) are shared by every session: they are loaded once, put in
``eval()`` and never mutated while serving. Probes that need gradients or train-mode BatchNorm
work on a copy of their own.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time

import streamlit as st

from resnet_viz import __version__
from resnet_viz.classroom.limits import LimitExceeded
from resnet_viz.env import can_reach, device_summary, hub_checkpoint_dir
from resnet_viz.figures.style import PLAIN_COLOR, RESNET_COLOR
from resnet_viz.i18n import _, render
from resnet_viz.ui.access import role_box
from resnet_viz.ui.language import language_picker

# Nothing above imports torch (about 2 s, torchvision 1.5 s more): the Home page's first render needs neither.
# The start-up thread imports them in the background; ``torch_ready()`` says, without waiting, when it has.

log = logging.getLogger("resnet_viz.ui")


def _leave_mpa_v1() -> None:
    """Make a direct link to a page (``/gradient_flow``) work on a freshly started server.

    Streamlit treats an app with a ``pages/`` folder as a v1 multipage app until ``app.py`` has
    called ``st.navigation`` once in the process: the first visitor of a page URL would get that
    page without ``app.py`` (no layout, no shared sidebar, the v1 page list). Every page imports
    this module, so the first such run switches the process to ``st.navigation``; the page's
    ``header()`` then reruns that session, which goes through ``app.py`` as every later run does.

    The rerun is not raised here: an exception inside an import leaves the half-run modules that
    import this one to other sessions importing them at the same moment (Python hands a waiting
    importer the module object it found, which the failed import has dropped), and they fail with
    "cannot import name" (seen with 30 students opening a page of a server that had just started).
    """
    global _v1_session
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    if PagesManager.uses_pages_directory and st.runtime.exists():
        PagesManager.uses_pages_directory = False
        ctx = get_script_run_ctx()
        _v1_session = ctx.session_id if ctx is not None else None


def _rerun_v1_session(rerun: bool) -> None:
    """Rerun (``rerun``) or just forget the session whose run switched the process off v1."""
    global _v1_session
    if _v1_session is None:
        return
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is not None and ctx.session_id == _v1_session:
        _v1_session = None
        if rerun:
            st.rerun()


_v1_session: str | None = None
_leave_mpa_v1()

_boot_lock = threading.Lock()
_booted = False
_torch_ready = threading.Event()


def boot() -> None:
    """Once per server process: start the background start-up (torch, thread count, model stats, Home's story).

    Returns at once: the first page's script does not wait for torch to be imported."""
    global _booted
    with _boot_lock:
        if _booted:
            return
        # not a daemon: a process that exits while it is inside torch would abort ("terminate called ...")
        threading.Thread(target=_start_up, name="home-story", daemon=False).start()
        _booted = True


def _start_up() -> None:
    try:
        from resnet_viz.env import configure_threads

        configure_threads()
        import pandas  # noqa: F401 - Home's weights table

        from resnet_viz.models import weights  # noqa: F401 - torch, torchvision and the model registry
    except Exception:  # noqa: BLE001 - the pages import them again and report errors there
        log.exception("importing torch in the background failed")
    finally:
        _torch_ready.set()
    from resnet_viz.models.stats import stats_cached

    if not stats_cached():
        # the counting runs in a child process (see stats.py); this thread only waits for it
        threading.Thread(target=_warm_stats, name="model-stats", daemon=True).start()
    from resnet_viz.lessons import home as story

    story.warm(between=_wait_for_idle)


# Page scripts running now, in any session, and when the last one ended. The start-up thread's story steps
# wait between steps until no script has run for GRACE_S (the browser is still drawing what the last one sent;
# a step itself is not interrupted), so a page opened while the server warms up gets the CPU first.
_running = 0
_last_end = 0.0
_idle = threading.Condition()
GRACE_S = 1.5
IDLE_WAIT_S = 30.0  # the longest a step waits: the warm-up must finish even on a server that is never idle


@contextlib.contextmanager
def page_running():
    """Mark a page script as running (app.py wraps the page in it)."""
    global _running, _last_end
    _rerun_v1_session(rerun=False)  # this run goes through app.py already
    with _idle:
        _running += 1
    try:
        yield
    finally:
        with _idle:
            _running -= 1
            _last_end = time.monotonic()
            _idle.notify_all()


def _wait_for_idle() -> None:
    deadline = time.monotonic() + IDLE_WAIT_S
    with _idle:
        while (now := time.monotonic()) < deadline:
            quiet = now - _last_end
            if _running == 0 and quiet >= GRACE_S:
                return
            _idle.wait(min(deadline - now, GRACE_S - quiet if _running == 0 else GRACE_S))


def torch_ready(timeout: float | None = 0) -> bool:
    """Whether the start-up thread has imported torch, torchvision and the model registry (waits up to
    ``timeout`` s; None: until it has). Pages that use torch anyway need not ask."""
    return _torch_ready.wait(timeout)


def _warm_stats() -> None:
    from resnet_viz.models.stats import model_stats

    try:
        model_stats()
    except Exception:  # noqa: BLE001 - the Architectures page computes them again on demand
        log.exception("computing the model statistics in the background failed")


@st.cache_data(ttl=300, show_spinner=False)
def network_available() -> bool:
    """Whether the weight/data download hosts answer (checked at most every 5 minutes)."""
    return can_reach("https://download.pytorch.org/models/")


def get_model(arch: str, weights: str | None = None):
    """A shared, read-only model in eval mode. Errors are not cached (Streamlit re-raises them).

    The spinner says so in the session's language (a cache's own ``show_spinner`` text is fixed at import); it
    appears only when loading takes more than half a second, so a cached model shows nothing."""
    with st.spinner(_("Loading model weights (once per server)...")):
        return _load_model(arch, weights)


@st.cache_resource(show_spinner=False, max_entries=16)
def _load_model(arch: str, weights: str | None = None):
    import torch

    from resnet_viz.env import configure_threads
    from resnet_viz.models.weights import load_model

    configure_threads()  # once per process (the start-up thread may not have got there yet)

    with torch.random.fork_rng(devices=[]):  # "random" weights are the same for every session
        torch.manual_seed(0)
        return load_model(arch, weights)


PRESENTER_CSS = """
<style>
  /* presenter mode: readable from the back of a classroom on a 1280x720 projector */
  html, body, [data-testid="stAppViewContainer"] { font-size: 21px; }
  [data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { font-size: 1.25rem; }
  h1 { font-size: 2.6rem !important; }
  [data-testid="stMainBlockContainer"] { padding-top: 1.5rem; max-width: 100%; }
  /* controls stay reachable in the sidebar's "Show controls" switch; the figures get the space */
  .stMain [data-testid="stElementContainer"]:has([data-testid="stWidgetLabel"]),
  .stMain [data-testid="stPopover"], .stMain [data-testid="stExpander"],
  .stMain [data-testid="stCaptionContainer"] { display: none; }
</style>
"""


def presenter() -> bool:
    """Whether this session is in presenter mode (sidebar toggle, also ``?presenter=true`` in a link)."""
    return bool(st.session_state.get("presenter", False))


def sidebar(*, wait_for_torch: bool = True) -> None:
    with st.sidebar:
        language_picker()
        st.toggle(_("Presenter mode"), key="presenter", bind="query-params",
                  help=_("Large fonts, thick lines, controls hidden: for a projector. The plain/ResNet colours stay "
                         "the same colour-blind-safe pair."))
        if presenter():
            show = st.toggle(_("Show controls"), key="presenter_controls", value=False)
            st.markdown(PRESENTER_CSS if not show else PRESENTER_CSS.split("/* controls")[0] + "</style>",
                        unsafe_allow_html=True)
        role_box()
        # TRANSLATORS: the sidebar's colour legend: the network without skip connections (the plain twin)
        plain = _("plain (no skip)")
        # TRANSLATORS: the sidebar's colour legend: the network with skip connections
        resnet = _("ResNet (skip)")
        st.markdown(
            f"<span style='color:{PLAIN_COLOR};font-weight:700'>&#9632; {plain}</span> &nbsp; "
            f"<span style='color:{RESNET_COLOR};font-weight:700'>&#9632; {resnet}</span>",
            unsafe_allow_html=True,
        )
        # device_summary imports torch: on a fresh server's first Home render it is not loaded yet (Home reruns
        # once it is); every other page imports torch anyway
        st.caption(_("Compute: {device}", device=device_summary()) if torch_ready(None if wait_for_torch else 0)
                   else _("Compute: checking (loading PyTorch)..."))
        online = network_available()
        st.caption(_("Network: online (downloads possible)") if online else
                   _("Network: offline - using shipped and cached weights only"))
        st.caption(f"resnet-viz {__version__}")


def header(title: str, question: str) -> None:
    """Page anatomy step 1: the title and the one question the page answers."""
    _rerun_v1_session(rerun=True)  # the first run of a direct page link on a fresh server: through app.py
    st.title(render(title))
    st.markdown(f"**{question}**")  # a Msg question is drawn in the session's language by the f-string


def takeaway(text: str) -> None:
    """Page anatomy step 4: one sentence computed from the figure's data (a ``Msg``: in the session's language)."""
    st.info(render(text), icon=":material/lightbulb:")


@contextlib.contextmanager
def friendly_errors(what: str):
    """Show expected failures as a short message and unexpected ones without a traceback.

    Expected errors (bad file, missing weights, bad input) carry a message written for the
    user; anything else is logged on the server with its traceback and shown as one line.
    ``what`` is in the session's language already (the caller translates it).
    """
    from resnet_viz.data.datasets import DataUnavailable
    from resnet_viz.data.images import ImageError
    from resnet_viz.models.weights import WeightsError, WeightsUnavailable
    from resnet_viz.training.queue import JobRefused

    try:
        yield
    except (ImageError, WeightsError) as e:
        # TRANSLATORS: {what} is what failed ("Classifying", "Loading cat.png"), {error} the reason
        st.error(_("{what}: {error}", what=what, error=str(e)), icon=":material/error:")
    except (WeightsUnavailable, DataUnavailable) as e:
        st.warning(_("{what}: {error}", what=what, error=str(e)), icon=":material/cloud_off:")
    except (JobRefused, LimitExceeded) as e:
        st.warning(str(e), icon=":material/hourglass_top:")
    except Exception as e:  # noqa: BLE001 - st.stop()/st.rerun() are BaseExceptions and pass through
        log.exception("unexpected error while %s", what)
        # TRANSLATORS: {error} is the name of a Python exception, e.g. RuntimeError
        st.error(_("{what}: something went wrong ({error}). The rest of the app keeps working; please try other "
                   "settings.", what=what, error=type(e).__name__), icon=":material/error:")


_slots: threading.BoundedSemaphore | None = None


@contextlib.contextmanager
def compute_slot(what: str = ""):
    """Bound concurrent heavy computations to the machine (one per two cores, at least one).

    Many sessions share the CPU: running them all at once only makes every one of them slower.
    Use it *inside* cached functions, so a cache hit never waits; the caller's spinner says that
    the computation may be waiting for a slot.
    """
    global _slots
    with _boot_lock:
        if _slots is None:
            from resnet_viz.env import cpu_count

            _slots = threading.BoundedSemaphore(max(1, cpu_count() // 2))
    _slots.acquire()
    try:
        yield
    finally:
        _slots.release()


def hub_dir() -> str:
    return str(hub_checkpoint_dir())


_swept = False


def scratch():
    """This session's private folder (``runs.scratch.Scratch``): uploads, unpacked zips, its training runs.

    Made on first use and kept in the session state; when Streamlit drops the session (the browser tab
    closed, plus Streamlit's two-minute reconnect grace) the object is finalised, which stops the session's
    training jobs and deletes the folder. Nothing in it is visible to other sessions. The first use in a
    server process also deletes the folders a crashed server left behind.
    """
    global _swept
    from resnet_viz.runs.scratch import Scratch, sweep_orphans

    if not _swept:
        _swept = True
        try:
            sweep_orphans()
        except OSError:
            log.exception("could not clean up old session folders")
    s = st.session_state.get("_scratch")
    if s is None or not s.alive:
        s = st.session_state["_scratch"] = Scratch()
    return s


def session_scratch():
    """The session's folder if it has one (never creates it)."""
    s = st.session_state.get("_scratch")
    return s if s is not None and s.alive else None
