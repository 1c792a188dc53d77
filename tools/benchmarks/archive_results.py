"""Copy the metrics of ``run_experiments.py``'s runs out of ``work_dirs`` into a small record kept in the repository.

Work dirs hold checkpoints and do not survive a change of machine; the README's tables must. For every run under
``WORK_ROOT`` (seed 0) and ``WORK_ROOT_seed<N>`` (seed N) that has a metrics file, this writes

    DEST[_seed<N>]/<experiment>/result*.json     metrics per tested split, as run_experiments.py wrote them
    DEST[_seed<N>]/<experiment>/trained.json     the training run (config, options, seed, seconds)
    DEST[_seed<N>]/<experiment>/train_losses.json  last-epoch mean loss_det / loss_pred (from train.log)
    DEST[_seed<N>]/<experiment>/balance_logs.json  mean of each ``balance/*`` scalar over the training log's
                                                   windows that have it (weights, cosines, task-gradient norms ...)

no checkpoints, no logs (a few KB per run). Paths inside the repository (checkpoints, the pretrained trunk in the
options) are written relative to its root, so the record names no machine's folders; paths outside it are kept.
``run_experiments.py SUITE --report-only --work-root DEST`` then prints the tables from the record alone, on any
machine:

    python tools/benchmarks/archive_results.py work_dirs/experiments \
        --dest projects/TurboTrain/docs/experiments/records/experiments
    python tools/benchmarks/run_experiments.py dominance --report-only \
        --work-root projects/TurboTrain/docs/experiments/records/experiments --seeds 0 1

A file already in the record is never replaced by a different one (a rerun's metrics) unless ``--overwrite`` is
given; the differing files are listed and nothing is written for that run.
"""
import argparse
import glob
import importlib.util
import json
import os
import os.path as osp
import re
import sys
from typing import Dict, List, Optional, Tuple

_spec = importlib.util.spec_from_file_location(
    'run_experiments', osp.join(osp.dirname(osp.abspath(__file__)), 'run_experiments.py'))
run_experiments = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run_experiments)

TRAIN_LOSSES_FILE = run_experiments.TRAIN_LOSSES_FILE
BALANCE_LOGS_FILE = run_experiments.BALANCE_LOGS_FILE
balance_log_means = run_experiments.balance_log_means


def portable_text(text: str, repo_root: str = run_experiments.REPO_ROOT) -> str:
    """``text`` (a JSON document) with every absolute path under ``repo_root`` made relative to it: the root and its
    separator, as JSON spells them, removed. Paths outside the repository are left as they are."""
    return text.replace(json.dumps(osp.join(osp.abspath(repo_root), ''))[1:-1], '')


def seed_roots(work_root: str) -> Dict[int, str]:
    """``{seed: folder}`` of the seed folders that exist next to ``work_root`` (itself for seed 0)."""
    work_root = work_root.rstrip(os.sep)
    roots = {0: work_root} if osp.isdir(work_root) else {}
    for folder in glob.glob(f'{work_root}_seed*'):
        match = re.fullmatch(re.escape(work_root) + r'_seed(\d+)', folder)
        if match and osp.isdir(folder):
            roots[int(match.group(1))] = folder
    return dict(sorted(roots.items()))


def read_text(path: str) -> Optional[str]:
    """The file's text, or None if it does not exist."""
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return f.read()


def run_record(run_dir: str) -> Dict[str, str]:
    """``{file name: text}`` of one run's record, empty if the run has no metrics file."""
    record = {}
    for path in sorted(glob.glob(osp.join(run_dir, 'result*.json'))) + [osp.join(run_dir, 'trained.json')]:
        text = read_text(path)
        if text is not None:
            try:
                json.loads(text)
            except json.JSONDecodeError as error:
                raise ValueError(f'{path}: not valid JSON ({error}); not archived') from error
            record[osp.basename(path)] = portable_text(text)
    if not any(name.startswith('result') for name in record):
        return {}
    losses = run_experiments.last_epoch_train_losses(run_dir)
    if losses:
        record[TRAIN_LOSSES_FILE] = json.dumps(losses, indent=1) + '\n'
    balance = balance_log_means(run_dir)
    if balance:
        record[BALANCE_LOGS_FILE] = json.dumps(balance, indent=1) + '\n'
    return record


def archive(work_root: str, dest: str, overwrite: bool = False) -> Tuple[List[str], List[str]]:
    """Copy every run's record from the seed folders of ``work_root`` to those of ``dest``.

    Returns:
        (written, refused): the files written (or already identical) and the files left alone because the record
        holds a different version (only without ``overwrite``).
    """
    written, refused = [], []
    for seed, root in seed_roots(work_root).items():
        dest_root = run_experiments.seed_work_root(dest, seed)
        for run_dir in sorted(glob.glob(osp.join(root, '*', ''))):
            record = run_record(run_dir)
            if not record:
                continue
            target_dir = osp.join(dest_root, osp.basename(osp.normpath(run_dir)))
            differing = [osp.join(target_dir, name) for name, text in record.items()
                         if read_text(osp.join(target_dir, name)) not in (None, text)]
            if differing and not overwrite:
                refused += differing
                continue
            os.makedirs(target_dir, exist_ok=True)
            for name, text in record.items():
                with open(osp.join(target_dir, name), 'w') as f:
                    f.write(text)
                written.append(osp.join(target_dir, name))
    return written, refused


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('work_root', help='run_experiments.py --work-root (seed folders <work_root>_seed<N> too)')
    parser.add_argument('--dest', default='projects/TurboTrain/docs/experiments/records/experiments',
                        help='the record (default: %(default)s)')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace files of the record that differ (e.g. after a --rerun)')
    args = parser.parse_args(argv)
    if not seed_roots(args.work_root):
        parser.error(f'{args.work_root}: no such folder (nor {args.work_root}_seed<N>)')
    if osp.abspath(args.dest) == osp.abspath(args.work_root):
        parser.error('--dest is the work root itself')
    written, refused = archive(args.work_root, args.dest, args.overwrite)
    runs = sorted({osp.dirname(path) for path in written})
    print(f'{len(runs)} run(s) archived under {args.dest} ({len(written)} files)')
    if refused:
        print('left alone, the record holds a different version (--overwrite to replace):\n  '
              + '\n  '.join(refused), file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
