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
    proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, PYTHON=PYTHON))
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


# --------------------------------------------------------------------------------- first-hour mistakes (issue 28)
def tool_module(tool: str):
    """``tools/<tool>.py`` as a module (by path: ``test`` would be the standard library's package)."""
    import importlib.util
    name = f'tools_{tool}'
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, osp.join(REPO_ROOT, 'tools', f'{tool}.py'))
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


def prepared_error(capsys, tool: str, argv: list) -> str:
    """Run ``tools/<tool>.py``'s input checks in this process; expect exit 2 with one ``error:`` line."""
    module = tool_module(tool)
    with pytest.raises(SystemExit) as exit_info:
        module.prepare(argv)
    assert exit_info.value.code == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith('error: '), lines
    return lines[0]


def test_missing_data_names_the_info_file_and_create_data(capsys, tmp_path):
    empty = tmp_path / 'empty'
    empty.mkdir()
    line = prepared_error(capsys, 'train', [CONFIG, '--data-root', str(empty)])
    assert line == (f'error: no info file {empty}/v2xpnp_infos_train.pkl (train_dataloader): run tools/create_data.py '
                    f'v2xpnp --root-path {empty} first (synthetic data: bash tools/quickstart.sh), or pass '
                    '--data-root DIR')
    import torch
    torch.save({'state_dict': {}}, tmp_path / 'epoch_1.pth')
    checkpoint = str(tmp_path / 'epoch_1.pth')
    line = prepared_error(capsys, 'test', [CONFIG, checkpoint, '--data-root', str(tmp_path / 'none')])
    assert f'data root {tmp_path}/none does not exist (test_dataloader)' in line


def test_missing_validation_split_is_caught_before_training(capsys, tiny_dataset_root, tmp_path):
    """The quick start's interrupted generation left train/ only: the val info file is named up front."""
    partial = tmp_path / 'partial'
    partial.mkdir()
    os.symlink(osp.join(tiny_dataset_root, 'v2xpnp_infos_train.pkl'), partial / 'v2xpnp_infos_train.pkl')
    line = prepared_error(capsys, 'train', [CONFIG, '--data-root', str(partial)])
    assert f'no info file {partial}/v2xpnp_infos_val.pkl (val_dataloader)' in line


def test_options_users_change_most(capsys, tiny_dataset_root, tmp_path):
    train = tool_module('train')
    assert 'did you mean max_epochs' in prepared_error(capsys, 'train', [CONFIG, '--cfg-options', 'max_epoch=1'])
    line = prepared_error(capsys, 'train', [CONFIG, '--cfg-options', 'data_root=elsewhere/'])
    assert 'data_root: a variable of the config file' in line and '--data-root' in line
    args, cfg = train.prepare([CONFIG, '--data-root', tiny_dataset_root, '--epochs', '2', '--work-dir',
                               str(tmp_path)])
    assert cfg.train_cfg.max_epochs == 2 and cfg.param_scheduler[1].T_max == 2 and cfg.param_scheduler[1].end == 2
    assert {cfg[k].dataset.data_root for k in ('train_dataloader', 'val_dataloader', 'test_dataloader')} == {
        tiny_dataset_root.rstrip('/') + '/'}
    # explicit keys win over the convenience flags
    _, cfg = train.prepare([CONFIG, '--epochs', '2', '--data-root', tiny_dataset_root, '--cfg-options',
                            'train_cfg.max_epochs=1'])
    assert cfg.train_cfg.max_epochs == 1 and cfg.param_scheduler[1].T_max == 2
    assert '--epochs must be a positive integer' in prepared_error(capsys, 'train', [CONFIG, '--epochs', '0'])


def test_bad_checkpoints_named_in_one_line(capsys, tiny_dataset_root, tmp_path):
    import torch
    truncated = tmp_path / 'epoch_1.pth'
    torch.save({'state_dict': {'w': torch.zeros(1000)}}, truncated)
    truncated.write_bytes(truncated.read_bytes()[:1500])
    line = prepared_error(capsys, 'test', [CONFIG, str(truncated), '--data-root', tiny_dataset_root])
    assert line.startswith(f'error: checkpoint {truncated} is corrupt or truncated')
    line = prepared_error(capsys, 'train', [CONFIG, '--data-root', tiny_dataset_root, '--resume', str(truncated)])
    assert line.startswith(f'error: checkpoint to resume from {truncated} is corrupt or truncated')
    line = prepared_error(capsys, 'train', ['projects/TurboTrain/configs/demo_turbotrain.py', '--data-root',
                                            tiny_dataset_root, '--cfg-options',
                                            f'model.init_cfg.checkpoint={tmp_path}/trunk.pth'])
    assert line.startswith(f'error: model.init_cfg.checkpoint not found: {tmp_path}/trunk.pth (run the pretraining')


def test_tools_run_as_the_readme_writes_them(tmp_path):
    """``tools/test.py CONFIG CKPT``: a shebang and the exec bit on every Python tool a user runs directly."""
    for tool in ('train.py', 'test.py', 'create_data.py', 'browse_dataset.py', 'publish_model.py',
                 'dist_train.sh', 'dist_test.sh', 'quickstart.sh'):
        path = osp.join(REPO_ROOT, 'tools', tool)
        assert os.access(path, os.X_OK), tool
        with open(path) as f:
            assert f.readline().startswith('#!/usr/bin/env '), tool
    env = dict(os.environ, PATH=osp.dirname(PYTHON) + os.pathsep + os.environ['PATH'])
    proc = subprocess.run(['tools/test.py', '--help'], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0 and '--data-root' in proc.stdout, proc.stderr


def test_browse_without_data_says_what_to_run(tmp_path):
    """The README's browse command before any conversion: one line naming the data root and create_data."""
    line = one_line_error([PYTHON, 'tools/browse_dataset.py', 'configs/_base_/datasets/v2xpnp_seq.py', '--out',
                           str(tmp_path / 'vis'), '--num', '5', '--data-root', str(tmp_path / 'v2xpnp')])
    assert line.startswith(f'error: data root {tmp_path}/v2xpnp does not exist (train_dataloader): run '
                           f'tools/create_data.py v2xpnp --root-path {tmp_path}/v2xpnp first')
    assert not (tmp_path / 'vis').exists()


def test_dist_train_checks_once_before_torchrun(tmp_path):
    """The mission's first command without data: one line from one process, torchrun never started."""
    line = one_line_error(['bash', 'tools/dist_train.sh', 'projects/TurboTrain/configs/pretrain.py', '8',
                           '--data-root', str(tmp_path / 'v2xpnp')])
    assert line.startswith(f'error: data root {tmp_path}/v2xpnp does not exist (train_dataloader)')
    proc = subprocess.run(['bash', 'tools/dist_train.sh', CONFIG, '2', '--data-root', str(tmp_path)], cwd=REPO_ROOT,
                          env=dict(os.environ, CHECK_ONLY='1', PYTHON=PYTHON), capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 2 and 'no info file' in proc.stderr


@pytest.mark.slow
def test_only_rank_zero_reports_under_torchrun(tmp_path):
    """SKIP_CHECK=1: both torchrun processes meet the missing data; one error line (rank 0), non-zero exit."""
    proc = subprocess.run(['bash', 'tools/dist_train.sh', CONFIG, '2', '--data-root', str(tmp_path / 'none')],
                          cwd=REPO_ROOT, env=dict(os.environ, SKIP_CHECK='1', PYTHON=PYTHON, OMP_NUM_THREADS='1',
                                                  PORT=str(free_port())),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    errors = [line for line in (proc.stdout + proc.stderr).splitlines() if 'error: data root' in line]
    assert len(errors) == 1, proc.stderr[-3000:]
