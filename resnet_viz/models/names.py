"""Names: how a model is shown to a student, and how a run folder's name carries its model.

A run of model ``resnet56`` with tag ``fast12`` lives in the folder ``resnet56-fast12``; model names never
contain a ``-`` (see ``models.registry``), so the first ``-`` separates the two.
"""

from __future__ import annotations

import re

from resnet_viz.i18n import N_, Msg


def display_name(name: str) -> str:
    """plain56 -> Plain-56, resnet56 -> ResNet-56; any other name is returned as it is."""
    for prefix, nice in (("plain", "Plain-"), ("resnet", "ResNet-")):
        if name.startswith(prefix) and name[len(prefix):].isdigit():
            return nice + name[len(prefix):]
    return name


def run_name(model: str, tag: str) -> str:
    """The run folder's name of ``model`` trained as part of the set ``tag``: ``resnet56-fast12``."""
    return f"{model}-{tag}"


def split_run_name(name: str) -> tuple[str, str]:
    """``resnet56-fast12`` -> ``("resnet56", "fast12")``; a name without a tag gives ``(name, "")``."""
    model, _, tag = name.partition("-")
    return model, tag


# The data labels of shipped runs (``--data-label`` of ``train --export``): translated where they are shown.
DATA_LABELS = (N_("CIFAR-10 (JPEG copy)"),)
_SOURCE = re.compile(r"^(resnet-viz run|run) (\S+?)(?:, (fine-tuned from|linear probe on) (.+)|, (.+))?$")


def data_text(label: str) -> str:
    """A run's data label as the student reads it: a known label (``DATA_LABELS``) is a ``Msg``."""
    return Msg(label) if label in DATA_LABELS else label


def source_text(source: str | None) -> str | None:
    """Where a checkpoint's weights come from, as its metadata says it in English ("resnet-viz run resnet20-fast12,
    CIFAR-10 (JPEG copy)", "run my-pair, fine-tuned from ImageNet"), as a ``Msg`` drawn in the session's language;
    anything else as it is."""
    m = _SOURCE.match(source or "")
    if m is None or isinstance(source, Msg):
        return source
    shipped, name, how, pretrained, data = m.groups()
    if how == "fine-tuned from":
        return Msg("run {name}, fine-tuned from {pretrained}", name=name, pretrained=pretrained)
    if how == "linear probe on":
        return Msg("run {name}, linear probe on {pretrained}", name=name, pretrained=pretrained)
    if data:
        return Msg("resnet-viz run {name}, {data}", name=name, data=data_text(data))
    return Msg("resnet-viz run {name}", name=name) if shipped == "resnet-viz run" else Msg("run {name}", name=name)
