"""The Architectures page's sentences, read off the real modules and the model-stats rows: what the shortcut of
a block is (``shortcut_label``), what the skip connection adds to a block and to the whole net
(``describe_twin_params``) and whether the parameter curves of a family's twins coincide (``params_caption``).
Every count comes from the modules or rows passed in.
"""

from __future__ import annotations

from resnet_viz.figures.architecture import count


def shortcut_label(block) -> str:
    """The shortcut path of a residual block as the block diagram labels it, with its parameter count."""
    downsample = getattr(block, "downsample", None)
    params = count(downsample)
    if downsample is None:
        return "identity x (0 params)"
    if params == 0:
        return "x[:, :, ::2, ::2] + zero channels (0 params)"
    conv = downsample[0]
    stride = f", stride {conv.stride[0]}" if conv.stride[0] != 1 else ""
    return f"1x1 conv{stride} + BN ({params:,} params)"


def describe_twin_params(names: tuple[str, str], models: tuple, blocks: tuple, shortcut: str) -> str:
    """The takeaway: the parameters of the ResNet and its plain twin (``names``, ``models`` and ``blocks`` in
    that order), in the block shown and in the whole net, and what the projection shortcuts add."""
    (res_name, plain_name), (res_model, plain_model) = names, models
    p_res, p_plain = count(res_model), count(plain_model)
    b_res, b_plain = count(blocks[0]), count(blocks[1])
    n_proj = sum(1 for m in res_model.modules() if getattr(m, "downsample", None) is not None and count(m.downsample))
    if p_res == p_plain:
        return (f"This block has {b_res:,} parameters in both twins, and the whole {res_name} has exactly as many "
                f"as {plain_name} ({p_res:,}): with option {shortcut} the skip connection adds no parameters, "
                f"only the addition of x.")
    return (f"{res_name} has {p_res:,} parameters and {plain_name} {p_plain:,}: the {n_proj} projection "
            f"shortcut{'s' if n_proj != 1 else ''} add {p_res - p_plain:,} "
            f"({100 * (p_res - p_plain) / p_plain:.2f} %). "
            f"This block: {b_res:,} vs {b_plain:,}.")


def params_caption(rows: list[dict], family: str) -> str:
    """Whether the ResNet and plain parameter curves of ``family`` coincide, read off the model-stats rows."""
    params = {r["name"]: r["params"] for r in rows}
    same = all(r["params"] == params.get(r["twin"]) for r in rows if r["family"] == family and r["skip"])
    return (f"{family} family: the ResNet and plain curves "
            + ("lie on top of each other: every twin pair has identical parameter counts." if same else
               "differ only by the projection shortcuts' parameters."))
