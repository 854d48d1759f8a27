"""Step 2 of the Your data page, the parts around its settings and buttons: the warning when transfer
learning's ImageNet weights are missing, and the live panel of the pair's background training job (a progress
bar per net and the training curves, redrawn every two seconds while the job runs)."""

from __future__ import annotations

import streamlit as st

from resnet_viz.figures.training import training_curves
from resnet_viz.i18n import _
from resnet_viz.lessons.yourdata import run_progress, weights_missing
from resnet_viz.runs.twins import run_label
from resnet_viz.training.jobs import set_active, set_runs
from resnet_viz.ui.figures import show_figure


def weights_warning(plan) -> str | None:
    """Why the plan cannot train here (shown as a warning), or None: transfer learning needs the ResNet's
    ImageNet weights in the torch hub cache or a network to download them."""
    if plan.approach != "transfer":
        return None
    from resnet_viz.models.registry import get_info
    from resnet_viz.models.weights import available_weights, torchvision_cached_path, torchvision_weights

    if "DEFAULT" in available_weights(f"resnet{plan.depth}"):
        return None
    w = torchvision_weights(get_info(f"resnet{plan.depth}"))
    text = str(weights_missing(plan.depth, w.url, str(torchvision_cached_path(w))))
    st.warning(text, icon=":material/cloud_off:")
    return text


def live_panel(plan, tag: str, root) -> None:
    """The training job of set ``tag`` under ``root`` as it runs; when it ends, the whole page reruns to show
    the results."""

    @st.fragment(run_every=2.0 if set_active(tag, root) else None)
    def live() -> None:
        runs = set_runs(tag, plan.models, root)
        if not any((r.path / "status.json").is_file() for r in runs):
            return
        active = set_active(tag, root)
        for r in runs:
            frac, text = run_progress(run_label(r), r.status)
            st.progress(frac, text=str(text))
        curves = {r.model: r.metrics("epoch") for r in runs}
        if any(curves.values()):
            show_figure(training_curves(curves, (plan.depth,)), key="yd-curves",
                        rows=[{_("model"): m, **rec} for m, recs in curves.items() for rec in recs])
        if not active and st.session_state.get("yd_was_active"):
            st.session_state["yd_was_active"] = False
            st.rerun(scope="app")  # the job has ended: show the results below
        st.session_state["yd_was_active"] = active

    live()


def batch_size_for(n_train: int) -> int:
    """The batch size for ``n_train`` training images: 8 to 32, so an epoch has at least ~15 steps."""
    return max(8, min(32, n_train // 16))
