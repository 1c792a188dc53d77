"""tools/train.py, tools/dist_train.sh (2 CPU processes, gloo), --resume and tools/test.py on the real demo config
(small trunk) over a tiny synthetic dataset; and the one-line errors for bad input."""
import glob
import json
import os
import os.path as osp
import socket
import subprocess
import sys

import pytest

from tests.tools.standin import read_rank_records

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = 'projects/TurboTrain/configs/demo_finetune.py'
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def overlay_config(tmp_path) -> str:
    """The real demo config plus the test-only rank-recording hook (written next to the test's files)."""
    path = tmp_path / 'demo_finetune_recorded.py'
    path.write_text(
        f"_base_ = ['{osp.join(REPO_ROOT, CONFIG)}']\n"
        "custom_imports = dict(imports=['projects.TurboTrain.turbotrain', 'tests.tools.standin'],\n"
        "                      allow_failed_imports=False)\n"
        "custom_hooks = [dict(type='RankRecordHook')]\n")
    return str(path)


def tiny_options(data_root: str, max_epochs: int) -> list:
    """Config overrides: tiny data (4 train samples → 2 iterations/epoch), no validation."""
    return [
        '--cfg-options',
        f'train_dataloader.dataset.data_root={data_root}', 'train_dataloader.dataset.indices=4',
        'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
        f'test_dataloader.dataset.data_root={data_root}', 'test_dataloader.dataset.indices=3',
        'test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False',
        f'val_dataloader.dataset.data_root={data_root}',
        f'train_cfg.max_epochs={max_epochs}', 'train_cfg.val_interval=100',
        'default_hooks.logger.interval=1',
    ]


def run(cmd: list, **env) -> subprocess.CompletedProcess:
    full_env = dict(os.environ, OMP_NUM_THREADS='1', **env)
    proc = subprocess.run(cmd, cwd=REPO_ROOT, env=full_env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f'{cmd} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}'
    return proc


@pytest.mark.slow
def test_train_resume_and_test(tiny_dataset_root, tmp_path):
    work_dir, config = str(tmp_path / 'work'), overlay_config(tmp_path)
    run([PYTHON, 'tools/train.py', config, '--work-dir', work_dir] + tiny_options(tiny_dataset_root, 1))
    assert osp.isfile(osp.join(work_dir, 'epoch_1.pth'))
    first = read_rank_records(work_dir)
    assert list(first) == [0] and [r['iter'] for r in first[0]] == [0, 1]
    assert first[0][0]['world_size'] == 1

    # --resume (latest checkpoint) continues at iteration 2 (epoch 2), not from scratch.
    proc = run([PYTHON, 'tools/train.py', config, '--work-dir', work_dir, '--resume'] +
               tiny_options(tiny_dataset_root, 2))
    assert 'resumed epoch: 1, iter: 2' in proc.stdout + proc.stderr
    assert [r['iter'] for r in read_rank_records(work_dir)[0]] == [0, 1, 2, 3]
    assert osp.isfile(osp.join(work_dir, 'epoch_2.pth'))

    # tools/test.py writes the metrics to the log and to JSON.
    test_dir = str(tmp_path / 'test')
    proc = run([PYTHON, 'tools/test.py', config, osp.join(work_dir, 'epoch_2.pth'), '--work-dir', test_dir] +
               tiny_options(tiny_dataset_root, 2))
    assert 'mAP@0.5' in proc.stdout + proc.stderr
    [metrics_file] = glob.glob(osp.join(test_dir, '*', 'v2xpnp_metrics.json'))
    with open(metrics_file) as f:
        metrics = json.load(f)
    assert {'mAP@0.5', 'mAP@0.7', 'ADE', 'FDE', 'MR', 'EPA'} <= set(metrics['metrics'])


@pytest.mark.slow
def test_dist_train_two_cpu_processes(tiny_dataset_root, tmp_path):
    work_dir, config = str(tmp_path / 'work'), overlay_config(tmp_path)
    run(['bash', 'tools/dist_train.sh', config, '2', '--work-dir', work_dir] + tiny_options(tiny_dataset_root, 1),
        PORT=str(free_port()), PYTHON=PYTHON)
    records = read_rank_records(work_dir)
    assert sorted(records) == [0, 1], 'both processes must have trained'
    assert all(r['world_size'] == 2 for rows in records.values() for r in rows)
    # 4 samples, batch 2 per rank: each rank runs one iteration on its own half of the data.
    seen = [set(i for r in records[rank] for i in r['indices']) for rank in (0, 1)]
    assert len(records[0]) == len(records[1]) == 1 and not seen[0] & seen[1]
    assert osp.isfile(osp.join(work_dir, 'epoch_1.pth'))


@pytest.mark.slow
def test_pretraining_resume_continues_identically(tiny_dataset_root, tmp_path):
    """Pretraining for 2 epochs in one run, and for 1 epoch then --resume to 2, end with the same weights: the
    masks (their generator's seed and draw count are in the checkpoint), data order, optimizer and schedule all
    continue where they stopped."""
    import torch
    config = 'projects/TurboTrain/configs/demo_pretrain.py'
    straight, resumed = str(tmp_path / 'straight'), str(tmp_path / 'resumed')

    def options(max_epochs):
        return tiny_options(tiny_dataset_root, max_epochs) + ['randomness.seed=0']

    run([PYTHON, 'tools/train.py', config, '--work-dir', straight] + options(2))
    run([PYTHON, 'tools/train.py', config, '--work-dir', resumed] + options(1))
    run([PYTHON, 'tools/train.py', config, '--work-dir', resumed, '--resume'] + options(2))
    ends = [torch.load(osp.join(d, 'epoch_2.pth'), map_location='cpu', weights_only=False)['state_dict']
            for d in (straight, resumed)]
    assert ends[0]['_extra_state'].tolist()[1] == 4  # 4 batches masked: 2 epochs of 2 iterations
    assert ends[0].keys() == ends[1].keys()
    assert all(torch.equal(ends[0][key], ends[1][key]) for key in ends[0]), [
        key for key in ends[0] if not torch.equal(ends[0][key], ends[1][key])][:5]


def one_line_error(cmd: list) -> str:
    proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert 'Traceback' not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_bad_input_gives_one_line_errors(tmp_path):
    assert 'config file not found: nope.py' in one_line_error([PYTHON, 'tools/train.py', 'nope.py'])
    assert 'checkpoint not found' in one_line_error([PYTHON, 'tools/test.py', CONFIG, str(tmp_path / 'x.pth')])
    assert 'NPROC must be a positive integer' in one_line_error(['bash', 'tools/dist_train.sh', CONFIG, 'two'])
    assert 'config file not found' in one_line_error(['bash', 'tools/dist_train.sh', 'nope.py', '2'])
    assert 'checkpoint to resume from not found' in one_line_error(
        [PYTHON, 'tools/train.py', CONFIG, '--resume', str(tmp_path / 'x.pth')])
