"""Train a chain of configs, each stage starting from the previous stage's output (the manual multi-stage pipeline,
or pretraining → fine-tuning), through the standard tools/train.py (tools/dist_train.sh with --nproc > 1).

    python tools/train_chain.py CHAIN --work-dir DIR [--nproc N] [--recipe NAME] [--cfg-options k=v ...]
    python tools/train_chain.py projects/TurboTrain/configs/manual/demo_chain.py --work-dir work_dirs/demo_manual
    python tools/train_chain.py projects/TurboTrain/configs/paper_comparison/demo_chains.py --recipe turbotrain \\
        --work-dir work_dirs/demo_recipes

A chain file is an mmengine config with ``stages = [dict(name=..., config=..., start_key=..., output=...), ...]``
(config paths relative to the chain file), or with ``recipes = dict(NAME=<stages list or chain file>)`` and
``--recipe NAME``. Stage ``k`` trains in ``DIR/<name>``; from the second stage on, the previous stage's output
(``output``: a file of its work dir, default its last checkpoint) is passed as ``--cfg-options <start_key>=PATH``
(``start_key`` default ``load_from``; ``model.init_cfg.checkpoint`` for a pretrained trunk).

Stage by stage resumable: a stage whose ``DIR/<name>/chain_stage.json`` exists has finished and is skipped; a stage
with checkpoints but no such file is resumed (``tools/train.py --resume``); otherwise it starts afresh. A stage whose
start file is missing is refused with a one-line error naming it (nothing is trained). ``--cfg-options`` apply to
every stage (data roots, ``randomness.seed``). Training cost is carried from stage to stage by TrainingCostHook
(``cost.json`` in each work dir).
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time
from typing import Dict, List, Optional

import _cli  # noqa: F401  (puts the repo root on sys.path)
from _cli import REPO_ROOT, fail, require_file

DONE_FILE = 'chain_stage.json'


class ChainError(Exception):
    """Bad chain input or a stage that cannot start (one line, names the file)."""


def load_stages(chain_file: str, recipe: Optional[str] = None) -> List[dict]:
    """The chain's stages with absolute config paths: ``[dict(name, config, start_key, output)]``."""
    from mmengine.config import Config
    if not osp.isfile(chain_file):
        raise ChainError(f'chain file not found: {chain_file}')
    try:
        cfg = Config.fromfile(chain_file)
    except Exception as exc:
        raise ChainError(f'cannot load chain file {chain_file}: {type(exc).__name__}: {exc}') from exc
    base = osp.dirname(osp.abspath(chain_file))
    if recipe is not None:
        recipes = cfg.get('recipes')
        if not isinstance(recipes, dict) or recipe not in recipes:
            known = ', '.join(sorted(recipes)) if isinstance(recipes, dict) else 'none'
            raise ChainError(f'{chain_file}: no recipe {recipe!r} (recipes: {known})')
        entry = recipes[recipe]
        if isinstance(entry, str):
            return load_stages(osp.join(base, entry))
        raw = entry
    else:
        raw = cfg.get('stages')
        if raw is None:
            hint = f' (it has recipes: {", ".join(sorted(cfg.recipes))}; pass --recipe)' if 'recipes' in cfg else ''
            raise ChainError(f'{chain_file}: no `stages` list{hint}')
    if not isinstance(raw, (list, tuple)) or not raw:
        raise ChainError(f'{chain_file}: the stages must be a non-empty list')
    stages, names = [], set()
    for index, stage in enumerate(raw, 1):
        if not isinstance(stage, dict) or 'name' not in stage or 'config' not in stage:
            raise ChainError(f'{chain_file}: stage {index} needs a name and a config, got {stage!r}')
        if stage['name'] in names:
            raise ChainError(f'{chain_file}: stage name {stage["name"]!r} used twice')
        names.add(stage['name'])
        config = osp.normpath(osp.join(base, stage['config']))
        if not osp.isfile(config):
            raise ChainError(f'{chain_file}: stage {stage["name"]!r}: config file not found: {config}')
        stages.append(dict(name=stage['name'], config=config, start_key=stage.get('start_key', 'load_from'),
                           output=stage.get('output')))
    return stages


def stage_dir(work_dir: str, stage: dict) -> str:
    return osp.join(work_dir, stage['name'])


def finished_output(work_dir: str, stage: dict) -> Optional[str]:
    """The output a finished stage handed on (its ``chain_stage.json``), or None if it has not finished."""
    path = osp.join(stage_dir(work_dir, stage), DONE_FILE)
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)['output']


def stage_output(work_dir: str, stage: dict) -> str:
    """What a stage that has just trained hands on: its ``output`` file, or the checkpoint named in
    ``last_checkpoint``; a ChainError if it is not there."""
    folder = stage_dir(work_dir, stage)
    if stage['output']:
        path = osp.join(folder, stage['output'])
    else:
        pointer = osp.join(folder, 'last_checkpoint')
        if not osp.isfile(pointer):
            raise ChainError(f'stage {stage["name"]!r} finished without a checkpoint: {pointer} is missing')
        with open(pointer) as f:
            path = f.read().strip()
    if not osp.isfile(path):
        raise ChainError(f'stage {stage["name"]!r} output not found: {path}')
    return osp.abspath(path)


def has_checkpoint(folder: str) -> bool:
    return osp.isfile(osp.join(folder, 'last_checkpoint'))


def train_command(stage: dict, work_dir: str, nproc: int, options: List[str], resume: bool) -> List[str]:
    """tools/train.py (one process) or tools/dist_train.sh (``nproc`` processes) for one stage."""
    if nproc > 1:
        cmd = ['bash', osp.join('tools', 'dist_train.sh'), stage['config'], str(nproc)]
    else:
        cmd = [sys.executable, osp.join('tools', 'train.py'), stage['config']]
    cmd += ['--work-dir', stage_dir(work_dir, stage)]
    if resume:
        cmd.append('--resume')
    if options:
        cmd += ['--cfg-options'] + options
    return cmd


def run_command(cmd: List[str], log_path: Optional[str]) -> int:
    """Run ``cmd`` from the repo root (output to ``log_path`` when given, else to this terminal)."""
    if log_path is None:
        return subprocess.run(cmd, cwd=REPO_ROOT).returncode
    with open(log_path, 'a') as log:
        return subprocess.run(cmd, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT).returncode


def run_chain(stages: List[dict], work_dir: str, nproc: int = 1, options: Optional[List[str]] = None,
              log_name: Optional[str] = None, dry_run: bool = False, runner=run_command,
              echo=print, start_at: int = 0) -> Dict[str, str]:
    """Train the stages in order (skip finished, resume partial); returns ``{stage name: output}``.

    ``log_name``: write each stage's tools/train.py output to ``<stage dir>/<log_name>`` instead of the terminal.
    ``start_at``: index of the first stage to run (the ones before are not touched; the first one run needs the
    output of the one before it). Raises ChainError (one line) for a missing start file or a failed stage.
    """
    work_dir = osp.abspath(work_dir)
    outputs: Dict[str, str] = {}
    previous: Optional[dict] = None
    for index, stage in enumerate(stages, 1):
        label = f'stage {index}/{len(stages)} {stage["name"]!r}'
        folder = stage_dir(work_dir, stage)
        if index - 1 < start_at:
            previous = stage
            continue
        done = finished_output(work_dir, stage)
        if done is not None:
            if not osp.isfile(done):
                raise ChainError(f'{label} finished but its output is gone: {done}; delete '
                                 f'{osp.join(folder, DONE_FILE)} to train it again')
            echo(f'[chain] {label}: finished, output {done}')
            outputs[stage['name']] = done
            previous = stage
            continue
        stage_options = list(options or [])
        if previous is not None:
            start = outputs.get(previous['name']) or finished_output(work_dir, previous)
            planned = dry_run and previous['name'] in outputs  # a dry run's output is only a name
            if start is None or not (planned or osp.isfile(start)):
                raise ChainError(f'{label} starts from stage {previous["name"]!r}\'s output, which is missing '
                                 f'({osp.join(stage_dir(work_dir, previous), DONE_FILE)} not found); run that stage '
                                 f'first')
            stage_options.append(f'{stage["start_key"]}={start}')
        resume = has_checkpoint(folder)
        cmd = train_command(stage, work_dir, nproc, stage_options, resume)
        echo(f'[chain] {label}: {"resuming" if resume else "training"} in {folder}')
        if dry_run:
            echo('  ' + ' '.join(cmd))
            outputs[stage['name']] = osp.join(folder, stage['output'] or 'last_checkpoint')
            previous = stage
            continue
        os.makedirs(folder, exist_ok=True)
        start_time = time.time()
        code = runner(cmd, osp.join(folder, log_name) if log_name else None)
        if code != 0:
            log = f'; log: {osp.join(folder, log_name)}' if log_name else ''
            raise ChainError(f'{label} failed (exit {code}); run the same command again to resume it{log}')
        output = stage_output(work_dir, stage)
        with open(osp.join(folder, DONE_FILE), 'w') as f:
            json.dump(dict(stage=stage['name'], config=stage['config'], output=output, options=stage_options,
                           seconds=round(time.time() - start_time, 1)), f, indent=1)
        echo(f'[chain] {label}: finished, output {output}')
        outputs[stage['name']] = output
        previous = stage
    return outputs


def parse_args(argv=None) -> argparse.Namespace:
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('chain', help='chain file (stages = [...], or recipes = dict(...) with --recipe)')
    parser.add_argument('--work-dir', required=True, help='stage work dirs go to WORK_DIR/<stage name>')
    parser.add_argument('--recipe', help='the recipe of a chain file that lists several')
    parser.add_argument('--nproc', type=int, default=1, help='processes per stage (tools/dist_train.sh when > 1)')
    parser.add_argument('--from-stage', metavar='NAME',
                        help='start at this stage (the earlier ones must have finished in WORK_DIR)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='config overrides for every stage, key=value')
    parser.add_argument('--dry-run', action='store_true', help='print the commands without training')
    return parser.parse_args(argv)


def format_options(options: dict) -> List[str]:
    """``DictAction``'s dict back to ``key=value`` strings (lists as ``[a,b]``)."""
    def text(value):
        if isinstance(value, (list, tuple)):
            return '[' + ','.join(text(v) for v in value) + ']'
        return str(value)
    return [f'{key}={text(value)}' for key, value in options.items()]


def main(argv=None) -> int:
    args = parse_args(argv)
    require_file(args.chain, 'chain file')
    if args.nproc < 1:
        fail(f'--nproc must be a positive integer, got {args.nproc}')
    try:
        stages = load_stages(args.chain, args.recipe)
        names = [stage['name'] for stage in stages]
        if args.from_stage is not None and args.from_stage not in names:
            raise ChainError(f'--from-stage: no stage {args.from_stage!r} in {args.chain} ({", ".join(names)})')
        start_at = names.index(args.from_stage) if args.from_stage else 0
        run_chain(stages, args.work_dir, args.nproc, format_options(args.cfg_options), dry_run=args.dry_run,
                  start_at=start_at)
    except ChainError as error:
        fail(str(error))
    return 0


if __name__ == '__main__':
    sys.exit(main())
