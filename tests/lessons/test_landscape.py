"""The loss-landscape sentences: centre and rim losses, and which surface the numbers call smoother."""

from __future__ import annotations

from resnet_viz.lessons.landscape import describe_landscape, landscape_caption, landscape_job_caption
from resnet_viz.probes.landscape import LandscapeResult


def _line(name: str, loss: list[float], *, span: float = 2.0, seconds: float = 5.0, **kw) -> LandscapeResult:
    n = len(loss)
    alphas = [span * (2 * i / (n - 1) - 1) for i in range(n)]
    return LandscapeResult(model=name, alphas=alphas, betas=None, loss=loss, accuracy=None, n_images=8, seed=3,
                           span=span, steps=n, seconds=seconds, **kw)


BOWL = [4.0, 2.0, 1.0, 2.0, 4.0]  # one basin, convex everywhere
BUMPY = [3.0, 1.0, 2.0, 0.5, 3.0]  # two local minima, a cap at the middle point


def test_describe_landscape_resnet_smoother():
    text = describe_landscape(_line("plain20", BUMPY), _line("resnet20", BOWL))
    assert text.startswith("At the model's own weights (the centre) the loss is 2 for Plain-20 and 1 for ResNet-20; "
                           "a step of 2 along filter-normalised random directions (both ends of the line) raises it "
                           "on average to 3 (1.5x the centre) and 4 (4x the centre).")
    assert "from 60% of the grid for Plain-20 and 100% for ResNet-20 (local minima: 2 and 1" in text
    assert "not locally convex: 33% and 0%)" in text
    assert text.endswith("so ResNet-20's surface is the smoother, more bowl-like one.")


def test_describe_landscape_the_verdict_follows_the_numbers_either_way():
    text = describe_landscape(_line("plain20", BOWL), _line("resnet20", BUMPY))
    assert text.endswith("so on this grid Plain-20's surface is the smoother one.")


def test_describe_landscape_tie_different_spans_and_overflow():
    plain = _line("plain20", [4.0, 1.0, float("nan")], span=1.0)
    text = describe_landscape(plain, _line("resnet20", [4.0, 1.0, 4.0], span=2.0))
    assert "a step of 1 (Plain-20) and 2 (ResNet-20)" in text
    assert "changes it on average" in text  # the plain rim is NaN: not "raises"
    assert "Some points of Plain-20 overflowed (non-finite loss)." in text
    tie = describe_landscape(_line("plain20", BOWL), _line("resnet20", BOWL))
    assert "so on this grid the two surfaces are about equally smooth." in tie


def test_describe_landscape_2d_says_edge_of_the_square():
    grid = [[4.0, 2.0, 4.0], [2.0, 1.0, 2.0], [4.0, 2.0, 4.0]]
    r = LandscapeResult(model="resnet20", alphas=[-1.0, 0.0, 1.0], betas=[-1.0, 0.0, 1.0], loss=grid, accuracy=None,
                        n_images=8, seed=0, span=1.0, steps=3)
    p = LandscapeResult(**{**r.__dict__, "model": "plain20"})
    text = describe_landscape(p, r)
    assert "(the edge of the square)" in text and "3 (3x the centre)" in text


def test_job_caption_estimates_from_the_stored_speed_only_with_one_per_net():
    stored = [_line("plain20", BOWL, seconds=5.0), _line("resnet20", BOWL, seconds=5.0)]  # 1 point/s on 8 images
    text = landscape_job_caption(2, 120, 16, stored)
    assert text.startswith("240 grid points x 16 images. At the speed the stored landscapes were computed, about 8 "
                           "minutes. It runs in the background")
    assert "At the speed" not in landscape_job_caption(2, 120, 16, stored[:1])


def test_landscape_caption_says_how_it_was_measured():
    r = _line("resnet20", BOWL, seconds=10.0, settings={"data": "CIFAR-10", "command": "resnet-viz landscape"})
    assert landscape_caption(r) == ("5 points per axis in [-2, 2], 8 training images of CIFAR-10, directions from "
                                    "seed 3; 10 s (0.5 points/s). Command: `resnet-viz landscape`")
