"""tools/_cli.py: --cfg-options key rule, --epochs / --data-root rewriting, input checks with one-line errors."""
import os.path as osp

import pytest

import _cli  # tools/ is on sys.path (tests/conftest.py)

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO = osp.join(REPO_ROOT, 'projects/TurboTrain/configs/demo_finetune.py')
DEMO_TURBOTRAIN = osp.join(REPO_ROOT, 'projects/TurboTrain/configs/demo_turbotrain.py')


@pytest.fixture(scope='module')
def demo_cfg():
    return _cli.load_config(DEMO)


def error_of(capsys, func, *args) -> str:
    """Run ``func``, expect the one-line ``error:`` exit (status 2), return the line."""
    with pytest.raises(SystemExit) as exit_info:
        func(*args)
    assert exit_info.value.code == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith('error: '), lines
    return lines[0]


@pytest.mark.parametrize('key,value', [
    ('train_cfg.max_epochs', 1),                    # an existing key
    ('param_scheduler.1.T_max', 3),                 # a list index, then a key of that element
    ('optim_wrapper.optimizer.lr', 1e-3),
    ('train_dataloader.dataset.indices', 4),        # new key of a registered class taking **kwargs (BaseDataset)
    ('train_dataloader.pin_memory', True),          # new key mmengine passes to torch's DataLoader
    ('randomness.deterministic', True),             # new key of Runner.set_randomness
    ('model.train_cfg.new_option', 1),              # new key of an untyped dict: cannot be checked, allowed
    ('load_from', 'x.pth'),                         # top-level key the Runner reads
    ('optim_wrapper.clip_grad.max_norm', 4),
    ('model.init_cfg.type', 'PretrainedTrunk'),     # a new dict: model's constructor takes init_cfg
    ('model.init_cfg.checkpoint', 'trunk.pth'),
])
def test_cfg_options_accepted(demo_cfg, key, value):
    assert _cli.check_cfg_options(demo_cfg, {key: value}) is None


@pytest.mark.parametrize('key,expected', [
    ('max_epoch', 'max_epoch: no such key in the config; did you mean max_epochs'),
    ('train_cfg.max_epoch', "train_cfg has no key 'max_epoch' and does not take one; did you mean max_epochs"),
    ('param_scheduler.5.T_max', "param_scheduler is a list of 2; '5' is not an index of it"),
    ('randomness.sed', "randomness has no key 'sed' and does not take one; did you mean seed"),
    ('train_dataloader.num_worker', "did you mean num_workers"),
    ('model.trunkk.bev_encoder', "model has no key 'trunkk' and does not take one; did you mean trunk"),
    ('optim_wrapper.optimizer.lr.x', 'optim_wrapper.optimizer.lr is a float, not a dict or list'),
])
def test_cfg_options_refused_with_nearest_names(demo_cfg, key, expected):
    problem = _cli.check_cfg_options(demo_cfg, {key: 1})
    assert problem is not None and expected in problem, problem


def test_cfg_options_refuse_parse_time_variables(demo_cfg):
    """``data_root`` / ``max_epochs`` exist at the top level but nothing reads them after parsing."""
    problem = _cli.check_cfg_options(demo_cfg, {'data_root': 'elsewhere/'})
    assert 'a variable of the config file' in problem and '--data-root' in problem
    for key in ('train_dataloader.dataset.data_root', 'val_dataloader.dataset.data_root',
                'test_dataloader.dataset.data_root'):
        assert key in problem
    assert 'train_cfg.max_epochs' in _cli.check_cfg_options(demo_cfg, {'max_epochs': 2})


def test_new_key_under_typed_dict_checks_the_constructor():
    """``model.init_cfg.checkpoint`` with init_cfg a registered initialiser: its keywords only."""
    cfg = _cli.load_config(DEMO_TURBOTRAIN)
    assert cfg.model.init_cfg.type == 'PretrainedTrunk'
    assert _cli.check_cfg_options(cfg, {'model.init_cfg.checkpoint': 'trunk.pth'}) is None
    cfg.model.init_cfg.pop('checkpoint')
    assert _cli.check_cfg_options(cfg, {'model.init_cfg.checkpoint': 'trunk.pth'}) is None  # new, but a keyword
    problem = _cli.check_cfg_options(cfg, {'model.init_cfg.chekpoint': 'trunk.pth'})
    assert 'did you mean checkpoint' in problem
    # a strategy option (the balancing strategies' own registry), also a new dict-valued one
    assert _cli.check_cfg_options(cfg, {'optim_wrapper.strategy.interval': 3}) is None
    assert _cli.check_cfg_options(cfg, {'optim_wrapper.strategy.warmup_weights.pred': 2.0}) is None
    assert 'did you mean interval' in _cli.check_cfg_options(cfg, {'optim_wrapper.strategy.intervall': 3})


def test_redundant_variable_next_to_its_uses_is_allowed(demo_cfg):
    options = {'data_root': 'x/', 'train_dataloader.dataset.data_root': 'x/', 'val_dataloader.dataset.data_root': 'x/',
               'test_dataloader.dataset.data_root': 'x/'}
    assert _cli.check_cfg_options(demo_cfg, options) is None
    options.pop('test_dataloader.dataset.data_root')
    assert 'test_dataloader.dataset.data_root' in _cli.check_cfg_options(demo_cfg, options)


def test_every_benchmark_experiment_passes_the_check():
    """tools/benchmarks/run_experiments.py drives tools/train.py and tools/test.py with --cfg-options: all of them
    must pass the key check (training and testing options of every experiment, on its own config)."""
    import argparse
    import importlib.util

    from mmengine.config import DictAction
    spec = importlib.util.spec_from_file_location('run_experiments_for_cli_test',
                                                  osp.join(REPO_ROOT, 'tools', 'benchmarks', 'run_experiments.py'))
    runs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(runs)
    parser = argparse.ArgumentParser()
    parser.add_argument('--options', nargs='+', action=DictAction)
    configs = {}
    for name, row in runs.ROWS.items():
        cfg = configs.setdefault(row.path, _cli.load_config(osp.join(REPO_ROOT, row.path)))
        data = runs.data_options('data/x/')
        for options in (data + row.options('work_dirs/x') + runs.budget_options(3) + ['randomness.seed=0'],
                        data + row.options('work_dirs/x') + ['test_dataloader.dataset.indices=3']):
            assert _cli.check_cfg_options(cfg, parser.parse_args(['--options'] + options).options) is None, name


def test_load_config_refuses_unknown_option_in_one_line(capsys):
    line = error_of(capsys, _cli.load_config, DEMO, {'max_epoch': 1})
    assert 'max_epoch' in line and 'max_epochs' in line and DEMO in line


def test_set_epochs_rewrites_every_dependent_key():
    cfg = _cli.load_config(DEMO)
    assert cfg.train_cfg.max_epochs == 6 and cfg.train_cfg.val_interval == 6
    _cli.set_epochs(cfg, 2)
    warmup, cosine = cfg.param_scheduler
    assert cfg.train_cfg.max_epochs == 2 and cfg.train_cfg.val_interval == 2
    assert (cosine.T_max, cosine.end, cosine.begin) == (2, 2, 0)
    assert (warmup.begin, warmup.end) == (0, 50)  # iteration-based warm-up kept


def test_set_epochs_scales_steps_and_keeps_disabled_validation():
    from mmengine.config import Config
    cfg = Config(dict(train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=12, val_interval=1000),
                      param_scheduler=[dict(type='MultiStepLR', by_epoch=True, begin=0, end=12, milestones=[8, 11]),
                                       dict(type='LinearLR', by_epoch=True, begin=0, end=3)]))
    _cli.set_epochs(cfg, 6)
    assert cfg.train_cfg.val_interval == 1000  # larger than the run: never validate, kept
    assert cfg.param_scheduler[0].end == 6 and cfg.param_scheduler[0].milestones == [4, 6]
    assert cfg.param_scheduler[1].end == 2  # 3 of 12 epochs → round(1.5) = 2 of 6


def test_set_epochs_refuses_iteration_based_configs(capsys):
    from mmengine.config import Config
    cfg = Config(dict(train_cfg=dict(type='IterBasedTrainLoop', max_iters=100)))
    assert 'trains by iterations' in error_of(capsys, _cli.set_epochs, cfg, 2)


def test_set_data_root_reaches_every_dataloader(tmp_path):
    cfg = _cli.load_config(DEMO)
    _cli.set_data_root(cfg, str(tmp_path))
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[key].dataset.data_root == f'{tmp_path}/'
    cfg.val_evaluator.ann_file = 'old/v2xpnp_infos_val.pkl'
    _cli.set_data_root(cfg, str(tmp_path))
    assert cfg.val_evaluator.ann_file == osp.join(f'{tmp_path}/', 'v2xpnp_infos_val.pkl')


def test_check_data_names_the_file_and_the_command(capsys, tmp_path):
    cfg = _cli.load_config(DEMO)
    _cli.set_data_root(cfg, str(tmp_path / 'nowhere'))
    line = error_of(capsys, _cli.check_data, cfg, ['train_dataloader'])
    assert f'data root {tmp_path}/nowhere does not exist (train_dataloader)' in line
    assert f'tools/create_data.py v2xpnp --root-path {tmp_path}/nowhere' in line
    _cli.set_data_root(cfg, str(tmp_path))
    line = error_of(capsys, _cli.check_data, cfg, ['train_dataloader'])
    assert f'no info file {tmp_path}/v2xpnp_infos_train.pkl' in line


def test_check_data_passes_on_converted_data(tiny_dataset_root):
    cfg = _cli.load_config(DEMO)
    _cli.set_data_root(cfg, tiny_dataset_root)
    _cli.check_data(cfg, ['train_dataloader', 'val_dataloader', 'test_dataloader'])


def test_check_checkpoint_names_truncated_and_foreign_files(capsys, tmp_path):
    import torch
    good = tmp_path / 'good.pth'
    torch.save({'state_dict': {'w': torch.arange(1000.0)}}, good)
    assert _cli.check_checkpoint(str(good)) == str(good)
    truncated = tmp_path / 'truncated.pth'
    truncated.write_bytes(good.read_bytes()[:2000])
    line = error_of(capsys, _cli.check_checkpoint, str(truncated))
    assert str(truncated) in line and 'corrupt or truncated' in line
    text = tmp_path / 'notes.pth'
    text.write_text('not a checkpoint')
    assert str(text) in error_of(capsys, _cli.check_checkpoint, str(text))
    assert 'checkpoint not found' in error_of(capsys, _cli.check_checkpoint, str(tmp_path / 'none.pth'))


def test_only_rank_zero_prints(capsys, monkeypatch):
    monkeypatch.setenv('RANK', '1')
    with pytest.raises(SystemExit) as exit_info:
        _cli.fail('nope')
    assert exit_info.value.code == 2 and capsys.readouterr().err == ''
    monkeypatch.setenv('RANK', '0')
    assert error_of(capsys, _cli.fail, 'nope') == 'error: nope'
