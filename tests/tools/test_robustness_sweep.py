"""tools/analysis/robustness_sweep.py and the test-time robustness options of tools/test.py: settings, the paired
bootstrap by hand, and end to end on the demo config over tiny synthetic data (zero noise and zero latency give
the clean metrics exactly; noise and latency reach the model)."""
import importlib.util
import json
import os.path as osp
import pickle

import numpy as np
import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO_ROOT, 'projects/TurboTrain/configs/demo_finetune.py')
_spec = importlib.util.spec_from_file_location(
    'robustness_sweep', osp.join(REPO_ROOT, 'tools', 'analysis', 'robustness_sweep.py'))
sweep = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sweep)


def result(sample_idx: int, tp: bool) -> dict:
    """One per-sample metric result: one vehicle ground truth, one detection (a hit at score 0.9 or a false positive
    at score 0.5)."""
    return dict(sample_idx=sample_idx, det_scores=np.array([0.9 if tp else 0.5], np.float32), det_labels=np.array([0]),
                det_tp=np.array([[tp], [tp]]), det_matched=np.array([tp]), gt_labels=np.array([0]),
                gt_has_future=np.array([True]), pair_labels=np.array([0] if tp else [], np.int64),
                pair_scores=np.array([0.9] if tp else [], np.float32),
                pair_ade=np.array([0.5] if tp else [], np.float32), pair_fde=np.array([1.0] if tp else [], np.float32),
                has_traj=True, comm_bytes=100, comm_senders=1)


def metric():
    from projects.TurboTrain.turbotrain.evaluation import V2XPnPMetric
    return V2XPnPMetric(classes=('vehicle', ))


def test_settings():
    settings = sweep.sweep_settings([0, 0.4, 0.2], [0, 2, 1], ['float16'])
    assert [(s['name'], s['noise'], s['latency'], s['transmit_dtype']) for s in settings] == [
        ('clean', 0.0, 0, None), ('noise_0.2', 0.2, 0, None), ('noise_0.4', 0.4, 0, None),
        ('latency_1', 0.0, 1, None), ('latency_2', 0.0, 2, None), ('transmit_float16', 0.0, 0, 'float16')]


def test_paired_bootstrap_by_hand():
    clean = [result(i, True) for i in range(20)]
    same = sweep.paired_bootstrap(clean, [dict(r) for r in clean], metric(), rounds=50, block=5)
    assert all(v == dict(diff=0.0, low=0.0, high=0.0) for v in same.values())
    # 5 of 20 hits lost (ranked last): recall stops at 15/20 at precision 1 → AP 0.75; EPA (15 − 0.5·5) / 20 = 0.625
    worse = [result(i, i >= 5) for i in range(20)]
    paired = sweep.paired_bootstrap(clean, worse, metric(), rounds=200, block=5)
    assert paired['mAP@0.5']['diff'] == pytest.approx(-0.25)
    assert paired['EPA']['diff'] == pytest.approx(0.625 - 1.0)
    # the lost hits are one block of 5: resamples hold 0-4 copies of it, so the interval is wide but one-sided
    assert paired['mAP@0.5']['low'] < -0.25 < paired['mAP@0.5']['high'] <= 0.0
    with pytest.raises(ValueError, match='same samples'):
        sweep.paired_bootstrap(clean, clean[1:], metric(), rounds=2)


def test_table_and_plot(tmp_path):
    clean = {'mAP@0.5': 0.5, 'mAP@0.7': 0.2, 'EPA': 0.1, 'comm/Mb_per_frame': 1.048576}
    rows = [dict(name='clean', noise=0.0, latency=0, metrics=clean)]
    paired = {k: dict(diff=-0.1, low=-0.2, high=0.0) for k in sweep.FIGURES}
    rows += [dict(name='noise_0.2', noise=0.2, latency=0, metrics={'mAP@0.5': 0.4, 'mAP@0.7': 0.1, 'EPA': 0.0},
                  paired=paired),
             dict(name='latency_1', noise=0.0, latency=1, metrics={'mAP@0.5': 0.4, 'mAP@0.7': 0.1, 'EPA': 0.0},
                  paired=paired)]
    table = sweep.format_table(rows)
    assert '-0.1000 [-0.2000, +0.0000]' in table and '100ms' in table and '1.049' in table
    sweep.plot(rows, str(tmp_path / 'plot.png'))
    assert osp.getsize(tmp_path / 'plot.png') > 1000
    assert sweep.json_ready({'a': [float('nan'), 1.0]}) == {'a': [None, 1.0]}


# ---------------------------------------------------------------------------------------------- end to end
def tiny_options(data_root: str) -> dict:
    return {'test_dataloader.dataset.data_root': data_root, 'test_dataloader.dataset.indices': 4,
            'test_dataloader.num_workers': 0, 'test_dataloader.persistent_workers': False,
            'default_hooks.logger.interval': 1}


@pytest.fixture(scope='module')
def random_checkpoint(tmp_path_factory) -> str:
    """The demo model at a seeded random initialisation, saved as an mmengine checkpoint."""
    import torch
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import projects.TurboTrain.turbotrain  # noqa: F401
    from mmdet3d.registry import MODELS
    init_default_scope('mmdet3d')
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(CONFIG).model)
    path = str(tmp_path_factory.mktemp('ckpt') / 'random.pth')
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), path)
    return path


def run_test(config_options: dict, checkpoint: str, work_dir: str, pose_noise=None, latency=None) -> tuple:
    """In-process tools/test.py: metrics and the per-sample results."""
    from _cli import apply_robustness, build_runner, load_config
    cfg = load_config(CONFIG, dict(config_options))
    cfg.work_dir, cfg.load_from, cfg.experiment_name = work_dir, checkpoint, osp.basename(work_dir)
    apply_robustness(cfg, pose_noise, 0, latency)
    cfg.test_evaluator.update(results_file=osp.join(work_dir, 'results.pkl'),
                              json_file=osp.join(work_dir, 'metrics.json'))
    metrics = build_runner(cfg, 'none').test()
    with open(osp.join(work_dir, 'results.pkl'), 'rb') as handle:
        return metrics, pickle.load(handle)['results']


@pytest.mark.slow
def test_zero_noise_and_zero_latency_reproduce_clean_metrics_exactly(tiny_dataset_root, random_checkpoint, tmp_path):
    options = tiny_options(tiny_dataset_root)
    clean, clean_results = run_test(options, random_checkpoint, str(tmp_path / 'clean'))
    zero, zero_results = run_test(options, random_checkpoint, str(tmp_path / 'zero'), pose_noise=(0.0, 0.0),
                                  latency=0)
    assert clean.keys() == zero.keys()
    assert all(clean[k] == zero[k] or (np.isnan(clean[k]) and np.isnan(zero[k])) for k in clean)
    assert sum(len(r['det_scores']) for r in clean_results) > 0
    for a, b in zip(clean_results, zero_results):
        assert np.array_equal(a['det_scores'], b['det_scores']) and np.array_equal(a['det_tp'], b['det_tp'])
    assert clean['v2xpnp/comm/Mb_per_frame'] == pytest.approx(32 * 64 * 64 * 4 * 8 / 1e6)  # demo map (32, 64, 64)
    # noise and latency reach the model: the detections change
    noisy, noisy_results = run_test(options, random_checkpoint, str(tmp_path / 'noisy'), pose_noise=(2.0, 5.0))
    late, late_results = run_test(options, random_checkpoint, str(tmp_path / 'late'), latency=2)
    for changed in (noisy_results, late_results):
        assert any(not np.array_equal(a['det_scores'], b['det_scores']) for a, b in zip(clean_results, changed))


@pytest.mark.slow
def test_sweep_end_to_end(tiny_dataset_root, random_checkpoint, tmp_path):
    options = [f'{k}={v}' for k, v in tiny_options(tiny_dataset_root).items()]
    summary = sweep.main([CONFIG, random_checkpoint, '--noise', '0', '0.5', '--latency', '0', '1',
                          '--transmit-dtypes', 'float16', '--bootstrap', '20', '--block', '2',
                          '--work-dir', str(tmp_path / 'work'), '--out-dir', str(tmp_path / 'out'),
                          '--cfg-options'] + options)
    names = [row['name'] for row in summary['rows']]
    assert names == ['clean', 'noise_0.5', 'latency_1', 'transmit_float16']
    assert set(summary['rows'][1]['paired']) == set(sweep.FIGURES)
    clean, half = summary['rows'][0]['metrics'], summary['rows'][3]['metrics']
    assert half['comm/Mb_per_frame'] == pytest.approx(clean['comm/Mb_per_frame'] / 2)
    with open(tmp_path / 'out' / 'summary.json') as handle:
        assert json.load(handle)['num_samples'] == 4
    assert osp.isfile(tmp_path / 'out' / 'robustness.png')


def test_bad_robustness_options_give_one_line_errors(tmp_path):
    import subprocess
    import sys
    import torch
    checkpoint = tmp_path / 'x.pth'
    torch.save(dict(state_dict={}), checkpoint)  # a readable file: the options are what is wrong
    for options, message in ((['--latency', '-1'], '--latency must be >= 0 frames, got -1'),
                             (['--pose-noise', '-0.2', '0'], '--pose-noise standard deviations must be >= 0')):
        proc = subprocess.run([sys.executable, 'tools/test.py', CONFIG, str(checkpoint)] + options, cwd=REPO_ROOT,
                              capture_output=True, text=True, timeout=300)
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        assert proc.returncode != 0 and len(lines) == 1 and message in lines[0], proc.stderr
