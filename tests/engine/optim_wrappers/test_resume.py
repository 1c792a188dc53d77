"""--resume on the real balanced demo config (demo_turbotrain.py: loss-rate re-balancing, conflict projection) ends
where the uninterrupted run ends: parameters, optimizer and balancing state, and every logged loss and weight.

The difference the issue measured came from the data, not the wrapper: the training pipeline's random flips/rotations
drew from numpy's global stream, which mmengine seeds once per process (and per dataloader worker) and does not
checkpoint, so a resumed epoch replayed the first epoch's augmentation; the task losses, and the loss-rate weights
computed from them, then differed. SeededSampler gives each sample its own seed from (seed, epoch, index).
"""
import glob
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CONFIG = 'projects/TurboTrain/configs/demo_turbotrain.py'
#: logged scalars that must match (times differ between runs)
COMPARED = ('loss', 'loss_det', 'loss_pred', 'lr')


def train(work_dir, data_root, max_epochs, *extra):
    """3-epoch schedule, stopped after ``max_epochs``: 4 samples, batch 2 (2 updates per epoch), the config's own
    dataloader workers (1, persistent); warm-up 1 and interval 2 so that updates 1, 3, 5 project conflicts; one
    validation sample (mmengine validates after the last epoch)."""
    cmd = [sys.executable, 'tools/train.py', CONFIG, '--work-dir', work_dir, '--data-root', data_root, '--epochs', '3',
           '--cfg-options', f'train_cfg.max_epochs={max_epochs}', 'val_dataloader.dataset.indices=1',
           'train_dataloader.dataset.indices=4', 'model.init_cfg=None', 'default_hooks.logger.interval=1',
           'optim_wrapper.strategy.warmup=1', 'optim_wrapper.strategy.interval=2', 'randomness.seed=0', *extra]
    proc = subprocess.run(cmd, cwd=REPO_ROOT, env=dict(os.environ, OMP_NUM_THREADS='1'), capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, f'{cmd}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}'
    return proc.stdout + proc.stderr


def logged(work_dir):
    """``{iteration: {key: value}}`` over every scalars.json of the run (a resumed run has one per start)."""
    rows = {}
    for path in sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            for line in f:
                row = json.loads(line) if line.strip() else {}
                if 'iter' in row:  # training rows (the final validation's row has none)
                    rows[row['iter']] = row
    return rows


def assert_same_state(a, b, path='state'):
    if isinstance(a, torch.Tensor):
        assert torch.equal(a, b), path
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for key in a:
            assert_same_state(a[key], b[key], f'{path}.{key}')
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same_state(x, y, f'{path}[{i}]')
    else:
        assert a == b, f'{path}: {a} != {b}'


@pytest.mark.slow
def test_resumed_run_equals_uninterrupted_run(tiny_dataset_root, tmp_path):
    straight, resumed = str(tmp_path / 'straight'), str(tmp_path / 'resumed')
    train(straight, tiny_dataset_root, 3)
    train(resumed, tiny_dataset_root, 2)
    output = train(resumed, tiny_dataset_root, 3, '--resume')
    assert 'resumed epoch: 2, iter: 4' in output

    ends = [torch.load(osp.join(d, 'epoch_3.pth'), map_location='cpu', weights_only=False) for d in (straight, resumed)]
    balance = ends[0]['optimizer']['balance']
    assert balance['num_updates'] == 6 and balance['strategy']['num_suppressing'] == 3  # updates 1, 3, 5
    assert balance['strategy']['prev_log_losses'] is not None
    assert_same_state(ends[0]['state_dict'], ends[1]['state_dict'], 'state_dict')
    assert_same_state(ends[0]['optimizer'], ends[1]['optimizer'], 'optimizer')  # includes the balancing state

    rows = [logged(straight), logged(resumed)]
    assert sorted(rows[0]) == sorted(rows[1]) == list(range(1, 7))
    balance_keys = sorted(k for k in rows[0][6] if k.startswith('balance/'))
    assert {'balance/weight_det', 'balance/weight_pred', 'balance/cos', 'balance/grad_norm_det'} <= set(balance_keys)
    for iteration in range(1, 7):
        for key in COMPARED + tuple(balance_keys):
            if key in rows[0][iteration]:
                assert rows[0][iteration][key] == rows[1][iteration][key], (iteration, key)
    # the text log keeps a summary of the balance scalars (BalanceLogProcessor), the JSON all of them
    [text_log] = glob.glob(osp.join(straight, '*', '*.log'))
    lines = [line for line in open(text_log) if 'Epoch(train)' in line and 'balance/' in line]
    assert lines and all('balance/weight_det' in line and 'balance/grad_norm_det' not in line for line in lines)


def test_resume_without_a_checkpoint_is_an_error(tmp_path):
    """mmengine's auto-resume finds nothing and starts over ("Auto resumed from the latest checkpoint None."):
    tools/train.py refuses instead."""
    work_dir = tmp_path / 'empty'
    proc = subprocess.run([sys.executable, 'tools/train.py', CONFIG, '--work-dir', str(work_dir), '--resume'],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (f'error: --resume: no checkpoint to resume from in {work_dir} (no last_checkpoint '
                                   'file); train without --resume, or give the checkpoint: --resume PATH')
    assert not work_dir.exists()
