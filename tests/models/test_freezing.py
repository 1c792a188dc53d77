"""Frozen submodules (``CoopPnPDetector(frozen_modules=...)``, models/freezing.py): a real AdamW step with weight
decay changes every trained parameter and no frozen one; frozen BatchNorm statistics stay put in training mode."""
import pytest
import torch
from mmengine.optim import OptimWrapper

from mmdet3d.registry import MODELS
from projects.TurboTrain.turbotrain.models.data_preprocessors import coop_collate
from projects.TurboTrain.turbotrain.models.freezing import freeze_modules
from tests.models.coop_fakes import make_packed_sample, tiny_model_cfg

FROZEN = ['trunk.bev_encoder', 'trunk.backbone', 'trunk.neck', 'bbox_head']


def build(frozen):
    torch.manual_seed(0)
    cfg = tiny_model_cfg(history=2, future=4)
    cfg['frozen_modules'] = frozen
    return MODELS.build(cfg)


def snapshot(model):
    return {name: value.detach().clone() for name, value in model.state_dict().items()}


def test_one_adamw_step_changes_only_the_trained_parameters():
    model = build(FROZEN)
    model.train()
    frozen_prefixes = tuple(name + '.' for name in FROZEN)
    # frozen modules stay in eval mode although the model trains (BatchNorm statistics kept)
    assert all(not m.training for name, m in model.named_modules() if name.startswith(frozen_prefixes))
    assert model.trunk.fusion_neck.training and model.traj_head.training
    before = snapshot(model)
    optim_wrapper = OptimWrapper(torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.1))
    batch = coop_collate([make_packed_sample(num_agents=a, seed=s) for a, s in ((2, 0), (3, 1))])
    model.train_step(batch, optim_wrapper)
    after = snapshot(model)
    changed = {name for name in before if not torch.equal(before[name], after[name])}
    frozen_keys = {name for name in before if name.startswith(frozen_prefixes)}
    assert frozen_keys and not changed & frozen_keys, sorted(changed & frozen_keys)[:5]
    # running statistics of the frozen BatchNorms are among the unchanged keys
    assert any(name.endswith('running_mean') for name in frozen_keys)
    trained = {name for name, p in model.named_parameters() if p.requires_grad}
    assert trained == {name for name, _ in model.named_parameters() if not name.startswith(frozen_prefixes)}
    assert any(n.startswith('trunk.fusion_neck.') for n in changed) and any(n.startswith('traj_head.') for n in changed)
    assert all(p.grad is None for name, p in model.named_parameters() if name.startswith(frozen_prefixes))


def test_nothing_frozen_by_default_and_bad_names_are_refused():
    model = build([])
    assert all(p.requires_grad for p in model.parameters())
    with pytest.raises(ValueError, match="'trunk.encoder' is not a submodule of CoopPnPDetector"):
        build(['trunk.encoder'])


def test_freeze_modules_on_a_plain_module():
    net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2))
    [bn] = freeze_modules(net, ['1'])
    net.train()
    assert bn is net[1] and not any(p.requires_grad for p in bn.parameters())
    assert all(p.requires_grad for p in net[0].parameters())
