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
BALANCE_LOGS_FILE = 'balance_logs.json'


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


def _balance_scalars(window: dict) -> Dict[str, float]:
    return {key[len('balance/'):]: float(value) for key, value in window.items() if key.startswith('balance/')}


def balance_log_means(run_dir: str) -> dict:
    """Means of the ``balance/*`` scalars over the run's training logs (``<timestamp>/vis_data/scalars.json``).

    Each line of such a file is one logging window (mmengine's mean over its iterations, ``step`` = the window's
    last iteration); a scalar logged only on conflict-suppressing updates appears in the windows that had one. The
    newest log counts whole. A run resumed (``--resume``) or restarted into the same work dir leaves older logs: an
    older log's balance windows count only below the first balance window step of every newer log (iterations
    after the checkpoint it resumed from were trained again; a restart from scratch starts at the first window, so
    nothing older counts). Returns ``{'windows': windows counted (all lines of the newest log + the counted older
    ones), 'means': {key: mean over the windows that have it}, 'counts': {key: such windows}}`` without the
    ``balance/`` prefix, or ``{}`` when no log has a ``balance/*`` scalar (no balancing wrapper) or there is no log.
    """
    counted: List[Dict[str, float]] = []  # the balance scalars of each counted window ({} where it has none)
    first_step = float('inf')  # the first balance window step of the logs read so far (newer ones)
    for age, path in enumerate(reversed(run_experiments.scalar_logs(run_dir))):
        windows = [(window.get('step', 0), _balance_scalars(window))
                   for window in run_experiments.read_scalar_windows(path)]
        balance_steps = [step for step, scalars in windows if scalars]
        if age == 0:
            counted.extend(scalars for _, scalars in windows)
        else:
            counted.extend(scalars for step, scalars in windows if scalars and step < first_step)
        first_step = min([first_step] + balance_steps)
    sums: Dict[str, float] = {}
    counts: Dict[str, int] = {}
    for scalars in counted:
        for name, value in scalars.items():
            sums[name] = sums.get(name, 0.0) + value
            counts[name] = counts.get(name, 0) + 1
    if not counts:
        return {}
    return dict(windows=len(counted), means={name: sums[name] / counts[name] for name in sorted(sums)},
                counts={name: counts[name] for name in sorted(counts)})


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
