"""The Architectures page's sentences, read off the real modules and the model-stats rows: what the shortcut of
a block is (``shortcut_label``), what the skip connection adds to a block and to the whole net
(``describe_twin_params``) and whether the parameter curves of a family's twins coincide (``params_caption``).
Every count comes from the modules or rows passed in. The sentences are ``Msg``: English values, drawn in the
session's language.
"""

from __future__ import annotations

from resnet_viz.figures.architecture import count
from resnet_viz.i18n import Msg, PluralMsg


def shortcut_label(block) -> Msg:
    """The shortcut path of a residual block as the block diagram labels it, with its parameter count."""
    downsample = getattr(block, "downsample", None)
    params = count(downsample)
    if downsample is None:
        return Msg("identity x (0 params)")
    if params == 0:
        return Msg("x[:, :, ::2, ::2] + zero channels (0 params)")
    conv = downsample[0]
    if conv.stride[0] != 1:
        return Msg("1x1 conv, stride {stride} + BN ({params:,} params)", stride=conv.stride[0], params=params)
    return Msg("1x1 conv + BN ({params:,} params)", params=params)


def describe_twin_params(names: tuple[str, str], models: tuple, blocks: tuple, shortcut: str) -> Msg:
    """The takeaway: the parameters of the ResNet and its plain twin (``names``, ``models`` and ``blocks`` in
    that order), in the block shown and in the whole net, and what the projection shortcuts add."""
    (res_name, plain_name), (res_model, plain_model) = names, models
    p_res, p_plain = count(res_model), count(plain_model)
    b_res, b_plain = count(blocks[0]), count(blocks[1])
    n_proj = sum(1 for m in res_model.modules() if getattr(m, "downsample", None) is not None and count(m.downsample))
    if p_res == p_plain:
        return Msg("This block has {block:,} parameters in both twins, and the whole {res} has exactly as many as "
                   "{plain} ({total:,}): with option {option} the skip connection adds no parameters, only the "
                   "addition of x.", block=b_res, res=res_name, plain=plain_name, total=p_res, option=shortcut)
    return PluralMsg(
        "{res} has {p_res:,} parameters and {plain} {p_plain:,}: the {n} projection shortcut add {extra:,} "
        "({pct:.2f} %). This block: {b_res:,} vs {b_plain:,}.",
        "{res} has {p_res:,} parameters and {plain} {p_plain:,}: the {n} projection shortcuts add {extra:,} "
        "({pct:.2f} %). This block: {b_res:,} vs {b_plain:,}.",
        n_proj, res=res_name, plain=plain_name, p_res=p_res, p_plain=p_plain, extra=p_res - p_plain,
        pct=100 * (p_res - p_plain) / p_plain, b_res=b_res, b_plain=b_plain)


def params_caption(rows: list[dict], family: str) -> Msg:
    """Whether the ResNet and plain parameter curves of ``family`` coincide, read off the model-stats rows."""
    params = {r["name"]: r["params"] for r in rows}
    same = all(r["params"] == params.get(r["twin"]) for r in rows if r["family"] == family and r["skip"])
    if same:
        return Msg("{family} family: the ResNet and plain curves lie on top of each other: every twin pair has "
                   "identical parameter counts.", family=family)
    return Msg("{family} family: the ResNet and plain curves differ only by the projection shortcuts' parameters.",
               family=family)
