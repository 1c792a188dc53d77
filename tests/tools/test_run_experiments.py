"""run_experiments.py's report: the table's figures (AP in %, vehicle then mean) and the last-epoch losses."""
import importlib.util
import os.path as osp

import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
_spec = importlib.util.spec_from_file_location(
    'run_experiments', osp.join(REPO_ROOT, 'tools', 'benchmarks', 'run_experiments.py'))
run_experiments = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run_experiments)


def cli_args(*argv: str):
    """``run_experiments.py``'s arguments as its own parser reads them (defaults included)."""
    return run_experiments.build_parser().parse_args(list(argv))


def _fake_run_logged(commands, metrics=None):
    """A stand-in for ``run_logged``: records the command; tools/train.py leaves a ``last_checkpoint``, tools/test.py
    a metrics file under its work dir."""
    import json
    import os

    def run(cmd, log_path):
        commands.append(cmd)
        work_dir = cmd[cmd.index('--work-dir') + 1]
        if cmd[1] == 'tools/train.py':
            with open(osp.join(work_dir, 'last_checkpoint'), 'w') as f:
                f.write('/ckpt/epoch_3.pth')
        else:
            os.makedirs(osp.join(work_dir, 'stamp'), exist_ok=True)
            with open(osp.join(work_dir, 'stamp', 'v2xpnp_metrics.json'), 'w') as f:
                json.dump(dict(metrics=metrics or {'mAP@0.5': 0.3}), f)
        return 1.0
    return run


def _data_root(tmp_path) -> str:
    """A data root that passes the runner's check for converted data (an empty training info file)."""
    data = tmp_path / 'data'
    data.mkdir(exist_ok=True)
    (data / 'v2xpnp_infos_train.pkl').write_bytes(b'')
    return str(data)


def test_table_row_shows_vehicle_and_mean_ap_in_percent():
    row = dict(name='cooperative', train_seconds=12.5, train_loss_det=1.25, train_loss_pred=0.5,
               metrics={'AP@0.5/vehicle': 0.4, 'AP@0.7/vehicle': 0.125, 'mAP@0.5': 0.2, 'mAP@0.7': None,
                        'ADE': 1.5, 'FDE': 2.0, 'MR': 0.25, 'EPA': float('nan')})
    lines = run_experiments.table([row, dict(name='pretrain')], 'suite').splitlines()
    assert len(lines) == 3  # header, rule, one row: a run without metrics is left out
    cells = [c.strip() for c in lines[2].strip('|').split('|')]
    assert cells == [run_experiments.ROW_LABELS['cooperative'], '40.000', '12.500', '20.000', 'n/a', '1.500',
                     '2.000', '0.250', 'n/a', '1.250 / 0.500', '12.5']
    assert len(cells) == len(lines[0].strip('|').split('|'))


def test_last_epoch_train_losses_average_only_the_last_epoch(tmp_path):
    log = tmp_path / 'train.log'
    log.write_text(
        'x Epoch(train) [1][ 20/40]  lr: 1e-3  loss: 9.0  loss_det: 8.0  loss_pred: 1.0\n'
        'x Epoch(train) [2][ 20/40]  lr: 1e-3  loss: 3.0  loss_det: 2.0  loss_pred: 1.0\n'
        'x Epoch(train) [2][ 40/40]  lr: 1e-3  loss: 2.0  loss_det: 1.0  loss_pred: 0.5\n'
        'x Epoch(val) [2][ 10/10]  v2xpnp/mAP@0.5: 0.1\n')
    losses = run_experiments.last_epoch_train_losses(str(tmp_path))
    assert losses == dict(train_loss_det=1.5, train_loss_pred=0.75)
    assert run_experiments.last_epoch_train_losses(str(tmp_path / 'missing')) == {}


def test_other_split_reuses_the_training_and_tests_on_that_split(tmp_path, monkeypatch):
    """With --split val a trained run (result.json) is not trained again: only tools/test.py runs, on the val infos,
    and its figures go to result_val.json, next to the untouched test results."""
    import json
    work_dir = tmp_path / 'cooperative'
    work_dir.mkdir()
    trained = dict(name='cooperative', epochs=5, train_seconds=99.0, checkpoint='/ckpt/epoch_5.pth',
                   metrics={'mAP@0.5': 0.1})
    (work_dir / 'result.json').write_text(json.dumps(trained))
    commands = []
    monkeypatch.setattr(run_experiments, 'run_logged', _fake_run_logged(commands))
    args = cli_args('balancing', '--split', 'val', '--epochs', '5', '--data-root', 'data/x/')
    exp = run_experiments.ROWS['cooperative']
    result = run_experiments.run_experiment(exp, args, str(tmp_path))
    assert len(commands) == 1 and commands[0][1] == 'tools/test.py' and '/ckpt/epoch_5.pth' in commands[0]
    assert 'test_dataloader.dataset.ann_file=v2xpnp_infos_val.pkl' in commands[0]
    assert result['metrics'] == {'mAP@0.5': 0.3} and result['train_seconds'] == 99.0 and result['split'] == 'val'
    assert json.loads((work_dir / 'result_val.json').read_text())['metrics'] == {'mAP@0.5': 0.3}
    assert json.loads((work_dir / 'result.json').read_text()) == trained


def test_other_test_data_root_reuses_the_training_and_tests_on_that_root(tmp_path, monkeypatch):
    """--test-data-root: a trained run is only tested, with every loader pointed at the other root (training data
    untouched in the result), and its figures go to result_test_<root name>.json, next to result.json."""
    import json
    work_dir = tmp_path / 'famo'
    work_dir.mkdir()
    trained = dict(name='famo', epochs=3, train_seconds=50.0, checkpoint='/ckpt/epoch_3.pth', metrics={'ADE': 2.0})
    (work_dir / 'result.json').write_text(json.dumps(trained))
    commands = []
    monkeypatch.setattr(run_experiments, 'run_logged', _fake_run_logged(commands))
    args = cli_args('balancing', '--data-root', 'data/train_on/', '--test-data-root', 'data/held_out/')
    exp = run_experiments.ROWS['famo']
    result = run_experiments.run_experiment(exp, args, str(tmp_path))
    assert len(commands) == 1 and commands[0][1] == 'tools/test.py' and '/ckpt/epoch_3.pth' in commands[0]
    assert 'test_dataloader.dataset.data_root=data/held_out/' in commands[0]
    assert not any('data/train_on/' in part for part in commands[0])
    assert result['test_data_root'] == 'data/held_out/' and result['train_seconds'] == 50.0
    assert json.loads((work_dir / 'result_test_held_out.json').read_text())['metrics'] == {'mAP@0.5': 0.3}
    assert json.loads((work_dir / 'result.json').read_text()) == trained
    assert run_experiments.cached_result(exp, args, str(tmp_path))['metrics'] == {'mAP@0.5': 0.3}


def test_a_training_is_reused_by_every_later_test(tmp_path, monkeypatch):
    """A run first asked for held-out figures trains once: the plain run after it (the training data's test split)
    only tests the same checkpoint, and so does a run whose test failed after its training."""
    import json
    commands = []
    monkeypatch.setattr(run_experiments, 'run_logged', _fake_run_logged(commands))
    exp = run_experiments.ROWS['famo']
    held_out = cli_args('balancing', '--data-root', 'data/x/', '--test-data-root', 'data/held_out/')
    plain = cli_args('balancing', '--data-root', 'data/x/')
    run_experiments.run_experiment(exp, held_out, str(tmp_path), seed=2)
    assert [cmd[1] for cmd in commands] == ['tools/train.py', 'tools/test.py']
    trained = json.loads((tmp_path / 'famo' / 'trained.json').read_text())
    assert trained['checkpoint'] == '/ckpt/epoch_3.pth' and trained['seed'] == 2 and trained['epochs'] == 3

    result = run_experiments.run_experiment(exp, plain, str(tmp_path), seed=2)
    assert [cmd[1] for cmd in commands] == ['tools/train.py', 'tools/test.py', 'tools/test.py']
    assert '/ckpt/epoch_3.pth' in commands[-1] and 'test_dataloader.dataset.data_root=data/x/' in commands[-1]
    assert result['train_seconds'] == trained['train_seconds']
    assert (tmp_path / 'famo' / 'result.json').is_file()

    (tmp_path / 'famo' / 'result.json').unlink()  # as if tools/test.py had failed
    run_experiments.run_experiment(exp, plain, str(tmp_path), seed=2)
    assert [cmd[1] for cmd in commands][3:] == ['tools/test.py']
    plain.rerun = True
    run_experiments.run_experiment(exp, plain, str(tmp_path), seed=2)
    assert [cmd[1] for cmd in commands][4:] == ['tools/train.py', 'tools/test.py']


def test_test_only_row_reports_the_training_losses_of_the_run_it_reuses(tmp_path, monkeypatch):
    """cv_baseline re-tests the cooperative checkpoint: its row carries cooperative's last-epoch losses, the
    first time (fresh) as well as from its cached result."""
    source = tmp_path / 'cooperative'
    source.mkdir()
    (source / 'last_checkpoint').write_text('/ckpt/epoch_3.pth')
    (source / 'train.log').write_text('x Epoch(train) [3][ 20/40]  loss: 3.0  loss_det: 2.0  loss_pred: 1.0\n')

    monkeypatch.setattr(run_experiments, 'run_logged', _fake_run_logged([]))
    args = cli_args('balancing', '--data-root', 'data/x/')
    exp = run_experiments.ROWS['cv_baseline']
    fresh = run_experiments.run_experiment(exp, args, str(tmp_path))
    cached = run_experiments.run_experiment(exp, args, str(tmp_path))
    for result in (fresh, cached):
        assert result['checkpoint'] == '/ckpt/epoch_3.pth'
        assert (result['train_loss_det'], result['train_loss_pred']) == (2.0, 1.0)


def test_several_seeds_show_mean_and_sample_sd():
    """Per-seed rows merge into lists; a cell is mean ± sample sd (n − 1), a missing value is left out."""
    rows = [dict(name='famo', seed=seed, train_seconds=t, train_loss_det=d, train_loss_pred=0.5,
                 metrics={'AP@0.5/vehicle': ap, 'AP@0.7/vehicle': None, 'mAP@0.5': 0.1, 'mAP@0.7': 0.0,
                          'ADE': ade, 'FDE': 2.0, 'MR': 0.5, 'EPA': -0.25})
            for seed, t, d, ap, ade in [(0, 10.0, 1.0, 0.2, 1.0), (1, 20.0, 2.0, 0.3, 2.0), (2, 30.0, 3.0, 0.4, None)]]
    merged = run_experiments.merge_seeds(rows)
    assert merged['seeds'] == [0, 1, 2] and merged['metrics']['ADE'] == [1.0, 2.0, None]
    cells = [c.strip() for c in run_experiments.table([merged], 'x').splitlines()[2].strip('|').split('|')]
    # AP: 20, 30, 40 % -> mean 30, sd 10; ADE: 1, 2 -> mean 1.5, sd sqrt(0.5)
    assert cells[0] == 'FAMO (3 seeds)'
    assert cells[1:6] == ['30.000 ± 10.000', 'n/a', '10.000 ± 0.000', '0.000 ± 0.000', '1.500 ± 0.707']
    assert cells[9] == '2.000 ± 1.000 / 0.500 ± 0.000' and cells[10] == '20.0 ± 10.0'


def test_balance_report_reads_logs_or_archived_means_and_averages_over_seeds(tmp_path, monkeypatch, capsys):
    """--balance: per run the mean of each balance/* scalar over its logged windows (seed 0 from its scalar log,
    seed 1 from an archived balance_logs.json), then mean ± sample sd over the seeds; a row that logged none of the
    keys is left out."""
    import json

    monkeypatch.setattr(run_experiments, 'run_logged', lambda *a, **k: (_ for _ in ()).throw(AssertionError('ran')))
    root = tmp_path / 'exp'
    famo0 = root / 'famo'
    (famo0 / '20261206_100000' / 'vis_data').mkdir(parents=True)
    windows = [{'balance/weight_det': 0.2, 'balance/cos': 0.1, 'step': 20},
               {'balance/weight_det': 0.4, 'balance/cos': 0.3, 'step': 40}]  # means 0.3 and 0.2
    (famo0 / '20261206_100000' / 'vis_data' / 'scalars.json').write_text(
        ''.join(json.dumps(w) + '\n' for w in windows))
    famo1 = tmp_path / 'exp_seed1' / 'famo'
    famo1.mkdir(parents=True)
    (famo1 / run_experiments.BALANCE_LOGS_FILE).write_text(json.dumps(dict(means=dict(weight_det=0.5, cos=0.4))))
    for seed, famo in ((0, famo0), (1, famo1)):
        (famo / 'result.json').write_text(json.dumps(dict(name='famo', seed=seed, metrics={'ADE': 1.0})))
    (root / 'cooperative').mkdir()  # `sum`: tested, no balance scalars
    result = dict(name='cooperative', seed=0, metrics={'ADE': 1.0})
    (root / 'cooperative' / 'result.json').write_text(json.dumps(result))
    assert run_experiments.main(['balancing', '--work-root', str(root), '--seeds', '0', '1', '--report-only',
                                 '--balance', 'weight_det', 'cos', 'weight_pred']) == 0
    out = capsys.readouterr().out
    table = out[out.index('| balancing, mean over training'):].splitlines()
    assert '| full cooperation (sum of losses, from scratch) (1 seed) |' in out  # read, in the metrics table only
    assert table[0] == '| balancing, mean over training | seeds | weight_det | cos | weight_pred |'
    # weight_det: 0.3, 0.5 -> 0.4 ± sqrt(0.02); cos: 0.2, 0.4 -> 0.3 ± sqrt(0.02)
    assert table[2:] == ['| FAMO | 2 | 0.400 ± 0.141 | 0.300 ± 0.141 | n/a |']


def test_seed_work_roots_keep_seed_0_where_it_was():
    assert run_experiments.seed_work_root('/w/experiments', 0) == '/w/experiments'
    assert run_experiments.seed_work_root('/w/experiments/', 2) == '/w/experiments_seed2'


def test_training_command_carries_the_seed(tmp_path, monkeypatch):
    commands = []
    monkeypatch.setattr(run_experiments, 'run_logged', _fake_run_logged(commands))
    args = cli_args('balancing', '--data-root', 'data/x/')
    root = run_experiments.seed_work_root(str(tmp_path / 'exp'), 3)
    result = run_experiments.run_experiment(run_experiments.ROWS['famo'], args, root, seed=3)
    assert 'randomness.seed=3' in commands[0] and commands[0][commands[0].index('--work-dir') + 1] == osp.join(
        root, 'famo')
    assert result['seed'] == 3 and result['metrics'] == {'mAP@0.5': 0.3}


def test_report_only_tabulates_the_cached_seeds_and_runs_nothing(tmp_path, monkeypatch, capsys):
    """--report-only reads result.json of every seed that has one (seed 0 in the work root, seed N in
    <root>_seedN), leaves out the others, and never calls train/test."""
    import json

    def fail(*args, **kwargs):
        raise AssertionError('report-only must not run anything')

    monkeypatch.setattr(run_experiments, 'run_logged', fail)
    data = tmp_path / 'data'
    data.mkdir()
    (data / 'v2xpnp_infos_train.pkl').write_bytes(b'')
    root = tmp_path / 'exp'
    for seed, ade in [(0, 1.0), (2, 3.0)]:
        work_dir = tmp_path / (f'exp_seed{seed}' if seed else 'exp') / 'famo'
        work_dir.mkdir(parents=True)
        (work_dir / 'result.json').write_text(json.dumps(dict(name='famo', seed=seed, metrics={'ADE': ade})))
    assert run_experiments.main(['balancing', '--data-root', str(data), '--work-root', str(root), '--seeds', '0', '1',
                                 '2', '--report-only']) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith('| FAMO')]
    assert len(lines) == 1 and 'FAMO (2 seeds)' in lines[0] and '2.000 ± 1.414' in lines[0]
    assert (root / 'balancing_seeds0-1-2_partial.md').is_file()


def _merged_config(row, work_root: str = 'wr'):
    """``row``'s config with the ``--cfg-options`` the runner gives it in ``work_root``, merged as tools/train.py
    merges them."""
    import argparse

    from mmengine.config import Config, DictAction
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    cfg = Config.fromfile(osp.join(REPO_ROOT, row.path))
    options = row.options(work_root)
    cfg.merge_from_dict(parser.parse_args(['--cfg-options', *options] if options else []).cfg_options)
    return cfg


def test_from_pretrain_balancing_rows_are_the_scratch_rows_plus_the_same_pretrained_trunk():
    """Each row of the from-pretrain comparison trains the model and optimizer of its from-scratch counterpart, only
    initialised from the one pretrained trunk that the suite's pretraining writes."""
    rows = run_experiments.ROWS
    pairs = dict(from_pretrain='cooperative', pcgrad_from_pretrain='pcgrad', famo_from_pretrain='famo',
                 turbotrain_full='turbotrain_balancing')
    assert sorted(run_experiments.SUITES['balancing_from_pretrain']) == sorted(['pretrain', *pairs])
    for name, scratch_name in pairs.items():
        assert rows[name].needs == ['pretrain']
        cfg, scratch = _merged_config(rows[name]), _merged_config(rows[scratch_name])
        init_cfg = cfg.model.pop('init_cfg')
        assert init_cfg == dict(type='PretrainedTrunk', checkpoint=osp.join('wr', 'pretrain', 'trunk_pretrained.pth'))
        assert 'init_cfg' not in scratch.model
        assert cfg.model == scratch.model, name
        if scratch.optim_wrapper.get('strategy', {}).get('type') == 'turbotrain':
            # recipe rows pin the strategy's defaults they were measured with: τ = 1, the gradient-norm rule
            scratch.optim_wrapper.strategy.setdefault('max_norm_ratio', 1)
            scratch.optim_wrapper.strategy.setdefault('rebalance', 'grad_norm')
        assert cfg.optim_wrapper == scratch.optim_wrapper, name
        assert cfg.train_cfg == scratch.train_cfg and cfg.param_scheduler == scratch.param_scheduler, name


def test_recipe_clip4_rows_are_the_from_pretrain_rows_clipped_at_norm_4():
    """The norm-4 recipe comparison changes nothing but the clip norm of the rows it mirrors (TurboTrain's with
    τ = 2): same trunk, model, strategy, schedule."""
    rows = run_experiments.ROWS
    pairs = dict(from_pretrain_clip4='from_pretrain', pcgrad_from_pretrain_clip4='pcgrad_from_pretrain',
                 famo_from_pretrain_clip4='famo_from_pretrain', turbotrain_full_ratio2_clip4='turbotrain_full_ratio2')
    assert sorted(run_experiments.SUITES['recipe_clip4']) == sorted(
        ['pretrain', 'turbotrain_full_as_sum_clip4', 'turbotrain_full_ratio2_conflict_clip4', *pairs])
    for name, norm10_name in pairs.items():
        assert rows[name].needs == ['pretrain']
        cfg, norm10 = _merged_config(rows[name]), _merged_config(rows[norm10_name])
        assert cfg.optim_wrapper.clip_grad.max_norm == 4 and norm10.optim_wrapper.clip_grad.max_norm == 10, name
        norm10.optim_wrapper.clip_grad.max_norm = 4
        assert cfg.optim_wrapper == norm10.optim_wrapper, name
        assert cfg.model == norm10.model and cfg.train_cfg == norm10.train_cfg, name
    assert _merged_config(rows['turbotrain_full_ratio2_clip4']).optim_wrapper.strategy.max_norm_ratio == 2


def test_recipe_clip4_control_is_the_recipe_row_with_nothing_reweighted_or_projected():
    """The from-trunk control differs from TurboTrain's norm-4 row only in never re-weighting (no norm ratio counts
    as dominating) and never projecting; its from-scratch counterpart differs the same way from τ = 2 at norm 4."""
    rows = run_experiments.ROWS
    for control, recipe in [('turbotrain_full_as_sum_clip4', 'turbotrain_full_ratio2_clip4'),
                            ('turbotrain_as_sum_clip4', 'turbotrain_ratio2_clip4')]:
        cfg, ref = _merged_config(rows[control]), _merged_config(rows[recipe])
        assert cfg.optim_wrapper.strategy.max_norm_ratio == float('inf'), control
        assert cfg.optim_wrapper.strategy.project is False, control
        ref.optim_wrapper.strategy.update(max_norm_ratio=float('inf'), project=False)
        assert cfg.optim_wrapper == ref.optim_wrapper and cfg.model == ref.model, control
        assert cfg.train_cfg == ref.train_cfg and rows[control].needs == rows[recipe].needs, control


def test_recipe_clip4_conflict_row_differs_from_the_recipe_row_only_in_when_it_rebalances():
    rows = run_experiments.ROWS
    cfg = _merged_config(rows['turbotrain_full_ratio2_conflict_clip4'])
    ref = _merged_config(rows['turbotrain_full_ratio2_clip4'])
    assert cfg.optim_wrapper.strategy.rebalance_only_on_conflict is True
    assert 'rebalance_only_on_conflict' not in ref.optim_wrapper.strategy
    ref.optim_wrapper.strategy.rebalance_only_on_conflict = True
    assert cfg.optim_wrapper == ref.optim_wrapper and cfg.model == ref.model and cfg.train_cfg == ref.train_cfg


def test_motion_rows_are_their_counterparts_with_the_motion_aware_fusion_and_its_own_trunk():
    """Each row of the ``motion`` suite trains what its counterpart trains, only with the temporal fusion swapped
    and, from a pretrained trunk, the trunk pretrained with that fusion (``pretrain_motion``, not ``pretrain``)."""
    rows = run_experiments.ROWS
    pairs = dict(cooperative_motion_clip4='cooperative_clip4', pretrain_motion='pretrain',
                 from_pretrain_motion_clip4='from_pretrain_clip4',
                 pcgrad_from_pretrain_motion_clip4='pcgrad_from_pretrain_clip4',
                 famo_from_pretrain_motion_clip4='famo_from_pretrain_clip4',
                 turbotrain_full_motion_ratio2_clip4='turbotrain_full_ratio2_clip4',
                 turbotrain_full_motion_as_sum_clip4='turbotrain_full_as_sum_clip4')
    assert set(pairs) <= set(run_experiments.SUITES['motion'])
    for name, counterpart in pairs.items():
        cfg, ref = _merged_config(rows[name]), _merged_config(rows[counterpart])
        assert cfg.model.trunk.fusion_neck.temporal_fusion.type == 'TemporalConvFusion', name
        # the attention as it ran: its own arguments, none of the convolution's
        assert ref.model.trunk.fusion_neck.temporal_fusion == dict(type='TemporalAttentionFusion', channels=32,
                                                                   max_history=3), name
        ref.model.trunk.fusion_neck.temporal_fusion = cfg.model.trunk.fusion_neck.temporal_fusion
        if 'init_cfg' in ref.model:
            assert rows[name].needs == ['pretrain_motion'] and rows[counterpart].needs == ['pretrain'], name
            assert cfg.model.init_cfg.checkpoint == osp.join('wr', 'pretrain_motion', 'trunk_pretrained.pth')
            ref.model.init_cfg.checkpoint = cfg.model.init_cfg.checkpoint
        assert cfg.model == ref.model and cfg.optim_wrapper == ref.optim_wrapper, name
        assert cfg.train_cfg == ref.train_cfg and rows[name].pretrain == rows[counterpart].pretrain, name


def test_recipe_rows_keep_the_settings_they_were_measured_with_and_the_motion_row_is_the_shipped_recipe():
    """The recipe rows measured with the gradient-norm rule, τ = 1, norm 10 and the attention fusion keep them (their
    configs write them out) although demo_turbotrain.py now ships the loss-rate rule, norm 4 and the motion-aware
    fusion; the motion loss-rate row trains the shipped recipe (only its trunk checkpoint differs)."""
    from mmengine.config import Config

    from projects.TurboTrain.turbotrain.engine.optim_wrappers.strategies import build_strategy
    rows = run_experiments.ROWS
    for name in ('turbotrain_full', 'turbotrain_full_warmup1ep'):
        cfg = _merged_config(rows[name])
        assert cfg.optim_wrapper.clip_grad.max_norm == 10 and cfg.optim_wrapper.strategy.max_norm_ratio == 1, name
        assert cfg.optim_wrapper.strategy.rebalance == 'grad_norm', name
    ratio2 = _merged_config(rows['turbotrain_full_ratio2'])
    assert ratio2.optim_wrapper.clip_grad.max_norm == 10 and ratio2.optim_wrapper.strategy.max_norm_ratio == 2
    motion_ratio2 = _merged_config(rows['turbotrain_full_motion_ratio2_clip4']).optim_wrapper
    assert motion_ratio2.strategy.rebalance == 'grad_norm' and motion_ratio2.strategy.max_norm_ratio == 2
    assert motion_ratio2.clip_grad.max_norm == 4
    shipped = Config.fromfile(osp.join(REPO_ROOT, 'projects/TurboTrain/configs/demo_turbotrain.py'))
    recipe = _merged_config(rows['turbotrain_full_motion_lossrate_clip4'])
    every3 = _merged_config(rows['turbotrain_full_motion_lossrate_i3_clip4'])
    assert every3.optim_wrapper.strategy.pop('interval') == 3 and 'interval' not in recipe.optim_wrapper.strategy
    assert every3.to_dict() == recipe.to_dict()  # nothing else differs
    # the row spells out the default max_norm_ratio=1 (the shipped recipe leaves it out): same strategy built
    assert vars(build_strategy(recipe.optim_wrapper.pop('strategy'))) == vars(
        build_strategy(shipped.optim_wrapper.pop('strategy')))
    assert recipe.optim_wrapper == shipped.optim_wrapper
    assert recipe.model.init_cfg.checkpoint == osp.join('wr', 'pretrain_motion', 'trunk_pretrained.pth')
    recipe.model.init_cfg.checkpoint = shipped.model.init_cfg.checkpoint
    assert recipe.model == shipped.model


def test_paired_table_differences_per_seed_by_hand():
    """Δ = row − baseline per seed, over the seeds both ran; AP in points; the count of seeds no worse in both
    vehicle AP and EPA."""
    def run(name, seed, ap, m_ap, ade, epa):
        return dict(name=name, seed=seed, metrics={'AP@0.5/vehicle': ap, 'mAP@0.5': m_ap, 'ADE': ade, 'FDE': 2 * ade,
                                                   'EPA': epa})
    runs = {'cooperative': [run('cooperative', 0, 0.40, 0.20, 1.5, -0.20),
                            run('cooperative', 1, 0.30, 0.10, 2.0, -0.30)],
            'famo': [run('famo', 0, 0.45, 0.20, 1.0, -0.10), run('famo', 1, 0.25, 0.15, 1.0, -0.40),
                     run('famo', 2, 0.99, 0.99, 0.0, 0.9)]}  # seed 2 has no baseline: left out
    lines = run_experiments.paired_table(runs, 'cooperative').splitlines()
    assert len(lines) == 3  # header, rule, famo (the baseline has no row of its own)
    cells = [c.strip() for c in lines[2].strip('|').split('|')]
    # AP: +5, −5 points → 0 ± 7.071; mAP: 0, +5 → 2.5 ± 3.536; ADE: −0.5, −1 → −0.75 ± 0.354; FDE twice that;
    # EPA: +0.1, −0.1 → 0 ± 0.141; seed 0 is no worse in AP and EPA, seed 1 is not
    assert cells == ['FAMO', '2', '0.000 ± 7.071', '2.500 ± 3.536', '-0.750 ± 0.354', '-1.500 ± 0.707',
                     '0.000 ± 0.141', '1 of 2']


def test_paired_table_against_the_mean_of_two_baselines_by_hand(tmp_path, capsys):
    """With two baseline rows a seed's baseline is their mean (over the seeds both ran), and each baseline row is
    listed with its distance from that mean; unknown baseline rows are named."""
    def run(name, seed, ap, epa):
        return dict(name=name, seed=seed, metrics={'AP@0.5/vehicle': ap, 'mAP@0.5': 0.2, 'ADE': 1.0, 'FDE': 2.0,
                                                   'EPA': epa, 'ap_mode': 'sorted'})
    runs = {'cooperative': [run('cooperative', 0, 0.40, -0.20), run('cooperative', 1, 0.30, -0.30)],
            'control': [run('control', 0, 0.36, -0.22), run('control', 2, 0.50, -0.10)],  # no seed 1
            'famo': [run('famo', 0, 0.41, -0.19), run('famo', 1, 0.20, -0.40)]}
    assert run_experiments.seed_baselines(runs, ['cooperative', 'control']) == {0: pytest.approx(
        {'AP@0.5/vehicle': 0.38, 'mAP@0.5': 0.2, 'ADE': 1.0, 'FDE': 2.0, 'EPA': -0.21})}
    lines = run_experiments.paired_table(runs, ['cooperative', 'control']).splitlines()
    assert lines[0].startswith('| Δ against the mean of full cooperation') and len(lines) == 5
    cells = {c[0]: c[1:] for c in ([x.strip() for x in line.strip('|').split('|')] for line in lines[2:])}
    # seed 0 only: baseline AP 38, EPA −0.21; famo +3 points, +0.02; cooperative +2, +0.01; control −2, −0.01
    assert cells['FAMO'][:2] == ['1', '3.000'] and cells['FAMO'][5:] == ['0.020', '1 of 1']
    assert [cells[label][1] for label in cells if label != 'FAMO'] == ['2.000', '-2.000']
    data = tmp_path / 'data'
    data.mkdir()
    (data / 'v2xpnp_infos_train.pkl').write_bytes(b'')
    with pytest.raises(SystemExit):
        run_experiments.main(['dominance', '--data-root', str(data), '--report-only', '--paired-with',
                              'cooperative_clip4', 'famo'])
    assert "--paired-with: famo not in suite 'dominance'" in capsys.readouterr().err


def test_every_suite_row_is_defined_labelled_and_its_strategy_builds():
    """Each row a suite names exists, has a table label if it is evaluated, and its config with its options builds
    the balancing strategy it asks for (a misspelt strategy key is an error here, not 10 minutes into a run)."""
    from projects.TurboTrain.turbotrain.engine.optim_wrappers.strategies import build_strategy
    rows = run_experiments.ROWS
    for suite, names in run_experiments.SUITES.items():
        for name in names:
            assert name in rows, (suite, name)
            assert rows[name].pretrain or name in run_experiments.ROW_LABELS, (suite, name)
    strategies = {}
    for name, row in rows.items():
        # the rows measured with the per-cell attention keep it, although the base configs' default is now the
        # motion-aware fusion
        cfg = _merged_config(row)
        assert cfg.model.trunk.fusion_neck.temporal_fusion.type == (
            'TemporalConvFusion' if 'motion' in name else 'TemporalAttentionFusion'), name
        strategy_cfg = cfg.optim_wrapper.get('strategy')
        if strategy_cfg is not None:
            strategies[name] = build_strategy(dict(strategy_cfg))
    tolerant = strategies['turbotrain_ratio2_clip4']
    assert tolerant.max_norm_ratio == 2.0 and tolerant.warmup == 100


def test_every_study_config_is_a_row_and_every_row_a_study_config():
    """The rows are exactly the configs under configs/studies/<suite>/<row>.py: none unlisted, none missing, names
    unique (a row's name is its work dir); each row lives under a suite that lists it."""
    import glob
    on_disk = sorted(osp.relpath(path, osp.join(REPO_ROOT, run_experiments.STUDIES))
                     for path in glob.glob(osp.join(REPO_ROOT, run_experiments.STUDIES, '*', '*.py')))
    assert sorted(row.config for row in run_experiments.ROWS.values()) == on_disk
    assert len(run_experiments.ROWS) == len(run_experiments._ROWS)
    for name, row in run_experiments.ROWS.items():
        suite = row.config.split('/')[0]
        assert name in run_experiments.SUITES[suite], (suite, name)
        for dependency in row.needs:
            assert dependency in run_experiments.ROWS, (name, dependency)
        if row.trunk_from is not None:
            assert run_experiments.ROWS[row.trunk_from].pretrain, name


def test_a_row_from_a_trunk_trains_its_config_with_the_trunk_of_its_work_root(tmp_path, monkeypatch):
    """The runner adds to the row's config only the data root, the budget, the seed and the trunk that the row's
    pretraining wrote in the same (seed's) work root; the pretraining runs first and is not tested."""
    commands = []
    monkeypatch.setattr(run_experiments, 'run_logged', _fake_run_logged(commands))
    data = _data_root(tmp_path)
    root = run_experiments.seed_work_root(str(tmp_path / 'exp'), 2)
    assert run_experiments.main(['motion', '--data-root', data, '--work-root', str(tmp_path / 'exp'),
                                 '--seeds', '2', '--only', 'from_pretrain_motion_clip4']) == 0
    trunk = osp.join(root, 'pretrain_motion', 'trunk_pretrained.pth')
    assert [(cmd[1], cmd[2]) for cmd in commands] == [
        ('tools/train.py', 'projects/TurboTrain/configs/studies/motion/pretrain_motion.py'),
        ('tools/train.py', 'projects/TurboTrain/configs/studies/motion/from_pretrain_motion_clip4.py'),
        ('tools/test.py', 'projects/TurboTrain/configs/studies/motion/from_pretrain_motion_clip4.py')]
    pretrain_options, train_options, test_options = (cmd[cmd.index('--cfg-options') + 1:] for cmd in commands)
    assert not any(option.startswith('model.init_cfg') for option in pretrain_options)
    assert 'train_cfg.max_epochs=2' in pretrain_options and 'train_cfg.max_epochs=3' in train_options
    assert f'model.init_cfg.checkpoint={trunk}' in train_options and 'randomness.seed=2' in train_options
    assert f'model.init_cfg.checkpoint={trunk}' in test_options
    # nothing else: data roots, budget and seed
    assert sorted(set(train_options) - {f'model.init_cfg.checkpoint={trunk}', 'randomness.seed=2'}) == sorted(
        run_experiments.data_options(data) + run_experiments.budget_options(3))


def test_a_test_only_row_tests_its_own_config_on_the_checkpoint_of_the_row_it_names(tmp_path, monkeypatch):
    commands = []
    monkeypatch.setattr(run_experiments, 'run_logged', _fake_run_logged(commands))
    run_experiments.main(['cooperation', '--data-root', _data_root(tmp_path), '--work-root', str(tmp_path / 'exp'),
                          '--only', 'cv_baseline'])
    # the row it names runs first (trained and tested), then this row's config is tested on that checkpoint
    assert [(cmd[1], osp.basename(cmd[2])) for cmd in commands] == [
        ('tools/train.py', 'cooperative.py'), ('tools/test.py', 'cooperative.py'), ('tools/test.py', 'cv_baseline.py')]
    assert commands[2][3] == '/ckpt/epoch_3.pth'  # cooperative's checkpoint
    assert commands[2][commands[2].index('--work-dir') + 1] == osp.join(str(tmp_path / 'exp'), 'cv_baseline', 'test')


def test_report_only_on_the_archived_records_prints_their_figures(tmp_path, capsys):
    """A spot check of a table printed from the repository's record (copied, as --report-only writes its tables
    into the work root): the motion suite's FAMO row on the held-out scenarios, mean ± sample sd of the three
    seeds' vehicle AP@0.5 and ADE, recomputed here from the files."""
    import json
    import shutil
    import statistics

    records = osp.join(REPO_ROOT, 'projects/TurboTrain/docs/experiments/records/experiments')
    row_name = 'famo_from_pretrain_motion_clip4'
    metrics = []
    for suffix in ('', '_seed1', '_seed2'):
        shutil.copytree(osp.join(records + suffix, row_name), tmp_path / f'exp{suffix}' / row_name)
        with open(osp.join(records + suffix, row_name, 'result_test_v2xpnp_heldout.json')) as f:
            metrics.append(json.load(f)['metrics'])
    ap = [100 * m['AP@0.5/vehicle'] for m in metrics]
    ade = [m['ADE'] for m in metrics]
    assert run_experiments.main(['motion', '--report-only', '--work-root', str(tmp_path / 'exp'), '--seeds', '0',
                                 '1', '2', '--test-data-root', 'data/v2xpnp_heldout/', '--only', row_name]) == 0
    row = [line for line in capsys.readouterr().out.splitlines()
           if line.startswith('| motion-aware trunk, pretrained + FAMO')]
    cells = [cell.strip() for cell in row[0].strip('|').split('|')]
    assert cells[0].endswith('(3 seeds)')
    assert cells[1] == f'{statistics.mean(ap):.3f} ± {statistics.stdev(ap):.3f}'
    assert cells[5] == f'{statistics.mean(ade):.3f} ± {statistics.stdev(ade):.3f}'


def test_torchjd_rows_are_the_famo_row_with_an_aggregator_every_update_or_every_10():
    """balancing_torchjd: the same trunk, model, clipping and schedule as FAMO's row; only the strategy differs."""
    from projects.TurboTrain.turbotrain.engine.optim_wrappers.strategies import build_strategy
    rows = run_experiments.ROWS
    famo = _merged_config(rows['famo_from_pretrain_motion_clip4'])
    for name, aggregator in run_experiments.TORCHJD_STUDY.items():
        every = _merged_config(rows[f'{name}_from_pretrain_motion_clip4'])
        scheduled = _merged_config(rows[f'{name}_i10_from_pretrain_motion_clip4'])
        for cfg in (every, scheduled):
            assert cfg.model == famo.model and cfg.train_cfg == famo.train_cfg, name
            assert cfg.param_scheduler == famo.param_scheduler, name
            others = {k: v for k, v in cfg.optim_wrapper.items() if k != 'strategy'}
            assert others == {k: v for k, v in famo.optim_wrapper.items() if k != 'strategy'}, name
        plain = build_strategy(dict(every.optim_wrapper.strategy))
        periodic = build_strategy(dict(scheduled.optim_wrapper.strategy))
        for strategy in (plain, periodic.method):
            assert type(strategy).__name__ == 'TorchJDStrategy' and strategy.aggregator_name == aggregator
        assert periodic.interval == 10 and periodic.warmup == 0
        assert f'{name}_i10_from_pretrain_motion_clip4' in run_experiments.SUITES['balancing_torchjd']


def test_prediction_rows_differ_only_in_the_head_and_the_table_lists_each_reported_source():
    rows = run_experiments.ROWS
    dense = _merged_config(rows['pred_dense_motion_clip4'])
    motion = _merged_config(rows['pred_motion_clip4'])
    modes = _merged_config(rows['pred_motion_k3_clip4'])
    assert dense.model.traj_head.type == 'TrajectoryHead' and motion.model.traj_head.type == 'MotionTrajectoryHead'
    assert {k: v for k, v in dense.model.items() if k != 'traj_head'} == \
        {k: v for k, v in motion.model.items() if k != 'traj_head'}
    assert dense.optim_wrapper == motion.optim_wrapper and dense.optim_wrapper.clip_grad.max_norm == 4
    assert list(dense.test_evaluator.compare_sources) == ['constant_velocity']
    modes.model.traj_head.pop('num_modes')
    motion.model.traj_head.pop('num_modes', None)
    assert modes.model == motion.model
    row = dict(name='pred_motion_clip4', metrics={
        'ADE/vehicle': 1.0, 'FDE/vehicle': 2.0, 'MR/vehicle': 0.5, 'ADE/pedestrian': 0.25, 'FDE/pedestrian': 0.5,
        'MR/pedestrian': 0.0, 'EPA/vehicle': 0.4, 'EPA': 0.1, 'ADE': 0.8,
        'detected_velocity/ADE': 1.2, 'detected_velocity/FDE/vehicle': 2.5,
        'constant_velocity/ADE': None})  # a source reported as null (nan) is left out
    lines = run_experiments.prediction_table([row]).splitlines()
    assert len(lines) == 4
    cells = [c.strip() for c in lines[2].strip('|').split('|')]
    assert cells == ['pred_motion_clip4', 'learned head', '1.000', '2.000', '0.500', '0.250', '0.500', '0.000',
                     '0.400', '0.100', 'n/a / n/a']
    cells = [c.strip() for c in lines[3].strip('|').split('|')]
    assert cells[1].startswith('constant velocity, own velocity') and cells[3] == '2.500' and cells[2] == 'n/a'


def test_trained_rows_are_tested_from_the_named_checkpoints_and_not_trained(tmp_path, monkeypatch, capsys):
    """``--trained ROW=CHECKPOINT`` (``{seed}`` filled in per seed): the pretraining's trunk beside its checkpoint is
    linked into the work root and loaded by the row fine-tuned from it; the adopted fine-tuning row is only tested,
    with its source's checkpoint; the other row trains; a missing file is refused by name."""
    import json
    commands = []
    monkeypatch.setattr(run_experiments, 'run_logged', _fake_run_logged(commands))
    data = _data_root(tmp_path)
    for seed in (0, 1):
        source = tmp_path / 'src' / f'seed{seed}'
        (source / 'pretrain').mkdir(parents=True)
        (source / 'pretrain' / 'epoch_2.pth').write_text('pt')
        (source / 'pretrain' / 'trunk_pretrained.pth').write_text(f'trunk {seed}')
        (source / 'turbotrain').mkdir()
        (source / 'turbotrain' / 'epoch_3.pth').write_text('ft')
        (source / 'turbotrain' / 'train.log').write_text(
            'x Epoch(train) [3][ 20/40]  loss: 3.0  loss_det: 2.0  loss_pred: 1.0\n')
    src = str(tmp_path / 'src')
    argv = ['balancing_torchjd', '--data-root', data, '--work-root', str(tmp_path / 'exp'), '--seeds', '0', '1',
            '--only', 'turbotrain_full_motion_lossrate_clip4', 'upgrad_from_pretrain_motion_clip4',
            '--trained', f'pretrain_motion={src}/seed{{seed}}/pretrain/epoch_2.pth',
            f'turbotrain_full_motion_lossrate_clip4={src}/seed{{seed}}/turbotrain/epoch_3.pth']
    assert run_experiments.main(argv) == 0
    for seed in (0, 1):
        root = run_experiments.seed_work_root(str(tmp_path / 'exp'), seed)
        assert open(osp.join(root, 'pretrain_motion', 'trunk_pretrained.pth')).read() == f'trunk {seed}'
        record = json.load(open(osp.join(root, 'turbotrain_full_motion_lossrate_clip4', 'trained.json')))
        assert record['checkpoint'] == f'{src}/seed{seed}/turbotrain/epoch_3.pth' and record['seed'] == seed
        assert record['reused_from'] == f'{src}/seed{seed}/turbotrain'
        result = json.load(open(osp.join(root, 'turbotrain_full_motion_lossrate_clip4', 'result.json')))
        assert (result['train_loss_det'], result['train_loss_pred']) == (2.0, 1.0)
    per_seed = [[(cmd[1], osp.basename(cmd[2]), cmd[3] if cmd[1] == 'tools/test.py' else None) for cmd in
                 commands[i:i + 3]] for i in (0, 3)]
    for seed, seed_commands in enumerate(per_seed):
        assert seed_commands == [
            ('tools/test.py', 'turbotrain_full_motion_lossrate_clip4.py', f'{src}/seed{seed}/turbotrain/epoch_3.pth'),
            ('tools/train.py', 'upgrad_from_pretrain_motion_clip4.py', None),
            ('tools/test.py', 'upgrad_from_pretrain_motion_clip4.py', '/ckpt/epoch_3.pth')]
    assert len(commands) == 6
    trunk = osp.join(run_experiments.seed_work_root(str(tmp_path / 'exp'), 1), 'pretrain_motion',
                     'trunk_pretrained.pth')
    assert f'model.init_cfg.checkpoint={trunk}' in commands[4]

    capsys.readouterr()
    with pytest.raises(SystemExit):
        run_experiments.main(argv[:6] + ['2'] + argv[8:])
    assert f'pretrain_motion: no such file: {src}/seed2/pretrain/epoch_2.pth' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        run_experiments.main(argv[:-2] + ['famo=x.pth'])
    assert "'famo' is not a row of this suite" in capsys.readouterr().err

    # a --trained row that --only leaves out is neither adopted nor refused
    only_upgrad = argv[:7] + ['--only', 'upgrad_from_pretrain_motion_clip4'] + argv[11:]
    only_upgrad[only_upgrad.index('--work-root') + 1] = str(tmp_path / 'exp2')
    assert run_experiments.main(only_upgrad) == 0
    assert sorted(p.name for p in (tmp_path / 'exp2').iterdir() if p.is_dir()) == [
        'pretrain_motion', 'upgrad_from_pretrain_motion_clip4']


def test_an_interrupted_training_resumes_from_its_work_dir(tmp_path, monkeypatch):
    """A row's work dir with a checkpoint but no training record (the run was stopped mid-way) trains with
    ``--resume``; ``--rerun`` starts over."""
    commands = []
    monkeypatch.setattr(run_experiments, 'run_logged', _fake_run_logged(commands))
    exp = run_experiments.ROWS['famo']
    (tmp_path / 'famo').mkdir()
    (tmp_path / 'famo' / 'last_checkpoint').write_text('/ckpt/epoch_1.pth')
    run_experiments.run_experiment(exp, cli_args('balancing'), str(tmp_path))
    assert commands[0][1:6] == ['tools/train.py', exp.path, '--work-dir', str(tmp_path / 'famo'), '--resume']
    assert commands[0][6] == '--cfg-options' and commands[0].count('--resume') == 1
    run_experiments.run_experiment(exp, cli_args('balancing', '--rerun'), str(tmp_path))
    assert commands[2][1] == 'tools/train.py' and '--resume' not in commands[2]
