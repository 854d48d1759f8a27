"""The probes' shared model helpers: a private copy, hooks that never stay behind, the residual-block test."""

from __future__ import annotations

import threading

import pytest
import torch

from resnet_viz.models.registry import build_model
from resnet_viz.probes._model import (
    build_at_init,
    has_hooks,
    has_skip,
    hooks,
    is_residual_block,
    model_device,
    private_copy,
    residual_blocks,
)


def _shared() -> torch.nn.Module:
    """A "shared" model as a server holds it, with a gradient and a hook someone left on it."""
    torch.manual_seed(0)
    model = build_model("resnet20")
    model(torch.randn(2, 3, 32, 32)).sum().backward()
    model.layer1[0].register_forward_hook(lambda *a: None)
    return model


@pytest.mark.parametrize("build", [None, lambda: build_model("resnet20")])
def test_private_copy_shares_nothing(build):
    model = _shared()
    model.train()
    copy = private_copy(model, build=build, requires_grad=False)
    assert not copy.training and model.training  # the original's mode is left alone
    assert not has_hooks(copy) and has_hooks(model)
    assert all(p.grad is None for p in copy.parameters())
    assert all(p.grad is not None for p in model.parameters())  # the original keeps its own
    assert all(not p.requires_grad for p in copy.parameters()) and all(p.requires_grad for p in model.parameters())
    ptrs = {p.data_ptr() for p in model.parameters()}
    assert not ptrs & {p.data_ptr() for p in copy.parameters()}
    for (n, a), b in zip(model.state_dict().items(), copy.state_dict().values()):
        assert torch.equal(a, b), n
    with torch.no_grad():
        next(copy.parameters()).add_(1.0)  # writing into the copy leaves the original as it was
    assert not torch.equal(next(copy.parameters()), next(model.parameters()))
    assert model_device(copy) == torch.device("cpu")


def test_hooks_are_removed_even_when_the_body_raises():
    model = build_model("resnet20").eval()
    seen = []
    with pytest.raises(RuntimeError, match="boom"):
        with hooks() as hk:
            hk.forward(model.layer1[0], lambda m, i, o: seen.append(o.shape))
            hk.forward(model.conv1, lambda m, i: seen.append("pre"), pre=True)
            hk.backward(model.fc, lambda m, gi, go: seen.append("back"))
            assert has_hooks(model)
            model(torch.randn(2, 3, 32, 32)).sum().backward()
            raise RuntimeError("boom")
    assert seen == ["pre", (2, 16, 32, 32), "back"]
    assert not has_hooks(model)
    assert not hk.handles


def test_a_hook_never_replaces_the_output():
    model = build_model("resnet20").eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        ref = model(x)
        with hooks() as hk:
            hk.forward(model.layer1[0], lambda m, i, o: torch.zeros_like(o))  # returns a tensor: ignored
            torch.testing.assert_close(model(x), ref)


def test_own_thread_hooks_ignore_other_threads():
    model = build_model("resnet20").eval()
    calls = []
    with torch.no_grad(), hooks(own_thread=True) as hk:
        hk.forward(model.conv1, lambda m, i, o: calls.append(threading.get_ident()))
        t = threading.Thread(target=lambda: model(torch.randn(2, 3, 32, 32)))
        t.start()
        t.join()
        assert calls == []  # another session's forward pass
        model(torch.randn(2, 3, 32, 32))
    assert calls == [threading.get_ident()]


def test_residual_blocks_agree_for_resnet_and_plain_twin():
    res, plain = build_model("resnet20"), build_model("plain20")
    rb, pb = residual_blocks(res), residual_blocks(plain)
    assert [n for n, _ in rb] == [n for n, _ in pb] == [f"layer{s}.{i}" for s in (1, 2, 3) for i in range(3)]
    assert all(has_skip(b) for _, b in rb) and not any(has_skip(b) for _, b in pb)
    assert not is_residual_block(res.conv1) and not is_residual_block(res.layer1) and not is_residual_block(res)
    with torch.device("meta"):
        r18, p18 = build_model("resnet18"), build_model("plain18")
    assert [n for n, _ in residual_blocks(r18)] == [n for n, _ in residual_blocks(p18)]
    assert len(residual_blocks(r18)) == 8


def test_build_at_init_is_deterministic_and_leaves_the_global_rng():
    state = torch.random.get_rng_state()
    a, b = build_at_init("resnet20", seed=3), build_at_init("resnet20", seed=3)
    c = build_at_init("resnet20", seed=4)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert torch.equal(a.conv1.weight, b.conv1.weight) and not torch.equal(a.conv1.weight, c.conv1.weight)
