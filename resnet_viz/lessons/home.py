"""The Home page's story in steps: one line per step, each computed from the shipped models, runs or
probe results (never written by hand). A step whose data is missing returns None and the page says so.

The lines are measured once per server process, in a background thread at start-up (``warm``); the page
reads them without waiting (``peek``). The sentences of a page's topic come from that page's lessons module
(``lessons.degradation``, ``lessons.gradients``, ``lessons.lesion``). Nothing here imports torch at import
time: the page must render before torch has loaded.

Every line is a ``resnet_viz.i18n.Msg``: measured once, in the start-up thread, it is drawn in the language of each
session that shows it.
"""

from __future__ import annotations

import functools
import json
import statistics
import sys
import threading

from resnet_viz.i18n import Msg


def _once(fn):
    """Compute a line once per process (the shipped data do not change while the server runs); concurrent
    callers wait for the first one instead of computing it again. Errors are not remembered.
    ``wrapper.ready()`` says, without waiting, whether the line is known."""
    lock, memo = threading.Lock(), {}

    @functools.wraps(fn)
    def wrapper():
        with lock:
            if "v" not in memo:
                memo["v"] = fn()
            return memo["v"]

    wrapper.cache_clear = memo.clear
    wrapper.ready = lambda: "v" in memo
    return wrapper


STEP_FUNCTIONS = ("degradation_line", "architecture_line", "gradient_line", "block_line", "explain_line",
                  "lesion_line")


_failed: set[str] = set()


def warm(between=None) -> None:
    """Compute every line (the server does this in a background thread at start-up), then the gradient
    page's default depth sweep, so the first visitors of those pages do not wait for them.

    ``between()``, when given, is called before each step: the server passes one that waits while a page
    script is running, so this background work does not slow down the page a student has just opened."""
    for name in STEP_FUNCTIONS:
        if between is not None:
            between()
        try:
            globals()[name]()
        except Exception:  # noqa: BLE001 - the Home page says the line is not available
            _failed.add(name)
    from resnet_viz.probes.gradients import DEFAULT_SWEEP, shared_depth_sweep

    if between is not None:
        between()
    try:
        shared_depth_sweep(**DEFAULT_SWEEP)
    except Exception:  # noqa: BLE001 - the page computes it on demand and reports errors there
        pass


def peek(name: str) -> tuple[bool, Msg | None]:
    """``(known, line)`` without waiting: known is False while the start-up thread is still measuring."""
    fn = globals()[name]
    if fn.ready():
        return True, fn()
    return (name in _failed), None


def _stats_version() -> str | None:
    """The installed torch version as ``resnet_viz.models.stats`` names its files, without importing torch."""
    torch = sys.modules.get("torch")
    version = getattr(torch, "__version__", None)
    if version is None:
        from importlib.metadata import PackageNotFoundError
        from importlib.metadata import version as dist_version

        try:
            version = dist_version("torch")
        except PackageNotFoundError:
            return None
    return str(version).split("+")[0]


@functools.cache
def _stats_params() -> dict[str, int]:
    """Parameter counts from the model-stats files of this torch version (``resnet_viz.models.stats``: the shipped
    file, then this machine's cache, which wins), read without importing torch; empty when there are none."""
    from resnet_viz.env import assets_dir, cache_dir

    version = _stats_version()
    out: dict[str, int] = {}
    if version is None:
        return out
    for src in (assets_dir(), cache_dir()):
        try:
            rows = json.loads((src / f"model_stats-{version}.json").read_text())
            out.update({r["name"]: int(r["params"]) for r in rows})
        except (OSError, ValueError, KeyError, TypeError):
            pass
    return out


def param_count(name: str) -> int:
    """Parameters of a registered model: from the model-stats file when it has the model (instant, no torch),
    else counted on the meta device (``models.count_params``, imports torch)."""
    n = _stats_params().get(name)
    if n is not None:
        return n
    from resnet_viz.models.registry import count_params

    return count_params(name)


@_once
def architecture_line() -> Msg:
    p, r = param_count("plain56"), param_count("resnet56")
    if p == r:
        return Msg("Plain-56 and ResNet-56 both have {params:,} parameters (exactly the same): the skip connection is "
                   "only the `+ x`.", params=r)
    return Msg("Plain-56 has {plain:,} parameters and ResNet-56 {resnet:,}: the shortcuts add {extra:,}.",
               plain=p, resnet=r, extra=r - p)


@_once
def gradient_line() -> Msg:
    from resnet_viz.lessons.gradients import fmt_ratio
    from resnet_viz.probes.gradients import twin_gradient_flow

    flows = twin_gradient_flow(["plain56", "resnet56"], batch=64, seed=0)  # the gradient page's default
    p, r = flows["plain56"].first_last_ratio, flows["resnet56"].first_last_ratio
    # TRANSLATORS: {plain} and {resnet} are ratios such as "0.0012x" or "0.85x" (times the gradient of the last layer)
    return Msg("At initialisation Plain-56's first conv layer gets {plain} the gradient of its last one; "
               "ResNet-56's gets {resnet}.", plain=fmt_ratio(p), resnet=fmt_ratio(r))


@_once
def degradation_line() -> Msg | None:
    from resnet_viz.lessons.degradation import describe_depth_gaps
    from resnet_viz.runs.twins import common_epoch_errors, run_sets

    for rs in run_sets():
        if not rs.shipped or not {20, 56} <= set(rs.depths):
            continue
        epoch, at = common_epoch_errors({n: rs.runs[n] for n in ("plain20", "plain56", "resnet20", "resnet56")})
        if epoch:
            return describe_depth_gaps(at, 20, 56, epoch)  # a Msg
    return None


@_once
def block_line() -> Msg | None:
    from resnet_viz.data.samples import photo
    from resnet_viz.models.weights import WeightsUnavailable, load_model
    from resnet_viz.probes.activations import block_anatomy

    try:
        lm = load_model("resnet20", "shipped")
    except WeightsUnavailable:
        return None
    x = lm.transforms()(photo("cat (chelsea)")).unsqueeze(0)
    recs, _outputs = block_anatomy(lm.model, x)
    ratios = [r.residual_ratio for r in recs if not r.downsampling]
    return Msg("In the trained ResNet-20, on the cat photo, each block's learned correction F(x) is a median "
               "{ratio:.2f}x the size of the x it is added to.", ratio=statistics.median(ratios))


@_once
def explain_line() -> Msg | None:
    from resnet_viz.data.samples import photo
    from resnet_viz.models.weights import WeightsUnavailable, load_model
    from resnet_viz.probes.inference import classify

    try:
        cat = photo("cat (chelsea)")
        tops = {n: classify(load_model(n, "shipped"), cat, top=1)[0] for n in ("resnet20", "plain20")}
    except WeightsUnavailable:
        return None
    r, p = tops["resnet20"], tops["plain20"]
    # the class names are catalog messages (models.registry): Msg(label) draws one in the session's language
    # TRANSLATORS: {resnet_class} and {plain_class} are class names such as "cat"; the numbers are percentages
    return Msg("On the cat photo, the trained ResNet-20 says {resnet_class} ({resnet_prob:.0f} %) and Plain-20 says "
               "{plain_class} ({plain_prob:.0f} %); Grad-CAM shows where each looked.",
               resnet_class=Msg(r["label"]), resnet_prob=100 * r["prob"],
               plain_class=Msg(p["label"]), plain_prob=100 * p["prob"])


@_once
def lesion_line() -> Msg | None:
    from resnet_viz.lessons.lesion import lesion_stats
    from resnet_viz.probes.lesion import LesionResult
    from resnet_viz.runs.twins import stored, twin_pairs

    for pair in twin_pairs():
        if not pair.shipped:
            continue
        got = {n: stored(r, "lesion") for n, r in pair.runs.items()}
        if not all(got.values()):
            continue
        s = {n: lesion_stats(LesionResult.from_json(d)) for n, d in got.items()}
        p, r = s[f"plain{pair.depth}"], s[f"resnet{pair.depth}"]
        return Msg("Deleting one block of the trained ResNet-{depth} raises its test error by a median "
                   "{resnet_rise:.1f} points; for Plain-{depth} by {plain_rise:.1f}.", depth=pair.depth,
                   resnet_rise=100 * r["median_rise"], plain_rise=100 * p["median_rise"])
    return None


def params_takeaway(p_res: int, p_plain: int) -> Msg:
    """The Home page's first takeaway: ResNet-56 and Plain-56 have the same parameters (option A adds none)."""
    if p_res == p_plain:
        return Msg("ResNet-56 has {resnet:,} parameters and its plain twin Plain-56 has {plain:,}: exactly the same. "
                   "With the paper's option A shortcut the skip connection adds no parameters at all, so any "
                   "difference you see between the twins comes from the `+ x` alone.", resnet=p_res, plain=p_plain)
    return Msg("ResNet-56 has {resnet:,} parameters and its plain twin Plain-56 has {plain:,}: not the same. "
               "With the paper's option A shortcut the skip connection adds no parameters at all, so any "
               "difference you see between the twins comes from the `+ x` alone.", resnet=p_res, plain=p_plain)


def missing_weights_line(missing: int, total: int, online: bool, hub: str) -> Msg:
    """How many of the pretrained weight files are not on this machine, and where they come from."""
    if online:
        return Msg("{missing} of {total} weight files are downloaded automatically the first time a page needs them.",
                   missing=missing, total=total)
    return Msg("{missing} of {total} weight files are missing: this machine is offline. Copy the files into `{hub}` "
               "(or a folder listed in `RESNET_VIZ_WEIGHTS_DIRS`); pages fall back to what is available.",
               missing=missing, total=total, hub=hub)
