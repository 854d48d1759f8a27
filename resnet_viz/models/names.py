"""Names: how a model is shown to a student, and how a run folder's name carries its model.

A run of model ``resnet56`` with tag ``fast12`` lives in the folder ``resnet56-fast12``; model names never
contain a ``-`` (see ``models.registry``), so the first ``-`` separates the two.
"""

from __future__ import annotations


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
