"""Grad-CAM through the app's code path vs a bare captum call, and a whole classify-page rerun.

    python benchmarks/explain.py [--model resnet50] [--repeats 5]

(a) ``resnet_viz.probes.attribution.explain(..., "gradcam")`` (private copy from the pool, target
    resolution, captum LayerGradCam, bilinear upsampling, numpy) vs (b) a bare captum
    ``LayerGradCam(model, model.layer4[-1]).attribute(x, target, relu_attributions=True)`` plus the
    same upsampling, on the same model and image at 224x224 (target ratio <= 1.2);
(c) the page's work after an upload: decode (``load_image``), classify (top-5), Grad-CAM and the
    overlay figure (target under ~1.5 s for ResNet-50 on this CPU).
Weights do not change the cost: random weights are used when torchvision's are not cached.
"""

from __future__ import annotations

import argparse
import io

import torch
from _timing import median_time  # noqa: E402 - also puts the project on sys.path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="resnet50")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()

    from captum.attr import LayerAttribution, LayerGradCam

    from resnet_viz.data.images import load_image
    from resnet_viz.data.samples import photo
    from resnet_viz.env import configure_threads, device_summary
    from resnet_viz.figures.images import overlay
    from resnet_viz.models.weights import WeightsUnavailable, load_model
    from resnet_viz.probes.attribution import explain, normalise
    from resnet_viz.probes.inference import classify

    configure_threads()
    try:
        lm = load_model(args.model)
    except WeightsUnavailable:
        lm = load_model(args.model, "random")
    image = photo("cat (chelsea)")
    x = lm.transforms()(image).unsqueeze(0)
    target = int(lm.model(x).argmax(1))
    bare_model = lm.model  # the bare call on its own model object, as a user script would do
    layer = dict(bare_model.named_modules())["layer4.2" if args.model.startswith("resnet") else "layer4"]

    def app():
        explain(lm, x, "gradcam", target=target)

    def bare():
        with torch.enable_grad():
            cam = LayerGradCam(bare_model, layer).attribute(x, target=target, relu_attributions=True)
            LayerAttribution.interpolate(cam, (224, 224), interpolate_mode="bilinear")[0, 0].detach().numpy()

    buf = io.BytesIO()
    image.save(buf, format="JPEG")
    upload = buf.getvalue()

    def page():
        img = load_image(upload)
        classify(lm, img, top=5)
        xx = lm.transforms()(img).unsqueeze(0)
        att = explain(lm, xx, "gradcam")
        seen = (xx[0].permute(1, 2, 0).numpy() * 0 + 128).astype("uint8")
        overlay(seen, normalise(att.map)).to_json()

    t_app, t_bare, t_page = (median_time(f, args.repeats) for f in (app, bare, page))
    print(f"machine: {device_summary()}, torch {torch.__version__}; model {args.model} ({lm.meta.source}), 224x224")
    print(f"bare captum LayerGradCam      : {t_bare:7.3f} s")
    print(f"app explain('gradcam')        : {t_app:7.3f} s")
    print(f"ratio app / bare              : {t_app / t_bare:7.3f}   (target <= 1.2)")
    print(f"page rerun after an upload    : {t_page:7.3f} s   (decode, top-5, Grad-CAM, figure; target ~1.5 s)")


if __name__ == "__main__":
    main()
