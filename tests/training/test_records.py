"""``resnet_viz.training.records``: a run's provenance, the files of its run folder (written by rank 0 only),
the resume state and the weight checksum that data-parallel ranks compare."""

from __future__ import annotations

import copy
import datetime
import json

import pytest
import torch
from torch import nn

from resnet_viz import __version__
from resnet_viz.runs.store import Run
from resnet_viz.training.config import TrainConfig
from resnet_viz.training.records import RunFiles, load_resume, param_checksum, provenance, resume_state, save_resume

CPU = torch.device("cpu")


def test_provenance_has_what_reproduces_a_run():
    cfg = TrainConfig(model="plain20", epochs=3)
    prov = provenance(cfg, "python -m resnet_viz train --model plain20 --epochs 3")
    assert prov["command"] == "python -m resnet_viz train --model plain20 --epochs 3"
    assert prov["config"] == cfg.to_dict() and TrainConfig.from_dict(prov["config"]) == cfg
    assert prov["threads"] == torch.get_num_threads() and prov["torch"] == torch.__version__
    assert prov["resnet_viz"] == __version__ and prov["device"] is None
    date = datetime.datetime.fromisoformat(prov["date"])
    assert date.tzinfo is not None and abs(datetime.datetime.now(datetime.timezone.utc) - date).total_seconds() < 60
    json.dumps(prov)  # stored as provenance.json


def _begin(files: RunFiles, cfg: TrainConfig, resume: bool = False, step: int = 0, start_epoch: int = 0) -> None:
    files.begin(cfg, command="python -m resnet_viz train", device="cpu", pretrained=None, resume=resume,
                layers=["conv1", "fc"], step=step, start_epoch=start_epoch)


def test_run_files_write_nothing_when_not_main(tmp_path):
    run = Run(tmp_path / "run")
    files = RunFiles(run, main=False)
    files.prepare(resume=False)
    files.prepare(resume=True)  # no error either: only rank 0 checks the folder
    _begin(files, TrainConfig(epochs=5))
    files.log({"kind": "epoch", "epoch": 1})
    files.status("running", "epoch 1")
    files.grads(1, 1, [("fc", nn.Linear(2, 2))])  # no gradients: never looked at
    files.checkpoint(None, None, (), {})
    assert not run.path.exists() and list(tmp_path.iterdir()) == []
    assert files.epochs == 5  # every rank knows the length of the run


def test_run_files_of_rank_0(tmp_path):
    run = Run(tmp_path / "run")
    files = RunFiles(run, main=True)
    with pytest.raises(FileNotFoundError, match="nothing to resume"):
        files.prepare(resume=True)
    (run.path / "STOP").touch()
    files.prepare(resume=False)
    assert not (run.path / "STOP").exists()
    cfg = TrainConfig(model="resnet20", epochs=2)
    _begin(files, cfg)
    assert files.saved_config() == cfg
    assert run.provenance["device"] == "cpu" and run.provenance["config"] == cfg.to_dict()
    assert run.metrics() == [{"kind": "layers", "names": ["conv1", "fc"]}]
    for step in (1, 2):
        files.log({"kind": "step", "step": step, "epoch": 1})
    files.log({"kind": "epoch", "epoch": 1, "step": 2})
    files.status("running", "epoch 1", epoch=1)
    assert (run.status["state"], run.status["epochs"], run.status["epoch"]) == ("running", 2, 1)
    with pytest.raises(FileExistsError, match="--resume"):
        RunFiles(run, main=True).prepare(resume=False)


def test_resuming_keeps_the_first_provenance_and_drops_what_comes_after_the_checkpoint(tmp_path):
    run = Run(tmp_path / "run")
    files = RunFiles(run, main=True)
    files.prepare(resume=False)
    cfg = TrainConfig(epochs=3)
    _begin(files, cfg)
    first = run.provenance
    for step, epoch in ((1, 1), (2, 1), (3, 2), (4, 2)):
        files.log({"kind": "step", "step": step, "epoch": epoch})
        if step % 2 == 0:
            files.log({"kind": "epoch", "epoch": epoch, "step": step})
    save_resume(run.path / "resume.pt", {"epoch": 1})
    files.prepare(resume=True)
    _begin(files, cfg, resume=True, step=2, start_epoch=1)  # back to the end of epoch 1
    prov = run.provenance
    assert prov["date"] == first["date"] and len(prov["resumed"]) == 1
    assert [(r["kind"], r.get("step")) for r in run.metrics()] == [("layers", None), ("step", 1), ("step", 2),
                                                                   ("epoch", 2)]


def _training_objects(seed: int):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.Linear(3, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    return model, opt, sched, torch.Generator().manual_seed(seed)


def test_save_resume_then_load_resume_round_trips(tmp_path):
    model, opt, sched, gen = _training_objects(0)
    for _ in range(2):  # momentum buffers, BatchNorm statistics, a scheduler that has stepped
        model(torch.randn(8, 4, generator=gen)).square().mean().backward()
        opt.step()
        opt.zero_grad()
        sched.step()
    state = resume_state(model, opt, sched, gen, epoch=2, step=7, warmup=False)
    path = tmp_path / "resume.pt"
    save_resume(path, state)
    assert path.is_file() and not path.with_suffix(".tmp").exists()
    next_gen, next_torch = torch.rand(3, generator=gen), torch.rand(3)

    fresh, fresh_opt, fresh_sched, fresh_gen = _training_objects(1)
    assert param_checksum(fresh) != param_checksum(model)
    assert load_resume(path, CPU, fresh, fresh_opt, fresh_sched, fresh_gen) == {"epoch": 2, "step": 7,
                                                                                 "warmup": False}
    assert param_checksum(fresh) == param_checksum(model)
    mom = [fresh_opt.state[p]["momentum_buffer"] for p in fresh.parameters()]
    assert all(torch.equal(a, opt.state[p]["momentum_buffer"]) for a, p in zip(mom, model.parameters()))
    assert fresh_sched.last_epoch == 2 and fresh_opt.param_groups[0]["lr"] == pytest.approx(0.025)
    assert torch.equal(torch.rand(3, generator=fresh_gen), next_gen)  # the data order continues
    assert torch.equal(torch.rand(3), next_torch)  # and so do dropout / augmentation draws


def test_load_resume_refuses_another_device_type(tmp_path):
    model, opt, sched, gen = _training_objects(0)
    state = resume_state(model, opt, sched, gen, epoch=1, step=1, warmup=True)
    assert state["device_type"] == "cpu"
    save_resume(tmp_path / "resume.pt", {**state, "device_type": "cuda"})
    with pytest.raises(ValueError, match="resume it with --device cuda"):
        load_resume(tmp_path / "resume.pt", CPU, model, opt, sched, gen)


def test_param_checksum_follows_weights_and_buffers():
    model, *_ = _training_objects(0)
    before = param_checksum(model)
    assert len(before) == 64 and param_checksum(copy.deepcopy(model)) == before
    with torch.no_grad():
        model[0].weight[0, 0] += 1e-6
    assert param_checksum(model) != before
    changed = param_checksum(model)
    model[1].running_mean[0] = 0.5  # a buffer, not a parameter
    assert param_checksum(model) != changed
