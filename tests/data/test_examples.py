"""The built-in example data set: made once per machine, whole, even under concurrent first visits."""

from __future__ import annotations


def test_example_folder_is_made_once_and_whole_even_when_asked_concurrently(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from resnet_viz.data.examples import example_folder

    dest = tmp_path / "examples" / "shapes"
    with ThreadPoolExecutor(3) as ex:
        got = list(ex.map(lambda _: example_folder(dest, per_class=20), range(3)))
    assert got == [dest] * 3
    assert sorted(p.name for p in dest.iterdir() if p.is_dir()) == ["circle", "square", "triangle"]
    assert sum(1 for _ in dest.rglob("*.png")) == 60
    assert [p.name for p in dest.parent.iterdir()] == ["shapes"]  # no temporary folder left behind
