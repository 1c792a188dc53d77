"""Every study config (``configs/studies/<suite>/<row>.py``) builds its model and its optimizer wrapper, and is a
direct child of one user config (the row's settings on top of what a user runs)."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from mmdet3d.registry import MODELS

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG_DIR = osp.join(REPO_ROOT, 'projects/TurboTrain/configs')
STUDY_CONFIGS = sorted(osp.relpath(p, CONFIG_DIR) for p in glob.glob(osp.join(CONFIG_DIR, 'studies', '*', '*.py')))


def test_there_are_study_configs():
    assert len(STUDY_CONFIGS) > 40  # one per row of tools/benchmarks/run_experiments.py


@pytest.mark.parametrize('name', STUDY_CONFIGS)
def test_study_config_builds_model_and_optimizer(name):
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope
    cfg = Config.fromfile(osp.join(CONFIG_DIR, name))
    init_default_scope(cfg.default_scope)
    model = MODELS.build(cfg.model)
    pretraining = osp.basename(name).startswith('pretrain')
    assert type(model).__name__ == ('CoopMAE' if pretraining else 'CoopPnPDetector'), name
    fusion = model.trunk.fusion_neck.temporal_fusion
    assert type(fusion).__name__ == cfg.model.trunk.fusion_neck.temporal_fusion.type, name
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    strategy = cfg.optim_wrapper.get('strategy')
    if strategy is not None:
        from projects.TurboTrain.turbotrain.engine.optim_wrappers.strategies.registry import BALANCE_STRATEGIES
        assert type(wrapper.strategy) is BALANCE_STRATEGIES.get(strategy.type), name


@pytest.mark.parametrize('name', STUDY_CONFIGS)
def test_study_config_inherits_one_user_config(name):
    bases = Config._get_base_files(osp.join(CONFIG_DIR, name))
    assert len(bases) == 1, name
    base = osp.normpath(osp.join(CONFIG_DIR, osp.dirname(name), bases[0]))
    assert osp.dirname(base) == CONFIG_DIR and osp.isfile(base), (name, base)
