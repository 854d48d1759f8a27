"""Loss landscapes (Li et al. 2018): exact on models whose loss is known in closed form, safe on a
shared model, reproducible, and described by numbers read off the surface."""

from __future__ import annotations

import copy
import json
import math
import threading

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from resnet_viz.lessons import landscape as LL
from resnet_viz.models.registry import build_model
from resnet_viz.probes import landscape as L


def _init(name: str, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return build_model(name)


def _with_running_stats(model: nn.Module, x: torch.Tensor) -> nn.Module:
    """A few train-mode passes so BatchNorm running statistics are not the trivial 0 / 1."""
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(x)
    return model.eval()


@pytest.fixture(scope="module")
def shapes_batch() -> tuple[torch.Tensor, torch.Tensor]:
    x, y = L.landscape_batch("shapes:200", 16, seed=0)
    assert x.shape == (16, 3, 32, 32) and y.shape == (16,)
    return x, y


@pytest.fixture(scope="module")
def linear_problem():
    torch.manual_seed(0)
    model = nn.Linear(6, 4).double()
    x = torch.randn(32, 6, dtype=torch.float64)
    y = torch.randn(32, 4, dtype=torch.float64)
    return model, x, y


# ----------------------------------------------------------------------------- exact cases

def test_linear_mse_slice_is_an_exact_parabola(linear_problem):
    model, x, y = linear_problem
    r = L.loss_landscape(model, x, y, dims=1, steps=9, span=2.0, loss_fn=F.mse_loss, name="linear")
    assert r.betas is None and len(r.loss) == 9 and r.accuracy is None  # targets are not class labels
    a, z = np.array(r.alphas), np.array(r.loss)
    coef, res, *_ = np.polyfit(a, z, 2, full=True)
    assert float(res[0]) < 1e-18 * float(np.sum(z ** 2))  # residual ~ 0: exactly quadratic
    assert coef[0] > 0  # MSE of a linear model is convex along every line
    assert L.landscape_stats(r)["nonconvex_fraction"] == 0.0


def test_linear_mse_surface_is_a_convex_quadratic_form(linear_problem):
    model, x, y = linear_problem
    r = L.loss_landscape(model, x, y, dims=2, steps=7, span=1.5, loss_fn=F.mse_loss, seed=3)
    z = np.array(r.loss)  # (betas, alphas)
    b, a = np.meshgrid(r.betas, r.alphas, indexing="ij")
    design = np.stack([np.ones_like(a), a, b, a * a, a * b, b * b], -1).reshape(-1, 6)
    coef, *_ = np.linalg.lstsq(design, z.reshape(-1), rcond=None)
    assert np.abs(design @ coef - z.reshape(-1)).max() < 1e-10 * np.abs(z).max()
    hessian = np.array([[2 * coef[3], coef[4]], [coef[4], 2 * coef[5]]])
    assert np.linalg.eigvalsh(hessian).min() > -1e-9  # positive semi-definite
    stats = L.landscape_stats(r)
    assert stats["nonconvex_fraction"] == 0.0 and stats["concave_fraction"] == 0.0
    assert stats["local_minima"] <= 1


def test_directions_have_the_filter_norms_and_skip_batchnorm_and_biases():
    model = _init("resnet20")
    d = L.filter_normalized_direction(model, torch.Generator().manual_seed(0))
    params = dict(model.named_parameters())
    assert d.keys() == params.keys()
    moved = 0
    for name, p in params.items():
        assert d[name].shape == p.shape and d[name].dtype == p.dtype
        if p.dim() <= 1:  # BatchNorm weight/bias, fc.bias
            assert not d[name].any(), name
        else:
            w_norms = p.detach().reshape(p.shape[0], -1).norm(dim=1)
            d_norms = d[name].reshape(p.shape[0], -1).norm(dim=1)
            torch.testing.assert_close(d_norms, w_norms, rtol=1e-5, atol=1e-6)
            moved += 1
    assert moved == 20  # 19 convs + fc
    assert not d["fc.bias"].any() and not d["bn1.weight"].any()


def test_twins_get_the_same_random_draws():
    plain, res = _init("plain20", seed=1), _init("resnet20", seed=2)
    dp = L.filter_normalized_direction(plain, torch.Generator().manual_seed(5))
    dr = L.filter_normalized_direction(res, torch.Generator().manual_seed(5))
    assert dp.keys() == dr.keys()
    for name, u in dp.items():
        if u.dim() > 1:  # the same draw, each scaled to its own net's filters
            unit = lambda t: F.normalize(t.reshape(t.shape[0], -1), dim=1)  # noqa: E731
            torch.testing.assert_close(unit(u), unit(dr[name]), rtol=1e-5, atol=1e-6)


def test_grid_is_symmetric_with_an_exact_centre():
    g = L.grid(1.0, 21)
    assert g[10] == 0.0 and g[0] == -1.0 and g[-1] == 1.0
    assert all(g[i] == -g[-1 - i] for i in range(21))
    with pytest.raises(ValueError):
        L.grid(1.0, 1)


# ----------------------------------------------------------------------------- the model is never changed

def test_the_given_model_is_left_exactly_as_it_was(shapes_batch):
    x, y = shapes_batch
    model = _with_running_stats(_init("resnet20"), x).train()  # a model in train mode, with state
    model.conv1.weight.requires_grad_(False)
    model.fc.weight.grad = torch.randn_like(model.fc.weight)
    calls = []
    handle = model.layer1.register_forward_hook(lambda *_: calls.append(1))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    flags = {n: p.requires_grad for n, p in model.named_parameters()}
    grads = {n: None if p.grad is None else p.grad.clone() for n, p in model.named_parameters()}
    ptrs = {n: p.data_ptr() for n, p in model.named_parameters()}
    modes = [m.training for m in model.modules()]
    try:
        L.loss_landscape(model, x, y, dims=2, steps=3, span=0.5)
    finally:
        handle.remove()
    after = model.state_dict()
    assert before.keys() == after.keys()
    assert all(torch.equal(before[k], after[k]) for k in before)  # weights and BN running statistics
    assert {n: p.requires_grad for n, p in model.named_parameters()} == flags
    for n, p in model.named_parameters():
        assert (p.grad is None) if grads[n] is None else torch.equal(p.grad, grads[n]), n
    assert {n: p.data_ptr() for n, p in model.named_parameters()} == ptrs
    assert [m.training for m in model.modules()] == modes
    assert calls == []  # the model's own hook never saw the landscape's passes
    assert all(isinstance(m.bn1, nn.BatchNorm2d) for m in model.layer1)  # nothing folded in place


def test_concurrent_calls_on_one_model_match_the_serial_result(shapes_batch):
    x, y = shapes_batch
    model = _with_running_stats(_init("resnet20"), x)
    serial = L.loss_landscape(model, x[:8], y[:8], dims=1, steps=3, seed=1)
    results, errors = [None] * 3, []

    def work(i: int) -> None:
        try:
            results[i] = L.loss_landscape(model, x[:8], y[:8], dims=1, steps=3, seed=1)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(r.loss == serial.loss for r in results)


# ----------------------------------------------------------------------------- numbers

def test_same_seed_same_numbers_other_seed_other_numbers(shapes_batch):
    x, y = shapes_batch
    model = _init("resnet20")
    a = L.loss_landscape(model, x[:8], y[:8], dims=2, steps=3, seed=7)
    b = L.loss_landscape(model, x[:8], y[:8], dims=2, steps=3, seed=7)
    c = L.loss_landscape(model, x[:8], y[:8], dims=2, steps=3, seed=8)
    assert a.loss == b.loss and a.accuracy == b.accuracy
    assert a.loss[0] != c.loss[0]
    assert a.loss[1][1] == c.loss[1][1]  # the centre does not depend on the directions


@pytest.mark.parametrize("fold_bn", [True, False])
def test_centre_equals_a_direct_evaluation(shapes_batch, fold_bn):
    x, y = shapes_batch
    model = _with_running_stats(_init("resnet20"), x)
    r = L.loss_landscape(model, x, y, dims=2, steps=3, span=0.3, fold_bn=fold_bn)
    assert r.settings["folded_batchnorm"] == (19 if fold_bn else 0)
    with torch.inference_mode():
        logits = copy.deepcopy(model).eval()(x)
    assert r.loss[1][1] == pytest.approx(float(F.cross_entropy(logits, y)), rel=1e-5)
    assert r.accuracy[1][1] == float((logits.argmax(1) == y).float().mean())


def test_folded_and_unfolded_batchnorm_give_the_same_surface(shapes_batch):
    x, y = shapes_batch
    model = _with_running_stats(_init("plain20"), x)
    kw = dict(dims=2, steps=3, span=1.0, seed=2)
    folded = L.loss_landscape(model, x, y, fold_bn=True, **kw)
    plain = L.loss_landscape(model, x, y, fold_bn=False, channels_last=False, **kw)
    np.testing.assert_allclose(folded.loss, plain.loss, rtol=1e-4)


class _ConvUsedTwice(nn.Module):
    """A conv whose output feeds a BatchNorm *and* the addition: folding would be wrong here."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c = self.conv(x)
        return self.fc((self.bn(c) + c).mean((2, 3)))


def test_batchnorm_is_not_folded_where_that_would_change_the_output(shapes_batch):
    x, _ = shapes_batch
    torch.manual_seed(0)
    model = _with_running_stats(_ConvUsedTwice(), x)
    y = torch.arange(16) % 5
    folded = L.loss_landscape(model, x, y, dims=1, steps=5, fold_bn=True)
    unfolded = L.loss_landscape(model, x, y, dims=1, steps=5, fold_bn=False)
    assert folded.settings["folded_batchnorm"] == 0
    np.testing.assert_allclose(folded.loss, unfolded.loss, rtol=1e-6)


def test_chunks_and_progress(shapes_batch):
    x, y = shapes_batch
    model = _init("plain20")
    seen = []
    whole = L.loss_landscape(model, x, y, dims=1, steps=5, batch_size=256)
    chunked = L.loss_landscape(model, x, y, dims=1, steps=5, batch_size=5, progress=lambda d, t: seen.append((d, t)))
    np.testing.assert_allclose(chunked.loss, whole.loss, rtol=1e-5)
    assert chunked.accuracy == whole.accuracy
    assert seen == [(i, 5) for i in range(1, 6)]


def test_resnet20_and_plain20_at_init_on_shapes(shapes_batch):
    x, y = shapes_batch
    out = {}
    for name in ("plain20", "resnet20"):
        r = L.loss_landscape(_init(name), x, y, dims=2, steps=3, span=0.5, name=name)
        assert r.dims == 2 and r.points == 9 and r.n_images == 16 and r.seed == 0 and r.steps == 3
        assert len(r.loss) == 3 and all(len(row) == 3 for row in r.loss)
        assert len(r.accuracy) == 3 and all(0.0 <= v <= 1.0 for row in r.accuracy for v in row)
        assert all(math.isfinite(v) and v > 0 for row in r.loss for v in row)
        assert r.alphas == r.betas == [-0.5, 0.0, 0.5]
        assert r.seconds > 0 and r.points_per_second > 0
        out[name] = r
    text = LL.describe_landscape(out["plain20"], out["resnet20"])
    assert "Plain-20" in text and "ResNet-20" in text
    for name in ("plain20", "resnet20"):
        assert f"{L.landscape_stats(out[name])['centre_loss']:.3g}" in text


def test_json_round_trip(tmp_path, shapes_batch):
    x, y = shapes_batch
    r = L.loss_landscape(_init("resnet20"), x[:4], y[:4], dims=2, steps=3, name="resnet20")
    back = L.LandscapeResult.from_json(json.loads(json.dumps(r.to_json())))
    assert back == r and back.points_per_second == r.points_per_second
    assert L.LandscapeResult.load(r.save(tmp_path / "sub" / "land.json")) == r
    r.loss[0][0] = float("inf")
    r.loss[0][1] = float("nan")
    text = json.dumps(r.to_json(), allow_nan=False)  # strict JSON: non-finite numbers become null
    again = L.LandscapeResult.from_json(text)
    assert math.isnan(again.loss[0][0]) and math.isnan(again.loss[0][1]) and again.loss[1] == r.loss[1]
    one = L.loss_landscape(_init("resnet20"), x[:4], y[:4], dims=1, steps=3)
    assert L.LandscapeResult.from_json(one.to_json()) == one and one.dims == 1


# ----------------------------------------------------------------------------- words from numbers

def _synthetic(name: str, fn) -> L.LandscapeResult:
    g = L.grid(1.0, 15)
    z = [[fn(a, b) for a in g] for b in g]
    return L.LandscapeResult(model=name, alphas=g, betas=g, loss=z, accuracy=None, n_images=1, seed=0, span=1.0,
                             steps=15, seconds=1.0)


def test_stats_and_description_follow_the_numbers_either_way():
    bowl = lambda a, b: 0.2 + 3 * (a * a + b * b)  # noqa: E731
    rugged = lambda a, b: bowl(a, b) + 0.6 * math.cos(9 * a) * math.cos(9 * b)  # noqa: E731
    sb = L.landscape_stats(_synthetic("resnet20", bowl))
    assert sb["local_minima"] == 1 and sb["basin_fraction"] == 1.0 and sb["nonconvex_fraction"] == 0.0
    assert sb["centre_loss"] == pytest.approx(0.2) and sb["min_at"] == (0.0, 0.0)
    assert sb["rim_ratio"] > 10
    sr = L.landscape_stats(_synthetic("plain20", rugged))
    assert sr["local_minima"] > 1 and sr["basin_fraction"] < 1.0 and sr["nonconvex_fraction"] > 0.2
    text = LL.describe_landscape(_synthetic("plain20", rugged), _synthetic("resnet20", bowl))
    assert "ResNet-20's surface is the smoother" in text
    text = LL.describe_landscape(_synthetic("plain20", bowl), _synthetic("resnet20", rugged))
    assert "Plain-20's surface is the smoother" in text  # the numbers decide, not the expectation
    text = LL.describe_landscape(_synthetic("plain20", bowl), _synthetic("resnet20", bowl))
    assert "about equally smooth" in text
