"""Background training jobs: a set job trains the configs of its marker file."""

from __future__ import annotations

from resnet_viz.training.config import TrainConfig

SMALL = dict(data="shapes", limit_train=512, limit_test=100, batch_size=64, grad_every=2)


def test_a_set_job_trains_the_configs_of_its_marker(tmp_path, monkeypatch):
    """The background worker's path, in this process: configs as JSON in ``.set-<tag>.json``, runs
    ``<model>-<tag>`` with the reproducing command as their provenance."""
    from resnet_viz.runs.store import write_json
    from resnet_viz.training import jobs

    monkeypatch.setenv("RESNET_VIZ_RUNS", str(tmp_path))
    configs = [TrainConfig(model=m, epochs=1, **SMALL) for m in ("resnet20", "plain20")]
    write_json(tmp_path / ".set-t.json", {"tag": "t", "configs": [c.to_dict() for c in configs]})
    assert jobs.main(["set", str(tmp_path / ".set-t.json")]) == 0
    runs = jobs.set_runs("t", ["resnet20", "plain20"])
    assert [r.name for r in runs] == ["resnet20-t", "plain20-t"]
    assert all(r.status["state"] == "finished" for r in runs)
    assert runs[1].provenance["command"].startswith("python -m resnet_viz train --model plain20 --data shapes")
    assert runs[1].provenance["command"].endswith("--limit-test 100 --out plain20-t")
    assert TrainConfig.from_dict(runs[1].config) == configs[1].resolved()
