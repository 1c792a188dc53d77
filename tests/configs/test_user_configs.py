"""Every user config loads and builds its model; pretraining and fine-tuning configs share one trunk definition."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from mmdet3d.registry import MODELS

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG_DIR = osp.join(REPO_ROOT, 'projects/TurboTrain/configs')
USER_CONFIGS = sorted(osp.basename(p) for p in glob.glob(osp.join(CONFIG_DIR, '*.py')))
# (pretraining config, the fine-tuning configs that load its exported trunk)
TRUNK_PAIRS = [
    ('pretrain.py', ['finetune.py', 'finetune_from_pretrain.py', 'finetune_balanced.py', 'turbotrain.py',
                     'finetune_motion.py']),
    ('demo_pretrain.py', ['demo_finetune.py', 'demo_finetune_from_pretrain.py', 'demo_finetune_balanced.py',
                          'demo_turbotrain.py', 'demo_finetune_motion.py']),
]


def load(name: str) -> Config:
    return Config.fromfile(osp.join(CONFIG_DIR, name))


@pytest.mark.parametrize('name', USER_CONFIGS)
def test_config_builds_model(name):
    from mmengine.registry import init_default_scope
    cfg = load(name)
    init_default_scope(cfg.default_scope)
    model = MODELS.build(cfg.model)
    assert hasattr(model, 'trunk'), f'{name}: the model must expose its shared trunk'
    is_pretraining = name.replace('demo_', '').startswith('pretrain')
    expected = 'CoopMAE' if is_pretraining else 'CoopPnPDetector'
    assert type(model).__name__ == expected


@pytest.mark.parametrize('pretrain,finetunes', TRUNK_PAIRS)
def test_pretrain_and_finetune_share_the_trunk(pretrain, finetunes):
    trunk = load(pretrain).model.trunk.to_dict()
    for finetune in finetunes:
        assert load(finetune).model.trunk.to_dict() == trunk, f'{finetune} trunk differs from {pretrain}'


def test_pretrained_trunk_configs_point_at_the_exported_file():
    for name, work_dir in (('turbotrain.py', 'work_dirs/pretrain'),
                           ('demo_turbotrain.py', 'work_dirs/demo_pretrain'),
                           ('finetune_from_pretrain.py', 'work_dirs/pretrain'),
                           ('demo_finetune_from_pretrain.py', 'work_dirs/demo_pretrain')):
        init = load(name).model.init_cfg
        assert init.type == 'PretrainedTrunk' and init.checkpoint == f'{work_dir}/trunk_pretrained.pth', name


def test_pretraining_reads_no_labels():
    cfg = load('pretrain.py')
    for loader in ('train_dataloader', 'val_dataloader'):
        dataset = cfg[loader].dataset
        assert dataset.load_labels is False
        assert all(step.type != 'LoadCoopAnnotations' for step in dataset.pipeline)


@pytest.mark.parametrize('strategy', ['sum', 'pcgrad', 'imtl_g', 'famo', 'turbotrain', 'torchjd'])
def test_balanced_config_switches_strategy_by_type(strategy):
    """`--cfg-options optim_wrapper.strategy.type=NAME` must build (no keys of another strategy left behind)."""
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope
    cfg = load('demo_finetune_balanced.py')
    cfg.merge_from_dict({'optim_wrapper.strategy.type': strategy})
    init_default_scope(cfg.default_scope)
    model = MODELS.build(cfg.model)
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    assert type(wrapper).__name__ == 'BalancedOptimWrapper'
    from projects.TurboTrain.turbotrain.engine.optim_wrappers.strategies.registry import BALANCE_STRATEGIES
    assert type(wrapper.strategy) is BALANCE_STRATEGIES.get(strategy)


@pytest.mark.parametrize('name', [n for n in USER_CONFIGS if not n.replace('demo_', '').startswith('pretrain')])
def test_horizons_of_data_and_model_agree(name):
    """The trajectory head predicts the future the data annotates, and the trunk has an age slot per history frame."""
    cfg = load(name)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = cfg[loader].dataset
        assert cfg.model.traj_head.num_future == dataset.future_frames, (name, loader)
        fusion = cfg.model.trunk.fusion_neck.temporal_fusion
        assert dataset.history_frames <= fusion.get('max_history', dataset.history_frames), (name, loader)


def test_robustness_configs():
    """The pose-noise augmentation config puts CoopPoseNoise first in training only; the compressor config adds
    a ChannelCompressor to the demo TurboTrain trunk and nothing else."""
    base, augmented = load('demo_turbotrain.py'), load('demo_turbotrain_pose_aug.py')
    pipeline = augmented.train_dataloader.dataset.pipeline
    assert pipeline[0].type == 'CoopPoseNoise' and pipeline[0].seed is None
    assert pipeline[1:] == base.train_dataloader.dataset.pipeline
    assert augmented.test_dataloader.dataset.pipeline == base.test_dataloader.dataset.pipeline
    compressed = load('demo_turbotrain_compress4.py').model.trunk.to_dict()
    assert compressed.pop('compressor') == dict(type='ChannelCompressor', channels=32, ratio=4,
                                                transmit_dtype='float16')
    assert compressed == base.model.trunk.to_dict()
