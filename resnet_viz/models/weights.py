"""Pretrained weights: torchvision, the reference CIFAR checkpoints, the app's own, local files.

Every loaded model comes with a ``ModelMeta`` (architecture, class names, preprocessing,
provenance) so nothing downstream guesses. Sources, by the ``weights`` string:

  None / "default"   the best weights available for the model (see ``default_weights``)
  "random"           the builder's initialisation (optionally ``norm``/``init``/``shortcut``)
  "imagenet", "DEFAULT", "IMAGENET1K_V1", ...
                     torchvision weights through the standard torch hub cache (``TORCH_HOME``):
                     downloaded when online; offline and not cached -> ``WeightsUnavailable``
                     naming the exact file and the folder to put it in
  "reference"        Idelbayev (2018) CIFAR-10 checkpoints (resnet20/32/44/56/110/1202), same cache
  "shipped"          the app's own trained CIFAR-10 checkpoints in ``assets/checkpoints``
  a path             ``.safetensors`` (+ optional JSON sidecar), or ``.pt/.pth/.th/.tar`` loaded with
                     ``weights_only=True`` only: a pickle that would run code is refused, never
                     loaded another way
"""

from __future__ import annotations

import json
import os
import pickle
import re
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from resnet_viz.env import assets_dir, can_reach, forced_offline, hub_checkpoint_dir
from resnet_viz.i18n import Msg, PluralMsg, joined
from resnet_viz.models.names import source_text
from resnet_viz.models.registry import IMAGENET_MEAN, IMAGENET_STD, ModelInfo, get_info

REFERENCE_URL = "https://github.com/akamaster/pytorch_resnet_cifar10/raw/master/pretrained_models/"
# Idelbayev (2018), "Proper ResNet Implementation for CIFAR10/CIFAR100 in PyTorch" (BSD-2-Clause).
# File names carry the first 8 hex digits of the file's sha256 (torch.hub convention).
REFERENCE_FILES = {
    "resnet20": "resnet20-12fca82f.th",
    "resnet32": "resnet32-d509ac18.th",
    "resnet44": "resnet44-014dd654.th",
    "resnet56": "resnet56-4bfd9763.th",
    "resnet110": "resnet110-1d1ed7c2.th",
    "resnet1202": "resnet1202-f3b1deed.th",
}
# Published test error of those checkpoints on the original CIFAR-10 (Idelbayev's README).
REFERENCE_ERRORS = {"resnet20": 8.27, "resnet32": 7.37, "resnet44": 6.90, "resnet56": 6.61,
                    "resnet110": 6.32, "resnet1202": 6.18}
SHIPPED_DIR = "runs"  # inside assets/: the shipped training runs, each with model.safetensors


class WeightsError(ValueError):
    """A weights file that cannot be used: unreadable, unsafe, or for another architecture. Its message is a
    ``Msg`` (English as a value, in the language of the session that shows it)."""


class WeightsUnavailable(RuntimeError):
    """Weights that would be downloaded, but there is no network and no cached copy (a ``Msg`` message that names
    the missing file and where to put it)."""



@dataclass
class ModelMeta:
    """What a loaded model is, like torchvision's ``weights.meta``."""

    arch: str
    num_classes: int
    categories: list[str] | None
    input_size: int  # side of the square the model sees
    resize_size: int  # shorter side is resized to this, then centre-cropped to input_size
    mean: tuple[float, ...] = IMAGENET_MEAN
    std: tuple[float, ...] = IMAGENET_STD
    source: str = "random"  # human-readable: where the weights came from (a Msg where load_model wrote it)
    options: dict[str, Any] = field(default_factory=dict)  # builder options (norm, shortcut, ...)
    metrics: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ModelMeta:
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        for k in ("mean", "std"):
            if k in known:
                known[k] = tuple(known[k])
        return cls(**known)


@dataclass
class LoadedModel:
    """A model in eval mode with its metadata. Treat ``model`` as read-only when shared."""

    model: nn.Module
    meta: ModelMeta
    info: ModelInfo

    def transforms(self) -> Callable:
        return make_transform(self.meta)

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device


def make_transform(meta: ModelMeta) -> Callable:
    """PIL RGB image -> normalised float tensor (3, S, S): resize shorter side, centre crop."""
    from torchvision.transforms import v2

    return v2.Compose([
        v2.ToImage(),
        v2.Resize(meta.resize_size, interpolation=v2.InterpolationMode.BILINEAR, antialias=True),
        v2.CenterCrop(meta.input_size),
        v2.ToDtype(torch.float32, scale=True),
        v2.Normalize(mean=list(meta.mean), std=list(meta.std)),
    ])


def _imagenet_categories() -> list[str]:
    from torchvision.models import ResNet18_Weights

    return list(ResNet18_Weights.IMAGENET1K_V1.meta["categories"])  # shipped in torchvision, no download


def _base_meta(info: ModelInfo, num_classes: int | None = None, categories: list[str] | None = None) -> ModelMeta:
    n = num_classes or info.num_classes
    cats = categories if categories is not None else (info.default_categories if n == info.num_classes else None)
    if cats is None and info.family != "cifar" and n == 1000:
        cats = _imagenet_categories()
    resize = info.input_size if info.family == "cifar" else 256
    return ModelMeta(arch=info.name, num_classes=n, categories=cats, input_size=info.input_size,
                     resize_size=resize)


# ----------------------------------------------------------------------------- state dicts

def read_state_dict(path: str | os.PathLike) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Read a checkpoint file safely; returns ``(state_dict, extra)``.

    ``extra`` holds metadata found beside or inside the file (sidecar JSON, ``best_prec1``).
    Known formats: bare state dicts; ``{"state_dict": ...}`` / ``{"model": ...}`` wrappers;
    ``module.`` (DataParallel) and ``_orig_mod.`` (torch.compile) prefixes.
    """
    path = Path(path)
    if not path.is_file():
        raise WeightsError(Msg("weights file not found: {path}", path=str(path)))
    extra: dict[str, Any] = {}
    if path.suffix == ".safetensors":
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        try:
            sd = load_file(str(path), device="cpu")
        except (SafetensorError, OSError, ValueError) as e:
            raise WeightsError(Msg("{name} is not a readable safetensors file ({error})", name=path.name,
                                   error=str(e))) from None
        sidecar = path.with_suffix(".json")
        if sidecar.is_file():
            try:
                extra["meta"] = json.loads(sidecar.read_text())
            except (OSError, json.JSONDecodeError) as e:
                raise WeightsError(Msg("the metadata file {name} is not valid JSON ({error})", name=sidecar.name,
                                       error=str(e))) from None
    else:
        try:
            obj = torch.load(path, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError:
            with open(path, "rb") as f:
                head = f.read(2)
            # a zip (torch.save) or a pickle stream (b"\x80" + protocol) that the safe unpickler
            # refused holds objects other than tensors; anything else is simply not a checkpoint
            if not (head == b"PK" or (head[:1] == b"\x80" and head[1:2] in b"\x02\x03\x04\x05")):
                raise WeightsError(Msg("{name} is not a readable PyTorch checkpoint", name=path.name)) from None
            raise WeightsError(Msg(
                "refused to load {name}: it contains Python objects that could run code when loaded (only tensors "
                "are accepted, weights_only=True). Save a plain state_dict or a .safetensors file instead.",
                name=path.name)) from None
        except Exception as e:  # noqa: BLE001 - zip/pickle garbage, truncated files, ...
            raise WeightsError(Msg("{name} is not a readable PyTorch checkpoint ({error})", name=path.name,
                                   error=type(e).__name__)) from None
        if isinstance(obj, dict):
            for key in ("best_prec1", "epoch", "acc", "best_acc"):
                if key in obj and isinstance(obj[key], (int, float)):
                    extra[key] = float(obj[key])
            for key in ("state_dict", "model_state_dict", "model"):
                if isinstance(obj.get(key), dict):
                    obj = obj[key]
                    break
        if not isinstance(obj, dict) or not obj or not all(isinstance(v, torch.Tensor) for v in obj.values()):
            raise WeightsError(Msg("{name} holds no state dict (a mapping of names to tensors)", name=path.name))
        sd = obj
    sd = {_strip_prefixes(k): v for k, v in sd.items()}
    return sd, extra


def _strip_prefixes(key: str) -> str:
    for prefix in ("module.", "_orig_mod."):
        while key.startswith(prefix):
            key = key[len(prefix):]
    return key


def adapt_state_dict(sd: dict[str, torch.Tensor], model: nn.Module) -> dict[str, torch.Tensor]:
    """Rename known reference layouts to ours: Idelbayev's ``linear.`` is our ``fc.``;
    missing BatchNorm ``num_batches_tracked`` counters are filled with 0."""
    own = model.state_dict()
    if "fc.weight" in own and "linear.weight" in sd and "fc.weight" not in sd:
        sd = {("fc." + k[len("linear."):] if k.startswith("linear.") else k): v for k, v in sd.items()}
    for k in own:
        if k.endswith("num_batches_tracked") and k not in sd:
            sd[k] = torch.zeros((), dtype=torch.long)
    return sd


def check_fits(sd: dict[str, torch.Tensor], model: nn.Module, arch: str) -> None:
    """Raise one clear ``WeightsError`` if ``sd`` is not a state dict of this architecture."""
    own = model.state_dict()
    missing = [k for k in own if k not in sd]
    unexpected = [k for k in sd if k not in own]
    wrong = [k for k in own if k in sd and tuple(own[k].shape) != tuple(sd[k].shape)]
    if not (missing or unexpected or wrong):
        return
    head = [k for k in wrong if k.endswith(("fc.weight", "fc.bias", "classifier.weight", "head.weight"))]
    if head and len(wrong) == len(head) and not missing and not unexpected:
        k = head[0]
        raise WeightsError(Msg("the checkpoint's classifier has {n} classes but {arch} is built for {expected}",
                               n=int(sd[k].shape[0]), arch=arch, expected=int(own[k].shape[0])))
    guess = guess_architecture(sd)
    parts = []
    if missing:
        # TRANSLATORS: parameters the architecture has but the checkpoint lacks ("e.g." gives one name)
        parts.append(PluralMsg("{n} missing (e.g. {key})", "{n} missing (e.g. {key})", len(missing), key=missing[0]))
    if unexpected:
        parts.append(PluralMsg("{n} unexpected (e.g. {key})", "{n} unexpected (e.g. {key})", len(unexpected),
                               key=unexpected[0]))
    if wrong:
        parts.append(PluralMsg("{n} with other shapes (e.g. {key}: {shape} vs {expected})",
                               "{n} with other shapes (e.g. {key}: {shape} vs {expected})", len(wrong), key=wrong[0],
                               shape=str(tuple(sd[wrong[0]].shape)), expected=str(tuple(own[wrong[0]].shape))))
    if guess and guess != arch:
        raise WeightsError(Msg("the checkpoint does not fit {arch}; it looks like a {guess} checkpoint: parameters "
                               "{parts}", arch=arch, guess=guess, parts=joined(parts, ", ")))
    raise WeightsError(Msg("the checkpoint does not fit {arch}: parameters {parts}", arch=arch,
                           parts=joined(parts, ", ")))


def guess_architecture(sd: dict[str, torch.Tensor]) -> str | None:
    """Best-effort name of the registered architecture a state dict belongs to (or None)."""
    blocks = {m.group(1, 2) for k in sd if (m := re.match(r"layer(\d)\.(\d+)\.", k))}
    if not blocks:
        return None
    per_stage = [sum(1 for s, _ in blocks if s == str(i)) for i in range(1, 5)]
    has_skip = any(".downsample." in k for k in sd)
    cifar_stem = "conv1.weight" in sd and sd["conv1.weight"].shape[0] == 16
    if per_stage[3] == 0 and len(set(per_stage[:3])) == 1 and cifar_stem:
        depth = 6 * per_stage[0] + 2
        return (Msg("resnet{depth} or plain{depth} (CIFAR)", depth=depth) if not has_skip
                else Msg("resnet{depth} (CIFAR, option B/C)", depth=depth))
    bottleneck = any(k.endswith("conv3.weight") for k in sd)
    table = {(2, 2, 2, 2, False): 18, (3, 4, 6, 3, False): 34, (3, 4, 6, 3, True): 50,
             (3, 4, 23, 3, True): 101, (3, 8, 36, 3, True): 152}
    d = table.get((*per_stage, bottleneck))
    if d is None:
        return None
    return f"resnet{d}" if has_skip else f"plain{d}"


# ----------------------------------------------------------------------------- sources

def reference_path(arch: str) -> Path | None:
    """Local copy of a reference CIFAR checkpoint: the hub cache, then ``RESNET_VIZ_WEIGHTS_DIRS``."""
    fname = REFERENCE_FILES.get(arch)
    if fname is None:
        return None
    for d in [hub_checkpoint_dir(), *_extra_dirs()]:
        if (d / fname).is_file():
            return d / fname
    return None


def _extra_dirs() -> list[Path]:
    """Folders listed in ``RESNET_VIZ_WEIGHTS_DIRS`` (os.pathsep-separated), searched for known files."""
    return [Path(p) for p in os.environ.get("RESNET_VIZ_WEIGHTS_DIRS", "").split(os.pathsep) if p]


def fetch_reference(arch: str) -> Path:
    """Local path of the reference checkpoint, downloading it into the hub cache when online."""
    if arch not in REFERENCE_FILES:
        raise WeightsError(Msg("there is no reference checkpoint for {arch}; reference CIFAR-10 checkpoints exist "
                               "for {archs}", arch=arch, archs=", ".join(REFERENCE_FILES)))
    local = reference_path(arch)
    if local is not None:
        return local
    fname = REFERENCE_FILES[arch]
    url = REFERENCE_URL + fname
    dest = hub_checkpoint_dir() / fname
    if forced_offline() or not can_reach(url):
        raise WeightsUnavailable(Msg(
            "the reference checkpoint {file} is not cached and there is no network: download {url} and put it in "
            "{folder}/ (or in a folder listed in RESNET_VIZ_WEIGHTS_DIRS)", file=fname, url=url,
            folder=str(dest.parent)))
    dest.parent.mkdir(parents=True, exist_ok=True)
    torch.hub.download_url_to_file(url, str(dest), hash_prefix=fname.split("-")[1].split(".")[0], progress=False)
    return dest


def torchvision_weights(info: ModelInfo, which: str = "DEFAULT"):
    """The torchvision weights enum member for ``info`` (``DEFAULT``, ``IMAGENET1K_V1``, ...)."""
    from torchvision.models import get_model_weights

    if info.tv_name is None:
        if not info.skip:
            raise WeightsError(Msg("{arch} has no torchvision pretrained weights (a plain twin is only ever trained "
                                   "here, from scratch)", arch=info.name))
        raise WeightsError(Msg("{arch} has no torchvision pretrained weights", arch=info.name))
    enum = get_model_weights(info.tv_name)
    key = "DEFAULT" if which.lower() in ("imagenet", "default", "pretrained") else which
    try:
        return enum[key] if key != "DEFAULT" else enum.DEFAULT
    except KeyError:
        raise WeightsError(Msg("{arch} has no torchvision weights {which}; available: {available}", arch=info.name,
                               which=repr(which), available=", ".join(w.name for w in enum))) from None


def torchvision_cached_path(w) -> Path:
    return hub_checkpoint_dir() / os.path.basename(w.url)


def load_torchvision_state(info: ModelInfo, which: str = "DEFAULT") -> tuple[dict[str, torch.Tensor], Any]:
    w = torchvision_weights(info, which)
    path = torchvision_cached_path(w)
    if not path.is_file():
        for d in _extra_dirs():
            if (d / path.name).is_file():
                return torch.load(d / path.name, map_location="cpu", weights_only=True), w
        if forced_offline() or not can_reach(w.url):
            enum_name = f"{type(w).__name__}.{w.name}"
            raise WeightsUnavailable(Msg(
                "ImageNet weights for {arch} ({weights}) are not cached and there is no network: download {url} and "
                "put it at {path}", arch=info.name, weights=enum_name, url=w.url, path=str(path)))
    return w.get_state_dict(progress=False, check_hash=True), w


def shipped_path(arch: str) -> Path | None:
    """The app's own trained checkpoint for ``arch``: ``assets/runs/<arch>-<tag>/model.safetensors``
    (the runs shipped with the app; see ``scripts/train_shipped_runs.sh``)."""
    found = sorted((assets_dir() / SHIPPED_DIR).glob(f"{arch}-*/model.safetensors"))
    return found[0] if found else None


def default_weights(arch: str) -> str:
    """What ``weights=None`` means: shipped, then reference (CIFAR); torchvision DEFAULT (ImageNet
    ResNets and zoo); random for the ImageNet plain twins, which have no pretrained weights."""
    info = get_info(arch)
    if info.family == "cifar":
        if shipped_path(arch):
            return "shipped"
        if arch in REFERENCE_FILES:
            return "reference"
        raise WeightsUnavailable(Msg(
            "no trained weights for {arch} are shipped or cached; pass --weights FILE, --weights random, or use a "
            "model with reference weights ({archs})", arch=arch, archs=", ".join(REFERENCE_FILES)))
    return "DEFAULT" if info.tv_name else "random"


def available_weights(arch: str) -> dict[str, str]:
    """Which named weights of ``arch`` can be loaded right now, without network: {source: detail}."""
    info = get_info(arch)
    out: dict[str, str] = {"random": "initialisation only"}
    if shipped_path(arch):
        out["shipped"] = str(shipped_path(arch))
    if reference_path(arch):
        out["reference"] = str(reference_path(arch))
    if info.tv_name:
        w = torchvision_weights(info)
        if torchvision_cached_path(w).is_file() or any((d / torchvision_cached_path(w).name).is_file()
                                                          for d in _extra_dirs()):
            out["DEFAULT"] = str(torchvision_cached_path(w))
    return out


def load_model(
    arch: str,
    weights: str | os.PathLike | None = None,
    *,
    device: str | torch.device = "cpu",
    num_classes: int | None = None,
    categories: list[str] | None = None,
    **options: Any,
) -> LoadedModel:
    """Build ``arch``, load ``weights`` (see module docstring) and return it in eval mode.

    ``options`` are builder options (``norm``, ``init``, ``shortcut`` for CIFAR nets).
    Raises ``WeightsError`` (bad or mismatched file) or ``WeightsUnavailable`` (offline).
    """
    info = get_info(arch)
    source = weights
    if weights is None or (info.family == "cifar" and str(weights).lower() == "default"):
        source = default_weights(arch)
    extra: dict[str, Any] = {}
    meta = _base_meta(info, num_classes, categories)
    if isinstance(source, str) and source.lower() == "random":
        model = info.build(**options, **({"num_classes": num_classes} if num_classes else {}))
        meta.source = Msg("random initialisation")
        meta.options = dict(options)
    else:
        if isinstance(source, str) and source.lower() == "reference":
            path = fetch_reference(arch)
            sd, extra = read_state_dict(path)
            meta.source = Msg("reference checkpoint {file} (Idelbayev 2018)", file=path.name)
            meta.metrics = {"published_test_error_pct": REFERENCE_ERRORS[arch]}
            meta.provenance = {"url": REFERENCE_URL + path.name, "license": "BSD-2-Clause"}
        elif isinstance(source, str) and source.lower() == "shipped":
            path = shipped_path(arch)
            if path is None:
                raise WeightsUnavailable(Msg("no shipped checkpoint for {arch} in {folder}", arch=arch,
                                             folder=str(assets_dir() / SHIPPED_DIR)))
            sd, extra = read_state_dict(path)
        elif isinstance(source, str) and info.family != "cifar" and not _looks_like_path(source):
            sd, w = load_torchvision_state(info, source)
            meta.categories = list(w.meta["categories"])
            tf = w.transforms()
            meta.input_size, meta.resize_size = int(tf.crop_size[0]), int(tf.resize_size[0])
            meta.mean, meta.std = tuple(tf.mean), tuple(tf.std)
            meta.source = f"torchvision {type(w).__name__}.{w.name}"
            meta.metrics = {k: v for k, v in w.meta.get("_metrics", {}).get("ImageNet-1K", {}).items()}
            meta.provenance = {"url": w.url, "recipe": w.meta.get("recipe")}
        else:
            path = Path(source)
            if not _looks_like_path(str(source)) and not path.exists():
                raise WeightsError(Msg("unknown weights {weights} for {arch}: use random, reference, shipped, "
                                       "imagenet/DEFAULT (ImageNet models) or a .safetensors/.pt/.pth/.th file",
                                       weights=repr(str(source)), arch=arch))
            sd, extra = read_state_dict(path)
            # TRANSLATORS: where a model's weights come from: a file the user gave
            meta.source = Msg("file {file}", file=path.name)
            if path.name == REFERENCE_FILES.get(arch):
                meta.source = Msg("reference checkpoint {file} (Idelbayev 2018)", file=path.name)
                meta.metrics = {"published_test_error_pct": REFERENCE_ERRORS[arch]}
        if "meta" in extra:  # the app's own checkpoints describe themselves
            saved = ModelMeta.from_json(extra["meta"])
            if saved.arch != arch:
                raise WeightsError(Msg("the checkpoint is for {saved}, not {arch}", saved=saved.arch, arch=arch))
            options = {**saved.options, **options}
            saved.source = source_text(saved.source) or meta.source
            meta = saved
        elif "best_prec1" in extra:
            meta.metrics = {**meta.metrics, "best_prec1": extra["best_prec1"]}
        n = meta.num_classes if "meta" in extra else (num_classes or info.num_classes)
        if categories is not None:
            meta.categories = categories
        model = info.build(**options, **({"num_classes": n} if n != info.num_classes else {}))
        sd = adapt_state_dict(dict(sd), model)
        check_fits(sd, model, arch)
        model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in sd.items()})
        meta.options = dict(options)
    model.eval().to(device)
    return LoadedModel(model=model, meta=meta, info=info)


def _looks_like_path(s: str) -> bool:
    return os.sep in s or "/" in s or s.endswith((".safetensors", ".pt", ".pth", ".th", ".tar", ".bin"))


def save_checkpoint(model: nn.Module, meta: ModelMeta, path: str | os.PathLike, *, half: bool = False) -> Path:
    """Save ``model`` as safetensors + a JSON sidecar with ``meta``, atomically.

    Both files are written to temporary names and moved into place with ``os.replace``, so a
    process killed mid-save leaves the previous checkpoint loadable. ``half=True`` stores
    floating tensors as fp16 (shipped checkpoints); they load back as fp32.
    """
    from safetensors.torch import save_file

    path = Path(path).with_suffix(".safetensors")
    path.parent.mkdir(parents=True, exist_ok=True)
    sd = {k: (v.detach().half() if half and v.is_floating_point() else v.detach()).contiguous().cpu()
          for k, v in model.state_dict().items()}
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(fd)
    fdj, tmpj = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(fdj)
    try:
        save_file(sd, tmp, metadata={"arch": meta.arch})
        Path(tmpj).write_text(json.dumps(meta.to_json(), indent=2))
        for t in (tmp, tmpj):
            os.chmod(t, 0o644)  # mkstemp makes 0600
        os.replace(tmpj, path.with_suffix(".json"))
        os.replace(tmp, path)
    finally:
        for t in (tmp, tmpj):
            if os.path.exists(t):
                os.unlink(t)
    return path
