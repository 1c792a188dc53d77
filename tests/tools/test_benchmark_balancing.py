"""benchmark_balancing.py: every method name builds its strategy; ``--data-root`` reaches every dataloader; an
unconverted data root is a one-line error naming the missing info file (not a traceback from inside the Runner)."""
import importlib.util
import os.path as osp

import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO_ROOT, 'projects', 'TurboTrain', 'configs', 'demo_finetune_balanced.py')
_spec = importlib.util.spec_from_file_location(
    'benchmark_balancing', osp.join(REPO_ROOT, 'tools', 'benchmarks', 'benchmark_balancing.py'))
benchmark_balancing = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(benchmark_balancing)


def test_data_root_reaches_every_dataloader(tmp_path):
    data_root = str(tmp_path) + '/'
    (tmp_path / 'v2xpnp_infos_train.pkl').write_bytes(b'')  # only its existence is checked here
    cfg = benchmark_balancing.load_benchmark_config(CONFIG, data_root)
    assert cfg.data_root == data_root
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[loader].dataset.data_root == data_root


def test_missing_training_infos_name_the_file(tmp_path, capsys):
    with pytest.raises(SystemExit):
        benchmark_balancing.load_benchmark_config(CONFIG, str(tmp_path))
    err = capsys.readouterr().err
    assert osp.join(str(tmp_path), 'v2xpnp_infos_train.pkl') in err
    assert 'create_data.py' in err and '--data-root' in err


def test_every_default_method_builds_its_strategy():
    """Each method name maps to a strategy config the registry builds; the loss-rate TurboTrain keeps the interval."""
    from projects.TurboTrain.turbotrain.engine.optim_wrappers.strategies import build_strategy
    built = {m: build_strategy(benchmark_balancing.strategy_cfg(m, 7)) for m in benchmark_balancing.DEFAULT_METHODS}
    loss_rate = built['turbotrain_loss_rate']
    assert loss_rate.rebalance == 'loss_rate' and loss_rate.interval == 7 and loss_rate.needs_loss_values
    assert built['turbotrain'].rebalance == 'grad_norm' and built['turbotrain'].interval == 7
    assert type(built['famo']).__name__ == 'FAMOStrategy'
