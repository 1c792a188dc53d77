"""tools/benchmarks/paper_comparison.py: the statistics (t quantiles, paired t-intervals), the reach-cost rule, the
report and plot from hand-made records and from --report-only; and (slow) a tiny end-to-end study: four recipes,
one seed, real configs and tools on tiny generated data, tested on held-out scenarios of another generator seed."""
import importlib.util
import json
import math
import os.path as osp

import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
_spec = importlib.util.spec_from_file_location(
    'paper_comparison', osp.join(REPO_ROOT, 'tools', 'benchmarks', 'paper_comparison.py'))
paper_comparison = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(paper_comparison)


def test_t_quantiles_match_the_tables():
    # two-sided 95 % critical values of Student's t (any statistics table)
    for df, value in ((1, 12.7062), (2, 4.3027), (4, 2.7764), (10, 2.2281), (30, 2.0423)):
        assert paper_comparison.t_quantile(0.975, df) == pytest.approx(value, abs=2e-4)


def test_paired_interval_by_hand():
    mean, low, high = paper_comparison.t_interval([1.0, 2.0, 3.0])
    half = 4.302653 * 1.0 / math.sqrt(3)  # sd of 1, 2, 3 is 1
    assert (mean, low, high) == pytest.approx((2.0, 2.0 - half, 2.0 + half), abs=1e-4)
    mean, low, high = paper_comparison.t_interval([5.0])
    assert mean == 5.0 and math.isnan(low) and math.isnan(high)


def point(epochs, seconds, ap, epa, stage='s'):
    return dict(stage=stage, epoch=1, total=dict(iters=0, epochs=epochs, samples=0, wall_seconds=seconds),
                metrics={'AP@0.5/vehicle': ap, 'EPA': epa})


def record(recipe, seed, epochs, seconds, test, curve):
    return dict(recipe=recipe, seed=seed, total=dict(iters=1, epochs=epochs, samples=1, wall_seconds=seconds),
                cost_complete=True, stages=[dict(stage=recipe, run=dict(epochs=epochs))], curve=curve,
                test=test, size='demo', data_root='d/', heldout_root='h/', data_seed=0, heldout_seed=29)


def heldout_metrics(ap, epa):
    return {'AP@0.5/vehicle': ap, 'AP@0.7/vehicle': ap / 2, 'mAP@0.5': ap, 'mAP@0.7': ap / 2, 'ADE': 1.0,
            'FDE': 2.0, 'MR': 0.5, 'EPA': epa}


def hand_records():
    """Two seeds. Manual: 10 epochs, final validation AP 0.40 / EPA 0.20 (seed 0), 0.50 / 0.30 (seed 1).
    TurboTrain reaches AP 0.40 at 2 of 5 epochs (seed 0), 0.50 at 4 (seed 1); EPA never reaches 0.30 in seed 1."""
    manual_curve = {0: [point(5, 50, 0.30, 0.10), point(10, 100, 0.40, 0.20)],
                    1: [point(5, 50, 0.35, 0.15), point(10, 100, 0.50, 0.30)]}
    turbo_curve = {0: [point(2, 20, 0.41, 0.10), point(4, 40, 0.45, 0.25), point(5, 50, 0.46, 0.26)],
                   1: [point(2, 20, 0.30, 0.10), point(4, 40, 0.55, 0.20), point(5, 50, 0.56, 0.25)]}
    records = {'manual_4stage': {}, 'turbotrain': {}, 'one_time': {}}
    for seed in (0, 1):
        records['manual_4stage'][seed] = record('manual_4stage', seed, 10, 100, heldout_metrics(0.40 + seed / 10, 0.2),
                                                manual_curve[seed])
        records['turbotrain'][seed] = record('turbotrain', seed, 5, 50, heldout_metrics(0.45 + seed / 5, 0.3),
                                             turbo_curve[seed])
        records['one_time'][seed] = record('one_time', seed, 5, 60, heldout_metrics(0.10, -0.5),
                                           [point(5, 60, 0.1, -0.5)])
    return records


def test_reach_cost_is_the_first_validation_at_the_manual_final_value():
    records = hand_records()
    curve = records['turbotrain'][1]['curve']
    assert paper_comparison.first_reach(curve, 'AP@0.5/vehicle', 0.50, 'epochs') == 4
    assert paper_comparison.first_reach(curve, 'EPA', 0.30, 'epochs') is None
    assert paper_comparison.final_value(records['manual_4stage'][0]['curve'], 'EPA') == 0.20
    table = paper_comparison.reach_table(records)
    ap_row = [line for line in table.splitlines() if 'balancing | vehicle AP@0.5' in line][0]
    cells = [c.strip() for c in ap_row.strip('|').split('|')]
    # targets 40 and 50 %; reached at 2 and 4 epochs → fractions 0.2 and 0.4 of the manual 10 epochs
    assert cells[2:] == ['45.0 ± 7.1', '3.00 ± 1.41', '0.30 ± 0.14', '2 of 2']
    epa_row = [line for line in table.splitlines() if 'balancing | EPA' in line][0]
    assert epa_row.strip().endswith('| 1 of 2 |') and '| 0.40 |' in epa_row  # seed 0 only: 4 of 10 epochs


def test_tables_and_plot_from_records(tmp_path):
    records = hand_records()
    table = paper_comparison.results_table(records)
    manual_row = [line for line in table.splitlines() if 'manual 4-stage' in line][0]
    cells = [c.strip() for c in manual_row.strip('|').split('|')]
    assert cells[1] == '2' and cells[2] == '45.0 ± 7.1' and cells[-2:] == ['10.00 ± 0.00', '100 ± 0']
    paired = paper_comparison.paired_table(records)
    row = [line for line in paired.splitlines() if line.startswith('| TurboTrain pretraining + balancing − manual')][0]
    # Δ vehicle AP@0.5 per seed: 5 and 15 points → mean 10, sd 7.07, half-width 12.706 × 7.07 / √2 = 63.5
    assert '| 10.0 [-53.5, 73.5] |' in row
    assert '| -5.00 [-5.00, -5.00] |' in row  # Δ epochs, no spread
    path = paper_comparison.plot_curves(records, str(tmp_path / 'curves.png'))
    with open(path, 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'


def test_report_only_reads_the_archived_records(tmp_path, capsys):
    records_dir = tmp_path / 'records'
    records_dir.mkdir()
    for recipe, runs in hand_records().items():
        for seed, rec in runs.items():
            (records_dir / f'seed{seed}_{recipe}.json').write_text(json.dumps(rec))
    out = tmp_path / 'report'
    assert paper_comparison.main(['--report-only', '--records', str(records_dir), '--out', str(out)]) == 0
    printed = capsys.readouterr().out
    assert 'manual 4-stage pipeline | 2 | 45.0 ± 7.1' in printed and 'Paired differences' in printed
    assert (out / 'paper_comparison.png').is_file() and (out / 'paper_comparison.md').is_file()
    with pytest.raises(SystemExit):
        paper_comparison.main(['--report-only', '--records', str(tmp_path / 'empty')])


def test_study_refuses_held_out_data_of_the_training_seed(tmp_path, capsys):
    roots = []
    for name in ('train_data', 'heldout'):
        root = tmp_path / name
        root.mkdir()
        for split in ('train', 'test'):
            (root / f'v2xpnp_infos_{split}.pkl').write_bytes(b'')
        (root / 'synthetic_summary.json').write_text(json.dumps(dict(seed=0)))
        roots.append(str(root))
    with pytest.raises(SystemExit):
        paper_comparison.main(['--data-root', roots[0], '--heldout-root', roots[0]])
    assert '--heldout-root must differ from --data-root' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        paper_comparison.main(['--data-root', roots[0], '--heldout-root', roots[1]])
    assert "generated with the training data's generator seed 0" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        paper_comparison.main(['--data-root', roots[0]])
    assert '--heldout-root is required' in capsys.readouterr().err


@pytest.fixture(scope='module')
def heldout_root(tmp_path_factory):
    """Tiny held-out scenarios from another generator seed (test split only)."""
    from projects.TurboTrain.turbotrain.datasets.converters.v2xpnp_converter import convert_v2xpnp
    from projects.TurboTrain.turbotrain.datasets.synthetic import generate_dataset
    root = str(tmp_path_factory.mktemp('heldout'))
    generate_dataset(root, num_scenarios=1, seed=29, frames_per_scenario=8, preset='tiny',
                     split_fractions=(0, 0, 1))
    convert_v2xpnp(root, verbose=False)
    return root


TINY = ['train_dataloader.dataset.indices=4', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False', 'val_dataloader.dataset.indices=2',
        'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
        'test_dataloader.dataset.indices=2', 'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False', 'train_cfg.max_epochs=1', 'default_hooks.logger.interval=1']


@pytest.mark.slow
def test_tiny_study_end_to_end(tmp_path, tiny_dataset_root, heldout_root, capsys):
    work = tmp_path / 'study'
    code = paper_comparison.main(['--data-root', tiny_dataset_root, '--heldout-root', heldout_root, '--seeds', '0',
                                  '--work-root', str(work), '--cfg-options'] + TINY)
    assert code == 0
    printed = capsys.readouterr().out
    records = paper_comparison.load_records(str(work / 'records'))
    assert sorted(records) == sorted(paper_comparison.RECIPES)
    # cost by hand: 4 samples, batch 2 → 2 iterations per 1-epoch stage; pretraining counted in both TurboTrain
    # recipes, the four manual stages add up
    assert records['one_time'][0]['total']['iters'] == 2
    assert records['turbotrain'][0]['total']['iters'] == records['turbotrain_sum'][0]['total']['iters'] == 4
    assert records['manual_4stage'][0]['total']['iters'] == 8
    assert records['manual_4stage'][0]['total']['samples'] == 16
    assert [s['stage'] for s in records['manual_4stage'][0]['stages']] == [
        'stage1_single_agent_det', 'stage2_temporal_pred', 'stage3_joint', 'stage4_multi_agent_fusion']
    assert len(records['manual_4stage'][0]['curve']) == 4  # one validation per stage
    assert all(set(r[0]['test']) == set(paper_comparison.METRICS) for r in records.values())
    assert records['one_time'][0]['heldout_seed'] == 29
    assert 'manual 4-stage pipeline | 1 |' in printed
    assert (work / 'paper_comparison.png').is_file()
    # the held-out test ran on the held-out root
    with open(work / 'seed0' / 'turbotrain' / 'heldout_metrics.json') as f:
        assert json.load(f)['heldout_root'] == heldout_root
    # run again: nothing retrains (the chains skip finished stages, the tests are cached)
    assert paper_comparison.main(['--data-root', tiny_dataset_root, '--heldout-root', heldout_root, '--seeds', '0',
                                  '--work-root', str(work), '--cfg-options'] + TINY) == 0
    assert 'training in' not in capsys.readouterr().out


def test_equal_cost_table_compares_every_recipe_where_turbotrain_stops():
    """TurboTrain stops at 5 epochs in both seeds; the manual pipeline's last validation at or before 5 epochs is its
    first (AP 30 / 35 %, EPA 0.10 / 0.15), one-time training's its only one (10 %, -0.5)."""
    records = hand_records()
    assert paper_comparison.value_at_cost(records['manual_4stage'][1]['curve'], 'EPA', 5, 'epochs') == 0.15
    assert paper_comparison.value_at_cost(records['manual_4stage'][1]['curve'], 'EPA', 4.9, 'epochs') is None
    table = paper_comparison.equal_cost_table(records).splitlines()
    rows = {line.split('|')[1].strip(): [c.strip() for c in line.strip('|').split('|')[1:]] for line in table[2:]}
    assert rows['manual 4-stage pipeline'] == ['2', '32.5 ± 3.5', '0.125 ± 0.035']
    assert rows['TurboTrain pretraining + balancing'] == ['2', '51.0 ± 7.1', '0.255 ± 0.007']
    # Δ AP per seed 16 and 21 points: mean 18.5, sd 3.536, half-width 12.706 × 3.536 / √2 = 31.77
    # Δ EPA 0.16 and 0.10: mean 0.13, sd 0.0424, half-width 0.381
    assert rows['TurboTrain pretraining + balancing − manual 4-stage pipeline (same seed)'] == [
        '2', '18.5 [-13.3, 50.3]', '0.130 [-0.251, 0.511]']
    assert rows['TurboTrain pretraining + balancing − one-time joint training from scratch (same seed)'][1] == (
        '41.0 [-22.5, 104.5]')
