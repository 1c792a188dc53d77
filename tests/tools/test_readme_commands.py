"""Every command in README.md's shell code blocks runs as written, in a tiny mode, so that a README command that
fails as written fails the tests.

The convention README.md keeps to (tests/tools/test_readme_commands.py is its reference):

* Blocks fenced as ```bash, ```sh, ```shell or ```console hold commands only, runnable from the repository root as
  written (placeholders such as CONFIG or CKPT belong in ```text blocks, which are not run). A line ending in ``\\``
  continues; ``#`` starts a comment; ``[--option ...]`` groups are optional arguments (shown, not run); ``a && b`` is
  two commands; leading ``VAR=value`` words are environment settings.
* The commands run in README order, in one sandbox: ``tools/ projects/ configs/ tests/`` link to the repository,
  ``python`` is the test's interpreter, and ``data/`` and ``work_dirs/`` start as
  - ``data/v2xpnp``: raw V2XPnP-Seq-format data, not converted (what the user downloads);
  - ``data/v2xpnp_synth``: converted data (what ``bash tools/quickstart.sh`` leaves);
  - every ``work_dirs/...pth`` path written anywhere in README.md: a small stand-in checkpoint, recorded as its
    work dir's ``last_checkpoint`` (for ``--resume``; the trainings that would write them are only checked);
  - any other ``data/NAME`` a command names, before that command runs: converted data, unless a
    ``make_synthetic_v2xpnp.py`` or ``create_data.py`` command made it first.
  (All data is the tests' tiny synthetic data set.)
* How a command is checked depends on its program, by the table ``PROGRAMS`` below: ``check`` runs it with the tool's
  own ``--check`` (config, options, data and checkpoints are checked, nothing is trained), ``run`` runs it for real
  (``make_synthetic_v2xpnp.py`` at the tiny preset, ``browse_dataset.py`` drawing one sample), ``help`` appends
  ``--help`` (argparse checks the arguments before it: sub-command names, numbers), ``skip`` is set-up not run here
  (install, the test suite itself, lint). A command whose program is not in the table fails this test: add the
  program to ``PROGRAMS`` with how to check it.
* ``README_UNDER_TEST=draft.md pytest tests/tools/test_readme_commands.py`` checks a draft instead of README.md.
"""
import os
import os.path as osp
import re
import shlex
import shutil
import subprocess
import sys

import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
#: the file whose commands are run (README_UNDER_TEST=draft.md checks a draft before it replaces README.md)
README = os.environ.get('README_UNDER_TEST', osp.join(REPO_ROOT, 'README.md'))
SHELL_FENCES = ('bash', 'sh', 'shell', 'console')
PYTHONS = ('python', 'python3', '.venv/bin/python')

#: program (the script after ``python``/``bash``, or the executable) or program prefix → how it is checked
PROGRAMS = {
    'tools/train.py': 'check',
    'tools/test.py': 'check',
    'tools/dist_train.sh': 'check',      # CHECK_ONLY=1: the single-process input check, no torchrun
    'tools/dist_test.sh': 'check',
    'tools/quickstart.sh': 'check',      # --check: its environment checks (the full run takes ~15 min)
    'tools/create_data.py': 'run',
    'tools/make_synthetic_v2xpnp.py': 'run',
    'tools/browse_dataset.py': 'run',
    'tools/publish_model.py': 'run',
    'tools/train_chain.py': 'dry-run',  # --dry-run: the chain file and its configs are read, nothing is trained
    'tools/benchmarks/': 'help',
    'tools/analysis/': 'help',
    'tools/install.sh': 'skip',
    '-m pytest': 'skip',
    '.venv/bin/flake8': 'skip',
    'flake8': 'skip',
    'pip': 'skip',
    'git': 'skip',
    'cd': 'skip',
}
#: arguments appended to a ``run`` command (argparse keeps the last value): the smallest budget
RUN_ARGS = {
    'tools/make_synthetic_v2xpnp.py': ['--scenarios', '3', '--frames-per-scenario', '8', '--preset', 'tiny'],
    'tools/browse_dataset.py': ['--num', '1'],
}
#: how long one command may take
TIMEOUT = 300


def readme_commands(text: str) -> list:
    """``(line number, command)`` for each command of the shell blocks of ``text`` (see the module docstring)."""
    commands = []
    for match in re.finditer(r'^```(\w*)[^\n]*\n(.*?)^```', text, re.S | re.M):
        if match.group(1) not in SHELL_FENCES:
            continue
        first_line = text.count('\n', 0, match.start(2)) + 1
        pending, start = '', None
        for offset, line in enumerate(match.group(2).splitlines()):
            line = line.rstrip()
            if match.group(1) == 'console':
                if not (line.startswith('$ ') or pending):
                    continue
                line = line[2:] if line.startswith('$ ') else line
            if start is None:
                start = first_line + offset
            if line.endswith('\\'):
                pending += line[:-1] + ' '
                continue
            full, pending = pending + line, ''
            tokens = shlex.split(full, comments=True)
            text_without_options = ' '.join(t if t in ('&&', ';') else shlex.quote(t) for t in tokens)
            text_without_options = re.sub(r"\s*'?\[--[^\]]*\]'?", '', text_without_options)
            for part in re.split(r'\s+&&\s+|\s+;\s+', text_without_options):
                if part.strip():
                    commands.append((start, part.strip()))
            start = None
    return commands


def program_of(command: str) -> tuple:
    """``(program, words)``: the script or executable a command runs (after env settings and the interpreter)."""
    words = shlex.split(command)
    i = 0
    while i < len(words) and re.match(r'^[A-Za-z_][A-Za-z0-9_]*=', words[i]):
        i += 1
    program = words[i] if i < len(words) else ''
    if program in PYTHONS + ('bash', 'sh') and i + 1 < len(words):
        program = '-m ' + words[i + 2] if words[i + 1] == '-m' and i + 2 < len(words) else words[i + 1]
    return program, words


def mode_of(program: str):
    for prefix, mode in PROGRAMS.items():
        if program == prefix or (prefix.endswith('/') and program.startswith(prefix)):
            return prefix, mode
    return None, None


def raw_copy(source: str, target: str) -> None:
    """Copy a converted data set without its info files (raw data as downloaded)."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns('*.pkl', '*.json'))


def stand_in_checkpoint(path: str) -> None:
    import torch
    os.makedirs(osp.dirname(path), exist_ok=True)
    torch.save(dict(state_dict={'w': torch.zeros(2)}, meta=dict(epoch=1, iter=1)), path)


@pytest.fixture(scope='module')
def sandbox(tiny_dataset_root, tmp_path_factory):
    root = str(tmp_path_factory.mktemp('readme_sandbox'))
    for name in ('tools', 'projects', 'configs', 'tests', 'setup.cfg', 'README.md'):
        os.symlink(osp.join(REPO_ROOT, name), osp.join(root, name))
    os.makedirs(osp.join(root, 'data'))
    raw_copy(tiny_dataset_root, osp.join(root, 'data', 'v2xpnp'))
    os.symlink(tiny_dataset_root, osp.join(root, 'data', 'v2xpnp_synth'))
    with open(README) as f:
        for path in sorted(set(re.findall(r'work_dirs/[\w./-]+\.pth', f.read()))):
            stand_in_checkpoint(osp.join(root, path))
            with open(osp.join(root, osp.dirname(path), 'last_checkpoint'), 'w') as record:  # as CheckpointHook
                record.write(osp.join(root, path))
    return root


def prepare_data(sandbox: str, program: str, words: list, tiny_root: str) -> None:
    """The data a command expects (module docstring): fresh output for make_synthetic, converted data otherwise."""
    named = sorted({m.group(1) for w in words for m in [re.match(r'^(data/[^/\s]+)/?', w)] if m})
    for name in named:
        path = osp.join(sandbox, name)
        if program == 'tools/make_synthetic_v2xpnp.py':
            if osp.islink(path):
                os.remove(path)
            elif osp.isdir(path):
                shutil.rmtree(path)
        elif not osp.exists(path) and program != 'tools/create_data.py':
            os.symlink(tiny_root, path)


def command_line(command: str, program: str, prefix: str, mode: str) -> tuple:
    """The shell line to run and its extra environment."""
    env = {}
    if mode == 'check':
        if program.endswith('.sh') and program != 'tools/quickstart.sh':
            env['CHECK_ONLY'] = '1'
        else:
            command += ' --check'
    elif mode == 'help':
        command += ' --help'
    elif mode == 'dry-run':
        command += ' --dry-run'
    elif mode == 'run':
        command += ''.join(' ' + shlex.quote(arg) for arg in RUN_ARGS.get(prefix, []))
    return command, env


COMMANDS = readme_commands(open(README).read()) if osp.isfile(README) else []


def test_readme_has_commands():
    assert COMMANDS, 'README.md has no shell code block'


def test_every_readme_command_has_a_rule():
    unknown = [f'README.md:{line}: {command}' for line, command in COMMANDS
               if mode_of(program_of(command)[0])[1] is None]
    assert not unknown, ('README commands whose program is not in PROGRAMS (tests/tools/test_readme_commands.py): '
                         'add it there with how to check it\n' + '\n'.join(unknown))


@pytest.mark.parametrize('line,command', COMMANDS, ids=[f'README.md:{line}' for line, _ in COMMANDS])
def test_readme_command_runs(line, command, sandbox, tiny_dataset_root):
    program, words = program_of(command)
    prefix, mode = mode_of(program)
    if mode in (None, 'skip'):
        pytest.skip(f'{program}: {"no rule (see test_every_readme_command_has_a_rule)" if mode is None else "set-up"}')
    prepare_data(sandbox, program, words, tiny_dataset_root)
    shell_line, extra_env = command_line(command, program, prefix, mode)
    env = dict(os.environ, OMP_NUM_THREADS='1', **extra_env)
    env['PATH'] = osp.dirname(sys.executable) + os.pathsep + env.get('PATH', '')
    env.pop('VIRTUAL_ENV', None)
    shell_line = re.sub(r'(^|\s)\.venv/bin/python(\s)', r'\1python\2', shell_line)
    proc = subprocess.run(['bash', '-c', shell_line], cwd=sandbox, env=env, capture_output=True, text=True,
                          timeout=TIMEOUT)
    assert proc.returncode == 0, (f'README.md:{line} failed as written ({mode}: {shell_line}):\n'
                                  f'{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}')


def test_convention_parses_the_documented_forms():
    text = ('```bash\n'
            '# a comment\n'
            'python tools/create_data.py v2xpnp --root-path data/x [--strict] [--workers 4]  # why\n'
            'NNODES=2 PORT=29501 tools/dist_train.sh projects/TurboTrain/configs/pretrain.py 8 \\\n'
            '    --work-dir work_dirs/p\n'
            '.venv/bin/python -m pytest -q && .venv/bin/flake8 tools\n'
            '```\n'
            '```text\n'
            'tools/test.py CONFIG CKPT\n'
            '```\n')
    commands = readme_commands(text)
    assert commands == [
        (3, 'python tools/create_data.py v2xpnp --root-path data/x'),
        (4, 'NNODES=2 PORT=29501 tools/dist_train.sh projects/TurboTrain/configs/pretrain.py 8 --work-dir work_dirs/p'),
        (6, '.venv/bin/python -m pytest -q'), (6, '.venv/bin/flake8 tools')]
    assert [mode_of(program_of(c)[0])[1] for _, c in commands] == ['run', 'check', 'skip', 'skip']
    assert mode_of('tools/benchmarks/run_experiments.py') == ('tools/benchmarks/', 'help')
    assert mode_of('tools/unknown.py') == (None, None)
