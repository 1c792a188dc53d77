"""tools/quickstart.sh's own logic, with a stand-in PYTHON that fakes each tool in milliseconds: environment checks,
data renamed into place only when complete (an interrupted run is redone), the real error and the log path on
failure, and the tools called with --data-root / --epochs."""
import os
import os.path as osp
import subprocess

import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

# $1 is the tool; FAKE_FAIL=<step> makes that step fail the way the real tool does
FAKE_PYTHON = r'''#!/usr/bin/env bash
tool=$(basename "$1"); shift
echo "$tool $*" >> "$FAKE_CALLS"
arg() { local want=$1; shift; while [ $# -gt 0 ]; do [ "$1" = "$want" ] && { echo "$2"; return; }; shift; done; }
case "$tool" in
  make_synthetic_v2xpnp.py)
    out=$(arg --out "$@"); mkdir -p "$out/train/scen0"
    if [ "$FAKE_FAIL" = generate ]; then echo 'Traceback (most recent call last):'; echo KeyboardInterrupt; exit 130; fi
    mkdir -p "$out/val/scen1" "$out/test/scen2" ;;
  create_data.py)
    root=$(arg --root-path "$@")
    if [ "$FAKE_FAIL" = convert ]; then echo "error: $root/val: no scenario folders; nothing written" >&2; exit 2; fi
    for s in train val test; do touch "$root/v2xpnp_infos_$s.pkl"; done; echo 'done in 0.01 s' ;;
  train.py)
    work=$(arg --work-dir "$@"); mkdir -p "$work"
    if [ "$FAKE_FAIL" = pretrain ]; then
      printf 'Traceback (most recent call last):\n  File "x.py", line 1\n'
      echo "FileNotFoundError: [Errno 2] No such file or directory: 'data/x/v2xpnp_infos_val.pkl'"; exit 1
    fi
    case "$1" in *pretrain*) touch "$work/trunk_pretrained.pth" ;;
                 *) touch "$work/epoch_1.pth"; echo "$work/epoch_1.pth" > "$work/last_checkpoint" ;; esac
    echo 'Epoch(train) [1][1/1]  loss: 1.0' ;;
  test.py)
    work=$(arg --work-dir "$@"); mkdir -p "$work/20260101_000000"
    echo '{}' > "$work/20260101_000000/v2xpnp_metrics.json"
    echo 'Epoch(test) [50/100]    eta: 0:00:10'; echo 'some other line'; echo 'V2XPnP metrics'; echo ' mAP 0.1' ;;
esac
'''


@pytest.fixture
def quickstart(tmp_path):
    fake = tmp_path / 'fake_python'
    fake.write_text(FAKE_PYTHON)
    fake.chmod(0o755)
    calls = tmp_path / 'calls.txt'

    def run(fail=None, **env):
        calls.write_text('')
        full_env = dict(os.environ, PYTHON=str(fake), FAKE_CALLS=str(calls), FAKE_FAIL=fail or '',
                        DATA=str(tmp_path / 'data' / 'synth'))
        full_env.update(env)
        proc = subprocess.run(['bash', 'tools/quickstart.sh', str(tmp_path / 'work')], cwd=REPO_ROOT, env=full_env,
                              capture_output=True, text=True, timeout=60)
        return proc, calls.read_text().splitlines()
    return run, tmp_path


@pytest.mark.parametrize('env,message', [
    (dict(SCENARIOS='ten'), "SCENARIOS must be a positive integer, got 'ten'"),
    (dict(SCENARIOS='2'), 'SCENARIOS must be at least 3 (one each for train, val and test), got 2'),
    (dict(PRETRAIN_EPOCHS='one'), "PRETRAIN_EPOCHS must be a positive integer, got 'one'"),
    (dict(FINETUNE_EPOCHS='0'), "FINETUNE_EPOCHS must be a positive integer, got '0'"),
    (dict(SEED='-1'), "SEED must be a non-negative integer, got '-1'"),
    (dict(SPLIT='0.7 0.3'), "SPLIT must be three fractions (train val test), got '0.7 0.3'"),
    (dict(SPLIT='0.7 0.1 x'), "SPLIT fractions must be numbers in [0, 1], got '0.7 0.1 x'"),
])
def test_environment_checked_before_anything_runs(quickstart, env, message):
    run, tmp_path = quickstart
    proc, calls = run(**env)
    assert proc.returncode == 2 and calls == []
    assert proc.stderr.strip() == f'error: {message}'
    assert not (tmp_path / 'data').exists()


def test_interrupted_generation_is_redone_not_reused(quickstart):
    run, tmp_path = quickstart
    data = tmp_path / 'data' / 'synth'
    proc, calls = run(fail='generate')
    assert proc.returncode == 1 and len(calls) == 1
    log = tmp_path / 'work' / 'logs' / 'generate.log'
    assert proc.stderr.strip() == (f"error: quick start step 'generate' failed (exit 130): KeyboardInterrupt "
                                   f'(full log: {log})')
    assert not data.exists() and (tmp_path / 'data' / 'synth.partial' / 'train').is_dir()

    proc, calls = run()
    assert proc.returncode == 0, proc.stderr
    assert '1/5 generating' in proc.stdout and calls[0].startswith('make_synthetic_v2xpnp.py')
    assert (data / '.quickstart_done').is_file() and (data / 'val').is_dir()
    assert not (tmp_path / 'data' / 'synth.partial').exists()

    proc, calls = run()  # complete data: reused, never regenerated
    assert proc.returncode == 0 and 'reusing synthetic data' in proc.stdout
    assert [call.split()[0] for call in calls] == ['train.py', 'train.py', 'test.py']


def test_failure_prints_the_real_error_and_the_log_path(quickstart):
    run, tmp_path = quickstart
    proc, calls = run(fail='pretrain')
    log = tmp_path / 'work' / 'logs' / 'pretrain.log'
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        "error: quick start step 'pretrain' failed (exit 1): FileNotFoundError: [Errno 2] No such file or directory: "
        f"'data/x/v2xpnp_infos_val.pkl' (full log: {log})")
    assert 'Traceback' in log.read_text()

    proc, _ = run(fail='convert', DATA=str(tmp_path / 'other'))
    assert proc.returncode == 1 and "step 'convert' failed (exit 2): " in proc.stderr
    assert 'other.partial/val: no scenario folders' in proc.stderr and not (tmp_path / 'other').exists()


def test_tools_get_data_root_and_epochs(quickstart):
    run, tmp_path = quickstart
    proc, calls = run(PRETRAIN_EPOCHS='3', FINETUNE_EPOCHS='4')
    assert proc.returncode == 0, proc.stderr
    data = str(tmp_path / 'data' / 'synth')
    pretrain, finetune, test = calls[-3:]
    assert f'--data-root {data} --epochs 3' in pretrain and 'param_scheduler' not in pretrain
    assert f'--data-root {data} --epochs 4' in finetune
    assert f'model.init_cfg.checkpoint={tmp_path}/work/pretrain/trunk_pretrained.pth' in finetune
    assert test.endswith(f'--data-root {data}') and 'V2XPnP metrics' in proc.stdout
    # the test step shows its progress lines, not the rest of its log
    assert 'Epoch(test) [50/100]' in proc.stdout and 'some other line' not in proc.stdout


def test_existing_incomplete_data_is_refused_not_touched(quickstart):
    run, tmp_path = quickstart
    data = tmp_path / 'data' / 'synth'
    (data / 'train').mkdir(parents=True)
    (data / 'v2xpnp_infos_train.pkl').write_text('mine')
    proc, calls = run()
    assert proc.returncode == 2 and calls == []
    assert proc.stderr.strip().startswith(f'error: {data} exists but is not complete quick-start data '
                                          '(no v2xpnp_infos_val.pkl v2xpnp_infos_test.pkl')
    assert (data / 'v2xpnp_infos_train.pkl').read_text() == 'mine'


def test_check_mode_validates_and_stops(quickstart):
    run, tmp_path = quickstart
    proc, calls = run()
    assert proc.returncode == 0
    full_env = dict(os.environ, DATA=str(tmp_path / 'data' / 'synth'), SCENARIOS='x')
    proc = subprocess.run(['bash', 'tools/quickstart.sh', str(tmp_path / 'w2'), '--check'], cwd=REPO_ROOT,
                          env=full_env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "SCENARIOS must be a positive integer, got 'x'" in proc.stderr
    full_env.pop('SCENARIOS')
    proc = subprocess.run(['bash', 'tools/quickstart.sh', '--check', str(tmp_path / 'w2')], cwd=REPO_ROOT,
                          env=full_env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and 'quick start settings checked' in proc.stdout
    assert not (tmp_path / 'w2').exists()
