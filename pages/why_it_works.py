"""Why it works: three experiments from the literature on trained twins (lesion study, shattered
gradients, loss landscape). The long computations (lesion study, loss landscape) run as background jobs
of the same CLI commands a teacher would run; only the open tab computes anything."""

import hashlib
import json
from pathlib import Path

import streamlit as st

from resnet_viz.data.datasets import DataUnavailable, get_dataset
from resnet_viz.figures.plots import lesion_blocks, lesion_curve
from resnet_viz.models.names import display_name
from resnet_viz.probes.lesion import LesionResult, describe_lesions
from resnet_viz.runs.store import read_json
from resnet_viz.runs.why import data_for, store, stored, twin_pairs
from resnet_viz.training.jobs import probe_paths, probe_state, start_probe
from resnet_viz.ui.common import compute_slot, friendly_errors, header, network_available, takeaway
from resnet_viz.ui.figures import show_figure

header("Why it works", "Why do residual networks train so well? Three experiments that look inside trained twins.")

pairs = {p.label(): p for p in twin_pairs()}
URL = dict(bind="query-params")  # the settings are in the page's URL: a link reproduces the figure
tab_lesion, tab_shatter, tab_land = st.tabs(["Lesion study", "Shattered gradients", "Loss landscape"], key="tab", **URL)
FOLDER = "a folder on this server..."


def no_twins() -> None:
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
        folder = st.text_input(f"Folder with a {split}/ sub-folder of class folders", key=f"{key}_folder")
        if not folder:
            return None
        if not (Path(folder).expanduser() / split).is_dir():
            st.warning(f"`{folder}` has no `{split}/` sub-folder of class folders.", icon=":material/folder_off:")
            return None
        return f"imagefolder:{Path(folder).expanduser()}"
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
    ident = f"{run.path.resolve()}|{run.checkpoint.stat().st_mtime}|{settings}"
    return f"{kind}-{hashlib.sha1(ident.encode()).hexdigest()[:16]}"


def start_button(label: str, key: str, what: str, pair, keys: dict[str, str], argv: list[str]) -> None:
    """A button that starts ``python -m resnet_viz ARGV --model M --weights <checkpoint>`` for both twins."""
    if st.button(label, key=key, type="primary"):
        with friendly_errors(what):
            for m, r in pair.runs.items():
                start_probe(keys[m], [*argv, "--model", m, "--weights", str(r.checkpoint)])


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
    return all(s["state"] == "finished" for s in states.values())


# ----------------------------------------------------------------------------- lesion study

def lesion_tab() -> None:
    st.markdown("**Delete one block of a trained network. Does it still work?** (Veit et al. 2016)")
    if not pairs:
        no_twins()
    else:
        c1, c2 = st.columns([3, 2])
        pair = pairs[c1.selectbox("Trained twins", list(pairs), key="lesion_pair", **URL)]
        shipped = {n: stored(r, "lesion") for n, r in pair.runs.items()}
        have_stored = all(shipped.values())
        modes = (["stored results"] if have_stored else []) + ["compute now"]
        mode = c2.radio("Results", modes, horizontal=True, key="lesion_mode",
                        help="Stored results ship with the app (or were saved when computed for a local run).")
        results: dict[str, LesionResult] = {}
        if mode == "stored results":
            results = {n: LesionResult.from_json(d) for n, d in shipped.items()}
        else:
            d1, d2, d3 = st.columns([2, 1, 1])
            data = data_choice(d1, pair, "lesion_data", "test")
            n = d2.select_slider("Test images", options=[100, 200, 500, 1000, 2000], value=500, key="lesion_n")
            draws = d3.select_slider("Random draws", options=[0, 1, 2, 3], value=0, key="lesion_draws",
                                     help="Also delete k = 1, 2, ... random blocks at once, this many random "
                                          "sets per k (slower)")
            if data:
                keys = {m: probe_key("lesion", r, (data, n, draws)) for m, r in pair.runs.items()}
                st.caption(f"Each net is evaluated once per removable block on {n} class-balanced test images, in "
                           "the background: you can leave the page and come back.")
                start_button("Run the lesion study", "lesion_run", "Lesion study", pair, keys,
                             ["lesion", f"--data={data}", "--limit", str(n), "--random-draws", str(draws)])
                if probe_panel("Lesion study", keys):
                    with friendly_errors("Lesion study"):
                        for m, r in pair.runs.items():
                            got = LesionResult.from_json(json.loads(probe_paths(keys[m])[0].read_text()))
                            results[m] = got
                            if data == data_for(r) and n >= 1000 and not draws and stored(r, "lesion") is None:
                                store(r, "lesion", got.to_json())  # keep it beside a local run
        n_classes = (read_json(pair.resnet.path / "model.json", {}) or {}).get("num_classes", 10)
        if results:
            show_figure(lesion_blocks(results, chance=100 * (1 - 1 / n_classes)), width="stretch",
                        key="lesion_plot")
            plain = next((r for n, r in results.items() if n.startswith("plain")), None)
            res = next((r for n, r in results.items() if n.startswith("resnet")), None)
            takeaway(describe_lesions(plain, res, n_classes=n_classes))
            chance = 100 * (1 - 1 / n_classes)
            if any(r.random for r in results.values()):
                show_figure(lesion_curve(results, "k", xtitle="number of blocks removed at random (not the "
                                         "downsampling ones)", chance=chance), key="lesion_k")
            if any(r.reorder for r in results.values()):
                show_figure(lesion_curve(results, "swaps", xtitle="pairs of same-stage blocks swapped",
                                         chance=chance), key="lesion_swaps")
            first = next(iter(results.values()))
            st.caption(f"Measured on {first.n_images} class-balanced test images of "
                       f"{first.extra.get('data', '?')} (seed {first.extra.get('seed', 0)}).")
        with st.expander("How to read this figure"):
            st.markdown(
                "Each point is the test error of the trained network with **one** block deleted (x axis: which one, "
                "input side on the left); the dotted line is the intact network's error. In a ResNet a deleted "
                "block leaves its skip connection: the block's input is passed on unchanged (at a downsampling "
                "block, the shortcut's subsample-and-pad). A plain block has no skip: it is replaced by "
                "the identity, which is impossible where it changes the resolution (marked *cannot remove*). "
                f"Diamonds are downsampling blocks. Chance for {n_classes} classes is "
                f"{100 * (1 - 1 / n_classes):.0f} % error.")
        with st.expander("Go deeper"):
            st.markdown(
                "- Veit, Wilber, Belongie (2016), *Residual Networks Behave Like Ensembles of Relatively Shallow "
                "Networks*: deleting single blocks of a ResNet-110 at test time barely changes its CIFAR-10 error, "
                "except at downsampling blocks, while a VGG-style net fails completely; the error grows smoothly "
                "with the number of blocks deleted, and swapping blocks hurts little. They read this as: a ResNet "
                "with n blocks is a collection of 2^n paths of different lengths, and most gradient flows through "
                "the short ones.\n"
                "- Reproduce: `python -m resnet_viz lesion --model resnet56 --weights assets/runs/<run>/"
                "model.safetensors --data cifar10 --limit 1000 --random-draws 3 --json`.")


# ----------------------------------------------------------------------------- shattered gradients

@st.cache_data(max_entries=32, show_spinner=False)
def shattered_lines(models: tuple[tuple[str, str, float], ...], seed: int, n: int, ends: tuple[str, str]) -> dict:
    """Input gradients along the line for each (arch, weights, file mtime): "init" builds the net fresh from
    ``seed``; the mtime makes a retrained checkpoint a new cache entry."""
    from resnet_viz.models.weights import load_model
    from resnet_viz.probes.gradients import build_at_init
    from resnet_viz.probes.shattered import line_gradients, line_inputs, photo_endpoints, summarise

    lines, rows = {}, []
    with compute_slot():
        for arch, weights, _mtime in models:
            if weights == "init":
                model, a_b, bn = build_at_init(arch, seed=seed), photo_endpoints(ends), "calibrate"
            else:
                lm = load_model(arch, weights)
                model, a_b, bn = lm.model, photo_endpoints(ends, transform=lm.transforms()), "eval"
            lg = line_gradients(model, line_inputs(*a_b, n), bn=bn, name=arch, private=weights == "init",
                                keep_grads=False)
            lines[arch] = lg
            depth = int(arch.removeprefix("plain").removeprefix("resnet"))
            rows.append(summarise(arch, [lg], depth=depth, skip=arch.startswith("resnet"),
                                  weights="init" if weights == "init" else "trained", line="photos",
                                  line_ends=list(ends), span=1.0, options={}))
    return {"lines": lines, "rows": rows}


def shatter_tab() -> None:
    from resnet_viz.data.samples import PHOTOS
    from resnet_viz.figures.plots import autocorrelation, line_gradient_curves, shattering_vs_depth
    from resnet_viz.probes.shattered import describe_shattering
    from resnet_viz.runs.why import shipped_study

    st.markdown("**Does the gradient change smoothly as the input changes?** (Balduzzi et al. 2017)")
    s1, s2, s3, s4, s5 = st.columns([1.3, 1.6, 1.2, 1.2, 1])
    when = s1.radio("Weights", ["at initialisation", "trained"], key="sh_weights", **URL,
                    disabled=not pairs, help="Trained: the twins of a finished training run (shipped or yours).")
    if when == "trained" and pairs:
        tp = pairs[s2.selectbox("Trained twins", list(pairs), key="sh_pair", **URL)]
        models = tuple((n, str(r.checkpoint), r.checkpoint.stat().st_mtime) for n, r in tp.runs.items())
        seed = 0
    else:
        depth = s2.select_slider("Depth (layers)", options=[20, 32, 44, 56, 110], value=56, key="sh_depth", **URL)
        seed = int(s5.number_input("Seed", min_value=0, max_value=9999, value=0, key="sh_seed", **URL))
        models = ((f"plain{depth}", "init", 0.0), (f"resnet{depth}", "init", 0.0))
    photos = list(PHOTOS)
    end_a = s3.selectbox("From", photos, index=0, key="sh_a", **URL)
    end_b = s3.selectbox("To", photos, index=1, key="sh_b", **URL)
    n = s4.select_slider("Points on the line", options=[64, 128, 256, 512], value=256, key="sh_n", **URL)
    if end_a == end_b:
        st.warning("Pick two different images: the line between an image and itself is a single point.")
    else:
        with friendly_errors("Shattered gradients"):
            with st.spinner(f"Input gradients of both nets at {n} points (or waiting for a free compute slot)..."):
                got = shattered_lines(models, seed, n, (end_a, end_b))
            lines = got["lines"]
            show_figure(line_gradient_curves(lines), width="stretch", key="sh_curves")
            study = shipped_study("shattered-init")
            show_figure(autocorrelation(lines, study["rows"] if study and when != "trained" else None),
                            width="stretch", key="sh_corr")
            takeaway(describe_shattering(got["rows"]))
    st.subheader("Against depth, at initialisation")
    study = shipped_study("shattered-init")
    if study:
        show_figure(shattering_vs_depth(study["rows"]), width="stretch", key="sh_depth_plot")
        takeaway(describe_shattering(study["rows"]))
        prov = study.get("provenance", {})
        st.caption(f"Shipped with the app: `{prov.get('command', '?')}` ({prov.get('date', '?')}).")
    else:
        st.caption("The precomputed depth study is missing (assets/why/shattered-init.json): "
                   "`python -m resnet_viz shattered --out assets/why/shattered-init.json`.")
    with st.expander("How to read these figures"):
        st.markdown(
            "The app walks in a straight line from one image to another (t = 0 is the first image, t = 1 the "
            "second) and at every point takes the gradient of the network's output (the logit of the class "
            "it predicts for the first image) with respect to the input pixels. **Top**: how fast that output "
            "changes along the line (df/dt), one panel per net, each on its own scale. **Middle**: the "
            "correlation between the full input gradients at two points `lag` steps apart (1 at lag 0). A "
            "smooth gradient stays correlated over many steps; a *shattered* one is uncorrelated already one "
            "step on, like white noise. The correlation length is where the curve crosses 1/e. **Bottom**: the "
            "correlation of neighbouring points against depth (mean over the initialisations named in the "
            "sentence below it; bars: min to max). "
            "Networks at initialisation have their BatchNorm statistics set from the line itself and then "
            "run in eval mode, so each point's gradient depends on that point alone.")
    with st.expander("Go deeper"):
        st.markdown(
            "- Balduzzi, Frean, Leary, Lewis, Ma, McWilliams (2017), *The Shattered Gradients Problem: If resnets "
            "are the answer, then what is the question?*: in feedforward nets the correlation between gradients "
            "at nearby inputs decays exponentially with depth, until they look like white noise; with skip "
            "connections it decays sublinearly. Gradients that carry no local information make gradient descent "
            "ineffective, which is one explanation of the degradation problem.\n"
            "- Balduzzi et al. measure networks at initialisation; choose *trained* above to measure trained "
            "twins the same way.\n"
            "- Reproduce: `python -m resnet_viz shattered --depths 20,56,110 --seeds 3 --n 256 --json`; trained: "
            "`python -m resnet_viz shattered --models plain20,resnet20 --weights shipped`.")


# ----------------------------------------------------------------------------- loss landscape

def land_tab() -> None:
    from resnet_viz.figures.plots import landscape_figure
    from resnet_viz.probes.landscape import LandscapeResult, describe_landscape

    st.markdown("**What does the loss look like around the trained weights?** (Li et al. 2018)")
    if not pairs:
        no_twins()
    else:
        l1, l2, l3 = st.columns([3, 1.4, 1])
        lpair = pairs[l1.selectbox("Trained twins", list(pairs), key="land_pair", **URL)]
        have = all(stored(r, "landscape") for r in lpair.runs.values())
        lmode = l2.radio("Results", (["stored results"] if have else []) + ["compute now"], horizontal=True,
                         key="land_mode")
        view = l3.radio("View", ["contour", "3-D surface"], key="land_view", **URL)
        land: dict[str, LandscapeResult] = {}
        if lmode == "stored results":
            land = {n: LandscapeResult.from_json(stored(r, "landscape")) for n, r in lpair.runs.items()}
        else:
            m1, m2, m3, m4, m5 = st.columns([2, 1, 1.2, 1.2, 1])
            ldata = data_choice(m1, lpair, "land_data", "train")
            dims = 2 if m2.radio("Slice", ["2-D", "1-D"], key="land_dims") == "2-D" else 1
            steps = m3.select_slider("Grid points per axis", options=[5, 9, 13, 17, 21, 25, 31, 41, 51],
                                     value=13 if dims == 2 else 41, key="land_steps")
            images = m4.select_slider("Images", options=[32, 64, 128, 256, 512, 1024], value=128, key="land_images")
            span = m5.select_slider("Span", options=[0.25, 0.5, 1.0, 2.0], value=1.0, key="land_span")
            if ldata:
                keys = {n: probe_key("landscape", r, (ldata, dims, steps, span, images)) for n, r in lpair.runs.items()}
                points = steps ** dims
                speed = [LandscapeResult.from_json(d) for r in lpair.runs.values() if (d := stored(r, "landscape"))]
                eta = ""
                if len(speed) == len(keys) and all(r.points_per_second > 0 and r.n_images for r in speed):
                    minutes = sum(points * images / (r.points_per_second * r.n_images) for r in speed) / 60
                    eta = f" At the speed the stored landscapes were computed, about {minutes:.0f} minutes."
                st.caption(f"{len(keys) * points} grid points x {images} images.{eta} It runs in the background: "
                           "you can leave the page and come back.")
                start_button("Compute the landscapes", "land_run", "Loss landscape", lpair, keys,
                             ["landscape", f"--data={ldata}", "--dims", str(dims), "--steps", str(steps), "--span",
                              str(span), "--images", str(images)])
                if probe_panel("Loss landscape", keys):
                    with friendly_errors("Loss landscape"):
                        land = {n: LandscapeResult.load(probe_paths(k)[0]) for n, k in keys.items()}
                        for n, r in lpair.runs.items():
                            if (ldata == data_for(r) and land[n].dims == 2 and land[n].steps >= 21
                                    and stored(r, "landscape") is None):
                                store(r, "landscape", land[n].to_json())  # keep it beside a local run
        if land:
            show_figure(landscape_figure(land, view="surface" if view == "3-D surface" else "contour"),
                            width="stretch", key="land_plot")
            lp = next((r for n, r in land.items() if n.startswith("plain")), None)
            lr = next((r for n, r in land.items() if n.startswith("resnet")), None)
            if lp and lr:
                takeaway(describe_landscape(lp, lr))
            any_r = next(iter(land.values()))
            st.caption(f"{any_r.steps} points per axis in [-{any_r.span:g}, {any_r.span:g}], {any_r.n_images} training "
                       f"images of {any_r.settings.get('data', '?')}, directions from seed {any_r.seed}; "
                       f"{any_r.seconds:.0f} s ({any_r.points_per_second:.1f} points/s). "
                       f"Command: `{any_r.settings.get('command', '')}`")
        with st.expander("How to read this figure"):
            st.markdown(
                "The trained weights are the centre (the white cross). Each axis moves *all* the weights along one "
                "random direction, scaled filter by filter to the size of the trained filters (a = 1 is a step as "
                "large as each filter itself); BatchNorm parameters stay put. The colour is the training loss "
                "there (log scale, the same colours for both nets), measured on a fixed set of training images "
                "with the network in evaluation mode. A wide, round bowl means small changes of the weights "
                "change the loss smoothly; many separate pits and ridges make gradient descent's job hard.")
        with st.expander("Go deeper"):
            st.markdown(
                "- Li, Xu, Taylor, Studer, Goldstein (2018), *Visualizing the Loss Landscape of Neural Nets*: with "
                "filter-normalised directions, ResNet-56's loss surface on CIFAR-10 is a smooth, nearly convex "
                "bowl, while the same net without skip connections has a chaotic surface; the chaos grows with "
                "depth (their Figure 5: 20, 56 and 110 layers).\n"
                "- Reproduce: `python -m resnet_viz landscape --model resnet56 --weights assets/runs/<run>/"
                "model.safetensors --data cifar10 --steps 21 --images 128 --json`.")


for tab, body in ((tab_lesion, lesion_tab), (tab_shatter, shatter_tab), (tab_land, land_tab)):
    with tab:
        if tab.open:  # only the open tab computes (the tab is part of the URL, so switching reruns)
            body()
