"""archive_results.py: the record holds every run's metrics and losses (no checkpoints or logs), the tables read from it
equal those read from the work dirs, and a differing file already in the record is never replaced silently."""
import importlib.util
import json
import os.path as osp

import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
_spec = importlib.util.spec_from_file_location(
    'archive_results', osp.join(REPO_ROOT, 'tools', 'benchmarks', 'archive_results.py'))
archive_results = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(archive_results)
run_experiments = archive_results.run_experiments

TRAIN_LOG = ('x Epoch(train) [3][ 20/40]  lr: 1e-3  loss: 3.0  loss_det: 2.0  loss_pred: 1.0\n'
             'x Epoch(train) [3][ 40/40]  lr: 1e-3  loss: 2.0  loss_det: 1.0  loss_pred: 0.5\n')


def _work_root(tmp_path):
    """Runs of seeds 0 and 1 as run_experiments.py leaves them: metrics on two splits, checkpoint, log; a pretraining
    run without metrics; a folder named like a seed folder that is not one."""
    root = tmp_path / 'work' / 'exp'
    for seed, ade in [(0, 1.5), (1, 2.5)]:
        run_dir = tmp_path / 'work' / (f'exp_seed{seed}' if seed else 'exp') / 'famo'
        run_dir.mkdir(parents=True)
        for suffix, scale in [('', 1.0), ('_test_v2xpnp_heldout', 2.0)]:
            (run_dir / f'result{suffix}.json').write_text(json.dumps(
                dict(name='famo', seed=seed, train_seconds=600.0, metrics={'ADE': ade * scale, 'mAP@0.5': 0.25})))
        (run_dir / 'trained.json').write_text(json.dumps(dict(name='famo', seed=seed)))
        (run_dir / 'train.log').write_text(TRAIN_LOG)
        (run_dir / 'epoch_3.pth').write_bytes(b'weights')
    (root / 'pretrain').mkdir()
    (root / 'pretrain' / 'epoch_2.pth').write_bytes(b'weights')
    (tmp_path / 'work' / 'exp_seedling').mkdir()
    return root


def test_seed_roots_finds_seed_folders_only(tmp_path):
    root = _work_root(tmp_path)
    assert archive_results.seed_roots(str(root)) == {0: str(root), 1: str(root) + '_seed1'}


def test_record_holds_metrics_and_losses_and_reads_back_as_the_work_dirs(tmp_path):
    root = _work_root(tmp_path)
    dest = tmp_path / 'results' / 'exp'
    written, refused = archive_results.archive(str(root), str(dest))
    assert refused == []
    run_dir = dest / 'famo'
    assert sorted(p.name for p in run_dir.iterdir()) == [
        'result.json', 'result_test_v2xpnp_heldout.json', 'train_losses.json', 'trained.json']
    assert sorted(p.name for p in (tmp_path / 'results' / 'exp_seed1' / 'famo').iterdir()) == sorted(
        p.name for p in run_dir.iterdir())
    assert not (dest / 'pretrain').exists()  # no metrics: nothing to keep
    assert json.loads((run_dir / 'train_losses.json').read_text()) == dict(train_loss_det=1.5, train_loss_pred=0.75)
    assert len(written) == 8
    exp = run_experiments.ROWS['famo']
    for seed in (0, 1):
        for test_root in (None, 'data/v2xpnp_heldout/'):
            args = run_experiments.build_parser().parse_args(
                ['balancing', '--report-only'] + (['--test-data-root', test_root] if test_root else []))
            from_work = run_experiments.cached_result(exp, args, run_experiments.seed_work_root(str(root), seed))
            from_record = run_experiments.cached_result(exp, args, run_experiments.seed_work_root(str(dest), seed))
            assert from_record == from_work and from_record['train_loss_det'] == 1.5


def test_balance_logs_are_averaged_over_the_windows_that_have_them(tmp_path):
    root = _work_root(tmp_path)
    log_dir = root / 'famo' / '20261202_120000' / 'vis_data'
    log_dir.mkdir(parents=True)
    windows = [{'loss': 3.0, 'balance/weight_det': 0.5, 'balance/weight_pred': 1.5, 'step': 20},
               {'loss': 2.0, 'balance/weight_det': 0.3, 'balance/weight_pred': 1.7, 'balance/cos': -0.2, 'step': 40},
               {'mAP@0.5': 0.25, 'step': 3},  # a validation line
               {'loss': 1.0, 'balance/weight_det': 0.4, 'balance/weight_pred': 1.6, 'balance/cos': 0.4, 'step': 60}]
    (log_dir / 'scalars.json').write_text(''.join(json.dumps(window) + '\n' for window in windows))
    (root / 'famo' / 'test' / '20261202_130000' / 'vis_data').mkdir(parents=True)  # a test run's log is not read
    (root / 'famo' / 'test' / '20261202_130000' / 'vis_data' / 'scalars.json').write_text('{"balance/cos": 9}\n')
    dest = tmp_path / 'results' / 'exp'
    archive_results.archive(str(root), str(dest))
    logs = json.loads((dest / 'famo' / 'balance_logs.json').read_text())
    assert logs['windows'] == 4 and logs['counts'] == dict(cos=2, weight_det=3, weight_pred=3)
    assert logs['means'] == pytest.approx(dict(cos=0.1, weight_det=0.4, weight_pred=1.6), rel=1e-12)
    assert not (tmp_path / 'results' / 'exp_seed1' / 'famo' / 'balance_logs.json').exists()  # no log there

    (log_dir / 'scalars.json').write_text('{"balance/cos": 0.1}\n{"balance/cos"\n')
    with pytest.raises(ValueError, match=r'scalars.json: line 2 is not valid JSON'):
        archive_results.balance_log_means(str(root / 'famo'))


def test_balance_logs_of_a_resumed_run_drop_the_iterations_trained_again(tmp_path):
    """A run interrupted after iteration 80 and resumed from its checkpoint at iteration 50: the first log's windows
    60 and 80 were trained again, so the means take 20 and 40 from it and the rest from the resumed log; a later
    restart from scratch in the same dir replaces both."""
    run_dir = tmp_path / 'famo'

    def write_log(stamp, windows):
        log_dir = run_dir / stamp / 'vis_data'
        log_dir.mkdir(parents=True)
        (log_dir / 'scalars.json').write_text(''.join(json.dumps(window) + '\n' for window in windows))

    write_log('20261203_100000', [{'loss': 1.0, 'balance/weight_det': float(step // 20), 'step': step}
                                  for step in (20, 40, 60, 80)])
    write_log('20261203_110000', [{'loss': 1.0, 'balance/weight_det': 10.0, 'step': 60},
                                  {'loss': 1.0, 'balance/weight_det': 20.0, 'step': 80},
                                  {'mAP@0.5': 0.25, 'step': 1}])
    logs = archive_results.balance_log_means(str(run_dir))
    assert logs['counts'] == dict(weight_det=4) and logs['windows'] == 5
    assert logs['means']['weight_det'] == pytest.approx((1 + 2 + 10 + 20) / 4, rel=1e-12)

    write_log('20261203_120000', [{'loss': 1.0, 'balance/weight_det': 100.0, 'step': 20},
                                  {'loss': 1.0, 'balance/weight_det': 200.0, 'step': 40}])
    logs = archive_results.balance_log_means(str(run_dir))
    assert logs == dict(windows=2, means=dict(weight_det=150.0), counts=dict(weight_det=2))


def test_paths_inside_the_repository_are_recorded_relative_to_it(tmp_path):
    """A checkpoint and a trunk option under the repository lose its root; a path outside it keeps its own; the
    figures are untouched."""
    root = _work_root(tmp_path)
    inside = osp.join(REPO_ROOT, 'work_dirs', 'exp', 'famo', 'epoch_3.pth')
    trained = dict(name='famo', seed=0, checkpoint=inside, train_seconds=600.0,
                   options=[f'model.init_cfg.checkpoint={osp.join(REPO_ROOT, "work_dirs", "exp", "pretrain", "t.pth")}',
                            f'load_from={tmp_path}/elsewhere.pth'])
    (root / 'famo' / 'trained.json').write_text(json.dumps(trained, indent=1))
    dest = tmp_path / 'results' / 'exp'
    archive_results.archive(str(root), str(dest))
    record = json.loads((dest / 'famo' / 'trained.json').read_text())
    assert record == dict(trained, checkpoint='work_dirs/exp/famo/epoch_3.pth',
                          options=['model.init_cfg.checkpoint=work_dirs/exp/pretrain/t.pth',
                                   f'load_from={tmp_path}/elsewhere.pth'])
    assert (dest / 'famo' / 'result.json').read_text() == (root / 'famo' / 'result.json').read_text()
    assert archive_results.archive(str(root), str(dest))[1] == []  # archiving again: the same record, nothing refused


def test_report_only_from_the_record_needs_no_data(tmp_path, capsys):
    dest = tmp_path / 'results' / 'exp'
    archive_results.archive(str(_work_root(tmp_path)), str(dest))
    assert run_experiments.main(['balancing', '--data-root', str(tmp_path / 'nowhere'), '--work-root', str(dest),
                                 '--seeds', '0', '1', '--report-only', '--test-data-root', 'data/v2xpnp_heldout']) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith('| FAMO')]
    assert len(lines) == 1 and '4.000 ± 1.414' in lines[0] and '1.500 ± 0.000 / 0.750 ± 0.000' in lines[0]


def test_a_differing_file_in_the_record_is_kept_unless_overwrite(tmp_path, capsys):
    root = _work_root(tmp_path)
    dest = tmp_path / 'results' / 'exp'
    archive_results.archive(str(root), str(dest))
    rerun = root / 'famo' / 'result.json'
    rerun.write_text(rerun.read_text().replace('1.5', '1.75'))
    kept = (dest / 'famo' / 'result.json').read_text()
    assert archive_results.main([str(root), '--dest', str(dest)]) == 1
    assert str(dest / 'famo' / 'result.json') in capsys.readouterr().err
    assert (dest / 'famo' / 'result.json').read_text() == kept
    written, refused = archive_results.archive(str(root), str(dest))  # the identical seed-1 run is still written
    assert refused == [str(dest / 'famo' / 'result.json')] and all('exp_seed1' in path for path in written)
    assert archive_results.archive(str(root), str(dest), overwrite=True)[1] == []
    assert (dest / 'famo' / 'result.json').read_text() == rerun.read_text()


def test_bad_input_is_named(tmp_path, capsys):
    root = _work_root(tmp_path)
    (root / 'famo' / 'result.json').write_text('{"metrics": ')
    with pytest.raises(ValueError, match=r'famo/result\.json: not valid JSON'):
        archive_results.archive(str(root), str(tmp_path / 'results'))
    with pytest.raises(SystemExit):
        archive_results.main([str(tmp_path / 'missing')])
    assert 'missing: no such folder' in capsys.readouterr().err
