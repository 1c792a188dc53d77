"""tools/train_chain.py: each stage starts from the previous stage's output, finished stages are skipped, a partial
stage is resumed, a missing start file or a failed stage is refused with one line. The stand-in for tools/train.py
writes what the real one leaves (a checkpoint named in ``last_checkpoint``, or the exported trunk)."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(REPO_ROOT, 'tools'))
import train_chain  # noqa: E402

DEMO_CHAIN = osp.join(REPO_ROOT, 'projects/TurboTrain/configs/manual/demo_chain.py')
RECIPES = osp.join(REPO_ROOT, 'projects/TurboTrain/configs/paper_comparison/demo_chains.py')


class FakeTrain:
    """Records each command; 'trains' by writing ``epoch_1.pth`` + ``last_checkpoint`` (and the trunk file of a
    pretraining stage) in the command's work dir; ``fail_on``: stage names whose run exits 1."""

    def __init__(self, fail_on=()):
        self.commands = []
        self.fail_on = set(fail_on)

    def __call__(self, cmd, log_path):
        self.commands.append(cmd)
        work_dir = cmd[cmd.index('--work-dir') + 1]
        if osp.basename(work_dir) in self.fail_on:
            return 1
        os.makedirs(work_dir, exist_ok=True)
        checkpoint = osp.join(work_dir, 'epoch_1.pth')
        open(checkpoint, 'w').close()
        with open(osp.join(work_dir, 'last_checkpoint'), 'w') as f:
            f.write(checkpoint)
        open(osp.join(work_dir, 'trunk_pretrained.pth'), 'w').close()
        return 0


def option(cmd, key):
    values = [part.split('=', 1)[1] for part in cmd if part.startswith(key + '=')]
    return values[0] if values else None


def test_each_stage_starts_from_the_previous_stage_checkpoint(tmp_path):
    stages = train_chain.load_stages(DEMO_CHAIN)
    fake = FakeTrain()
    outputs = train_chain.run_chain(stages, str(tmp_path), options=['randomness.seed=3'], runner=fake,
                                    echo=lambda line: None)
    names = [s['name'] for s in stages]
    assert [osp.basename(c[c.index('--work-dir') + 1]) for c in fake.commands] == names
    assert option(fake.commands[0], 'load_from') is None  # stage 1 starts from scratch
    for k in range(1, 4):
        assert option(fake.commands[k], 'load_from') == str(tmp_path / names[k - 1] / 'epoch_1.pth')
    assert all(option(c, 'randomness.seed') == '3' and '--resume' not in c for c in fake.commands)
    assert fake.commands[1][:3] == [sys.executable, osp.join('tools', 'train.py'), stages[1]['config']]
    assert outputs[names[-1]] == str(tmp_path / names[-1] / 'epoch_1.pth')
    done = json.loads((tmp_path / names[1] / 'chain_stage.json').read_text())
    assert done['output'] == str(tmp_path / names[1] / 'epoch_1.pth')

    # run again: every stage finished, nothing trains
    again = FakeTrain()
    assert train_chain.run_chain(stages, str(tmp_path), runner=again, echo=lambda line: None) == outputs
    assert again.commands == []


def test_pretrained_trunk_is_handed_on_by_its_own_key(tmp_path):
    stages = train_chain.load_stages(RECIPES, 'turbotrain')
    fake = FakeTrain()
    train_chain.run_chain(stages, str(tmp_path), runner=fake, echo=lambda line: None)
    assert option(fake.commands[1], 'model.init_cfg.checkpoint') == str(tmp_path / 'pretrain' /
                                                                        'trunk_pretrained.pth')
    # the other TurboTrain recipe shares the finished pretraining: only its fine-tuning trains
    other = FakeTrain()
    train_chain.run_chain(train_chain.load_stages(RECIPES, 'turbotrain_sum'), str(tmp_path), runner=other,
                          echo=lambda line: None)
    assert [osp.basename(c[c.index('--work-dir') + 1]) for c in other.commands] == ['turbotrain_sum']


def test_a_partial_stage_is_resumed_and_a_failed_one_stops_the_chain(tmp_path):
    stages = train_chain.load_stages(DEMO_CHAIN)
    with pytest.raises(train_chain.ChainError, match=r"stage 2/4 'stage2_temporal_pred' failed \(exit 1\)"):
        train_chain.run_chain(stages, str(tmp_path), runner=FakeTrain(fail_on={'stage2_temporal_pred'}),
                              echo=lambda line: None)
    # stage 2 stopped after writing a checkpoint: the next run resumes it and trains the rest
    partial = tmp_path / 'stage2_temporal_pred'
    partial.mkdir(exist_ok=True)
    (partial / 'epoch_1.pth').write_text('')
    (partial / 'last_checkpoint').write_text(str(partial / 'epoch_1.pth'))
    fake = FakeTrain()
    train_chain.run_chain(stages, str(tmp_path), runner=fake, echo=lambda line: None)
    assert [osp.basename(c[c.index('--work-dir') + 1]) for c in fake.commands] == [
        'stage2_temporal_pred', 'stage3_joint', 'stage4_multi_agent_fusion']
    assert '--resume' in fake.commands[0] and '--resume' not in fake.commands[1]


def test_a_missing_previous_checkpoint_is_refused(tmp_path):
    stages = train_chain.load_stages(DEMO_CHAIN)
    train_chain.run_chain(stages[:2], str(tmp_path), runner=FakeTrain(), echo=lambda line: None)
    os.remove(tmp_path / 'stage2_temporal_pred' / 'epoch_1.pth')
    fake = FakeTrain()
    with pytest.raises(train_chain.ChainError, match="'stage2_temporal_pred' finished but its output is gone"):
        train_chain.run_chain(stages, str(tmp_path), runner=fake, echo=lambda line: None)
    assert fake.commands == []
    # a chain started at stage 3 (--from-stage) where stage 2 never ran refuses before training anything
    with pytest.raises(train_chain.ChainError, match="stage 3/4 'stage3_joint' starts from stage "
                                                     "'stage2_temporal_pred'.s output, which is missing"):
        train_chain.run_chain(stages, str(tmp_path / 'other'), runner=fake, echo=lambda line: None, start_at=2)
    assert fake.commands == []


def test_dist_command_and_dry_run(tmp_path, capsys):
    stages = train_chain.load_stages(DEMO_CHAIN)
    cmd = train_chain.train_command(stages[0], str(tmp_path), 8, ['a=1'], resume=False)
    assert cmd[:4] == ['bash', osp.join('tools', 'dist_train.sh'), stages[0]['config'], '8']
    assert cmd[-2:] == ['--cfg-options', 'a=1']
    assert train_chain.main([DEMO_CHAIN, '--work-dir', str(tmp_path), '--dry-run',
                             '--cfg-options', 'randomness.seed=1']) == 0
    out = capsys.readouterr().out
    assert out.count('tools/train.py') == 4 and 'randomness.seed=1' in out
    assert f'load_from={tmp_path}/stage1_single_agent_det/last_checkpoint' in out
    assert not osp.exists(tmp_path / 'stage1_single_agent_det')


def one_line_error(args):
    proc = subprocess.run([sys.executable, 'tools/train_chain.py'] + args, cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode != 0 and 'Traceback' not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_bad_chain_input_gives_one_line_errors(tmp_path):
    assert 'chain file not found: nope.py' in one_line_error(['nope.py', '--work-dir', str(tmp_path)])
    assert "no recipe 'x'" in one_line_error([RECIPES, '--recipe', 'x', '--work-dir', str(tmp_path)])
    assert 'pass --recipe' in one_line_error([RECIPES, '--work-dir', str(tmp_path)])
    bad = tmp_path / 'bad_chain.py'
    bad.write_text("stages = [dict(name='a', config='missing.py')]\n")
    assert "stage 'a': config file not found" in one_line_error([str(bad), '--work-dir', str(tmp_path)])
