"""The manual 4-stage configs and the paper comparison's recipe configs differ from the config they inherit only in
the keys listed here (each stage's input ablation, freezing, budget and validation schedule), and every chain file
names configs that exist."""
import os.path as osp

import pytest
from mmengine.config import Config

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = osp.join(REPO_ROOT, 'projects', 'TurboTrain', 'configs')

SCHEDULE = {'max_epochs', 'train_cfg.max_epochs', 'train_cfg.val_interval', 'param_scheduler.1.T_max',
            'param_scheduler.1.end'}
EARLY_STOP = {'custom_hooks'}
CLIP4 = {'optim_wrapper.clip_grad.max_norm'}
STAGE1 = {'model.traj_head', 'model.train_cfg.ego_only', 'model.train_cfg.current_frame_only',
          'model.test_cfg.ego_only', 'model.test_cfg.current_frame_only'}
STAGE2 = {'model.frozen_modules', 'model.train_cfg.ego_only', 'model.test_cfg.ego_only'}
STAGE3 = {'model.train_cfg.ego_only', 'model.test_cfg.ego_only'}

# config → (parent, keys it may change)
EXPECTED = {
    'manual/demo_stage1_single_agent_det.py': ('demo_finetune.py', STAGE1 | SCHEDULE | EARLY_STOP | CLIP4),
    'manual/demo_stage2_temporal_pred.py': ('demo_finetune.py', STAGE2 | SCHEDULE | EARLY_STOP | CLIP4),
    'manual/demo_stage3_joint.py': ('demo_finetune.py', STAGE3 | SCHEDULE | EARLY_STOP | CLIP4),
    'manual/demo_stage4_multi_agent_fusion.py': ('demo_finetune.py', SCHEDULE | EARLY_STOP | CLIP4),
    'manual/stage1_single_agent_det.py': ('finetune.py', STAGE1 | SCHEDULE | EARLY_STOP),
    'manual/stage2_temporal_pred.py': ('finetune.py', STAGE2 | SCHEDULE | EARLY_STOP),
    'manual/stage3_joint.py': ('finetune.py', STAGE3 | SCHEDULE | EARLY_STOP),
    'manual/stage4_multi_agent_fusion.py': ('finetune.py', SCHEDULE | EARLY_STOP),
    # demo_finetune.py's own 6 epochs: only validation every epoch and the shared clip
    'paper_comparison/demo_one_time.py': ('demo_finetune.py', {'train_cfg.val_interval'} | CLIP4),
    'paper_comparison/demo_turbotrain_sum.py': ('demo_finetune_from_pretrain.py', SCHEDULE | CLIP4),
    'paper_comparison/demo_turbotrain.py': ('demo_turbotrain.py', SCHEDULE),
    'paper_comparison/one_time.py': ('finetune.py', SCHEDULE),
    'paper_comparison/turbotrain_sum.py': ('finetune_from_pretrain.py', SCHEDULE),
    'paper_comparison/turbotrain.py': ('turbotrain.py', SCHEDULE),
}


def differences(a, b, path=''):
    """Dotted paths where two config trees differ (dicts and equal-length lists compared item by item)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = set()
        for key in set(a) | set(b):
            sub = f'{path}.{key}' if path else str(key)
            out |= {sub} if (key not in a or key not in b) else differences(a[key], b[key], sub)
        return out
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b):
        out = set()
        for index, (x, y) in enumerate(zip(a, b)):
            out |= differences(x, y, f'{path}.{index}')
        return out
    return set() if a == b else {path}


def load(name):
    return Config.fromfile(osp.join(CONFIGS, name))._cfg_dict.to_dict()


def test_differences_reports_the_innermost_changed_path():
    assert differences(dict(a=dict(b=1, c=[1, dict(d=2)])), dict(a=dict(b=1, c=[1, dict(d=3)]))) == {'a.c.1.d'}
    assert differences(dict(a=dict(b=1)), dict(a=None, e=1)) == {'a', 'e'}


@pytest.mark.parametrize('name', sorted(EXPECTED))
def test_config_differs_from_its_parent_only_in_the_named_keys(name):
    parent, allowed = EXPECTED[name]
    changed = differences(load(parent), load(name))
    assert changed == allowed, f'unexpected: {sorted(changed - allowed)}, unchanged: {sorted(allowed - changed)}'


def test_stage_budgets_and_what_each_stage_sees():
    stages = [load(f'manual/demo_{n}.py') for n in ('stage1_single_agent_det', 'stage2_temporal_pred',
                                                    'stage3_joint', 'stage4_multi_agent_fusion')]
    assert [s['train_cfg']['max_epochs'] for s in stages] == [4, 3, 3, 4]  # 14 epochs at most
    assert stages[0]['model']['traj_head'] is None
    assert stages[1]['model']['frozen_modules'] == ['trunk.bev_encoder', 'trunk.backbone', 'trunk.neck',
                                                    'trunk.agent_type_embedding', 'bbox_head']
    assert [bool(s['model']['train_cfg'].get('ego_only')) for s in stages] == [True, True, True, False]
    assert [s['model']['train_cfg'].get('ego_only') == s['model']['test_cfg'].get('ego_only') for s in stages] == [
        True] * 4
    full = [load(f'manual/{n}.py') for n in ('stage1_single_agent_det', 'stage2_temporal_pred', 'stage3_joint',
                                             'stage4_multi_agent_fusion')]
    assert sum(s['train_cfg']['max_epochs'] for s in full) == 120  # the paper's manual pipeline
    # the recipes' budgets: one-time ≥ TurboTrain's pretraining + fine-tuning
    for size in ('demo_', ''):
        pretrain = load(f'{size}pretrain.py')['train_cfg']['max_epochs']
        turbo = load(f'paper_comparison/{size}turbotrain.py')['train_cfg']['max_epochs']
        assert load(f'paper_comparison/{size}turbotrain_sum.py')['train_cfg']['max_epochs'] == turbo
        assert load(f'paper_comparison/{size}one_time.py')['train_cfg']['max_epochs'] >= pretrain + turbo


@pytest.mark.parametrize('chain', ['paper_comparison/demo_chains.py', 'paper_comparison/chains.py'])
def test_chain_files_name_existing_configs(chain):
    import sys
    sys.path.insert(0, osp.join(REPO_ROOT, 'tools'))
    import train_chain
    for recipe in ('one_time', 'manual_4stage', 'turbotrain_sum', 'turbotrain'):
        stages = train_chain.load_stages(osp.join(CONFIGS, chain), recipe)
        assert all(osp.isfile(stage['config']) for stage in stages)
        if recipe.startswith('turbotrain'):
            assert [s['name'] for s in stages] == ['pretrain', recipe]
            assert stages[1]['start_key'] == 'model.init_cfg.checkpoint'
            assert stages[0]['output'] == 'trunk_pretrained.pth'
    manual = train_chain.load_stages(osp.join(CONFIGS, chain), 'manual_4stage')
    assert [s['name'] for s in manual] == ['stage1_single_agent_det', 'stage2_temporal_pred', 'stage3_joint',
                                           'stage4_multi_agent_fusion']
    assert all(s['start_key'] == 'load_from' and s['output'] is None for s in manual)


@pytest.mark.parametrize('size', ['demo_', ''])
def test_stage_models_build_with_their_freezing(size):
    from mmengine.registry import init_default_scope

    from mmdet3d.registry import MODELS
    cfg = Config.fromfile(osp.join(CONFIGS, f'manual/{size}stage2_temporal_pred.py'))
    init_default_scope(cfg.default_scope)
    model = MODELS.build(cfg.model)
    frozen = {name for name, p in model.named_parameters() if not p.requires_grad}
    prefixes = tuple(m + '.' for m in cfg.model.frozen_modules)
    assert frozen == {name for name, _ in model.named_parameters() if name.startswith(prefixes)}
    assert any(n.startswith('trunk.fusion_neck.') for n, p in model.named_parameters() if p.requires_grad)
    stage1 = MODELS.build(Config.fromfile(osp.join(CONFIGS, f'manual/{size}stage1_single_agent_det.py')).model)
    assert stage1.traj_head is None and all(p.requires_grad for p in stage1.parameters())


@pytest.mark.parametrize('stage', ['stage1_single_agent_det', 'stage2_temporal_pred', 'stage3_joint',
                                   'stage4_multi_agent_fusion'])
def test_every_trained_parameter_of_a_stage_gets_a_gradient(stage):
    """DDP runs without find_unused_parameters (utils/launch.py): in every stage, with its ablated input and frozen
    modules, each parameter that trains must receive a gradient from one backward of the summed losses."""
    import torch
    from mmengine.registry import init_default_scope

    from mmdet3d.registry import MODELS
    from projects.TurboTrain.turbotrain.models.data_preprocessors import coop_collate
    from tests.models.coop_fakes import make_packed_sample
    cfg = Config.fromfile(osp.join(CONFIGS, f'manual/demo_{stage}.py'))
    init_default_scope(cfg.default_scope)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).train()
    samples = [make_packed_sample(num_agents=3, history=3, future=10, seed=s) for s in (0, 1)]
    batch = model.data_preprocessor(coop_collate(samples), True)
    total, _ = model.parse_losses(model(**batch, mode='loss'))
    total.backward()
    assert [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None] == []
