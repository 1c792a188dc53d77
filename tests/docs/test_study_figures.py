"""Figures quoted in README.md and the study pages are what their commands print from the archived records."""
import os.path as osp
import re
import shutil
import subprocess
import sys

import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
RECORDS = osp.join(REPO_ROOT, 'projects', 'TurboTrain', 'docs', 'experiments', 'records')
RUNNER = osp.join(REPO_ROOT, 'tools', 'benchmarks', 'run_experiments.py')


def _read(path: str) -> str:
    return open(osp.join(REPO_ROOT, path), encoding='utf-8').read()


def _report(tmp_path, record: str, seeds, only, paired_with: str) -> dict:
    """Run the study's ``--report-only`` command on a copy of the record; return {row label: [cells]} of its tables."""
    for seed in seeds:  # the runner writes its tables beside the record: work on a copy
        name = record if seed == 0 else f'{record}_seed{seed}'
        shutil.copytree(osp.join(RECORDS, name), tmp_path / name)
    cmd = [sys.executable, RUNNER, 'motion', '--data-root', 'data/v2xpnp_synth10/', '--report-only',
           '--work-root', str(tmp_path / record), '--test-data-root', 'data/v2xpnp_heldout/',
           '--seeds', *map(str, seeds), '--only', *only, '--paired-with', paired_with]
    out = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout
    rows = {}
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        if line.startswith('| ') and len(cells) > 4 and not set(cells[1]) <= set('-'):
            rows.setdefault(cells[0], []).append(cells[1:])
    return rows


def _mean(cell: str) -> float:
    return float(cell.split('±')[0])


def _row(rows: dict, prefix: str, which: int = 0) -> list:
    matches = [cells for label, found in rows.items() if label.startswith(prefix) for cells in found]
    assert matches, f'no row starting with {prefix!r} in {list(rows)}'
    return matches[which]


@pytest.fixture(scope='module')
def balancing(tmp_path_factory):
    return _report(tmp_path_factory.mktemp('retrunk'), 'retrunk', [0, 1, 2, 3, 4],
                   ['famo_from_pretrain_motion_clip4', 'turbotrain_full_motion_lossrate_clip4'],
                   'famo_from_pretrain_motion_clip4')


@pytest.fixture(scope='module')
def pretraining(tmp_path_factory):
    return _report(tmp_path_factory.mktemp('experiments'), 'experiments', [0, 1],
                   ['cooperative_clip4', 'from_pretrain_clip4', 'from_pretrain_motion_clip4'], 'cooperative_clip4')


def test_readme_balancing_row_matches_the_record(balancing):
    famo = _row(balancing, 'motion-aware trunk, pretrained + FAMO')
    recipe = _row(balancing, 'TurboTrain: motion-aware pretrained trunk')
    quoted = f'held-out vehicle AP@0.5 {_mean(recipe[0]):.1f} vs {_mean(famo[0]):.1f}'
    assert quoted in _read('README.md')
    ade = f'ADE {_mean(recipe[4]):.3f} vs {_mean(famo[4]):.3f} m'
    assert ade in _read('README.md')


def _rounded(cell: str, digits: int) -> str:
    mean, spread = (float(x) for x in re.split(r'\s*±\s*', cell))
    return f'{mean:.{digits}f} ± {spread:.{digits}f}'


def test_balancing_page_table_matches_the_record(balancing):
    page = _read('projects/TurboTrain/docs/experiments/balancing.md')
    for label, prefix in (('FAMO', 'motion-aware trunk, pretrained + FAMO'),
                          ('TurboTrain recipe', 'TurboTrain: motion-aware pretrained trunk')):
        row = _row(balancing, prefix)  # vehicle AP@0.5, AP@0.7, mAP@0.5, mAP@0.7, ADE, FDE, MR, EPA, ...
        quoted = ' | '.join([_rounded(row[0], 1), _rounded(row[2], 1), _rounded(row[4], 3), _rounded(row[5], 3)])
        assert quoted in page.replace('−', '-'), label


def test_readme_pretraining_and_fusion_rows_match_the_record(pretraining):
    scratch = _row(pretraining, '`sum`, gradients clipped at norm 4')
    pretrained = _row(pretraining, 'pretrained trunk + `sum`')
    motion = _row(pretraining, 'motion-aware trunk, pretrained')
    paired = _row(pretraining, 'pretrained trunk + `sum`', which=1)  # the paired-difference table
    readme = _read('README.md')
    assert f'held-out vehicle AP@0.5 {_mean(pretrained[0]):.1f} vs {_mean(scratch[0]):.1f}' in readme
    mean, spread = (float(x) for x in re.split(r'\s*±\s*', paired[1]))
    assert f'paired +{mean:.1f} ± {spread:.1f}, 2 seeds' in readme
    assert f'held-out vehicle AP@0.5 {_mean(motion[0]):.1f} vs {_mean(pretrained[0]):.1f}' in readme
    assert f'ADE {_mean(motion[4]):.2f} vs {_mean(pretrained[4]):.2f} m' in readme
