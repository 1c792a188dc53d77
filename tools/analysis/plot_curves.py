"""Plot the scalars logged by one or several training runs side by side into a PNG (in the manner of mmdet's
``analyze_logs.py plot_curve``, with matplotlib only).

    python tools/analysis/plot_curves.py WORK_DIR [WORK_DIR ...] --keys '^loss' '^lr$' --out curves.png
    python tools/analysis/plot_curves.py WORK_DIR --list          # the scalars each run logged

A run is a work dir, whose mmengine logs are ``<work_dir>/<timestamp>/vis_data/scalars.json`` (one per start of
training), or one ``scalars.json`` file. Of a resumed or restarted run, the newest log counts whole and an older
log only below the first iteration a newer one trained (those were trained again). ``--keys`` are regular
expressions searched in the scalar names (losses, ``lr``, the balancing wrapper's ``balance/*`` weights and
cosines, validation metrics such as ``v2xpnp/mAP@0.5``); every matching name gets a panel, every run a line.
Training windows are drawn at their iteration; validation records (lines without ``iter``) at the iteration they
followed, with markers. ``--smooth N`` draws the moving average over N windows.
"""
import argparse
import importlib.util
import math
import os
import os.path as osp
import re
import sys
from typing import Dict, List, Sequence, Tuple

TOOLS = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, TOOLS)  # for _cli
from _cli import fail  # noqa: E402

_spec = importlib.util.spec_from_file_location('run_experiments', osp.join(TOOLS, 'benchmarks', 'run_experiments.py'))
run_experiments = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run_experiments)  # the project's one reader of mmengine scalar logs

#: bookkeeping scalars every window has; left out unless a --keys pattern names them
BOOKKEEPING = ('step', 'iter', 'epoch', 'time', 'data_time', 'memory')

Series = Dict[str, Tuple[List[float], List[float], bool]]  # name → (iterations, values, is_validation)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Plot logged training scalars of one or several runs')
    parser.add_argument('runs', nargs='+', help='work dirs (or scalars.json files)')
    parser.add_argument('--keys', nargs='+', default=['^loss'],
                        help='regular expressions of the scalar names to plot (default: ^loss)')
    parser.add_argument('--legend', nargs='+', help='one name per run (default: the work dir names)')
    parser.add_argument('--out', help='PNG to write')
    parser.add_argument('--smooth', type=int, default=1, help='moving average over this many windows')
    parser.add_argument('--cols', type=int, default=3, help='panels per row')
    parser.add_argument('--title', default=None)
    parser.add_argument('--dpi', type=int, default=80)
    parser.add_argument('--list', action='store_true', help='print the scalar names of each run and exit')
    args = parser.parse_args(argv)
    if args.legend and len(args.legend) != len(args.runs):
        parser.error(f'--legend gives {len(args.legend)} names for {len(args.runs)} runs')
    if not args.list and not args.out:
        parser.error('--out is required (or --list)')
    if args.smooth < 1 or args.cols < 1:
        parser.error('--smooth and --cols must be >= 1')
    return args


def log_files(run: str) -> List[str]:
    """The run's ``scalars.json`` files, oldest first; a one-line error when there is none."""
    if osp.isfile(run):
        return [run]
    if not osp.isdir(run):
        fail(f'{run}: no such work dir or scalars.json file')
    logs = run_experiments.scalar_logs(run)
    if not logs:
        fail(f'{run}: no <timestamp>/vis_data/scalars.json under this work dir (has it trained yet?)')
    return logs


def load_series(paths: Sequence[str]) -> Series:
    """Every numeric scalar of a run's logs (oldest first) as ``name → (iterations, values, is_validation)``.

    A training window (a line with ``iter``) sits at its ``iter``; any other line (validation) at the ``iter`` of
    the last training window before it (0 before any), or at its ``step`` when that is larger (a hook that logs by
    iteration, e.g. ``recon_val/*``, writes before the window of that iteration). An older log keeps only the
    records below the first training iteration of every newer log.
    """
    per_log = []
    for path in paths:
        try:
            windows = run_experiments.read_scalar_windows(path)
        except (OSError, ValueError) as error:
            fail(str(error))
        records, last_iter = [], 0.0
        for window in windows:
            is_val = 'iter' not in window
            if not is_val:
                last_iter = float(window['iter'])
            # a record's step is an epoch (LoggerHook's validation) or an iteration (hooks logging by iteration,
            # written before that iteration's training window): beyond the last window it can only be the latter
            step = float(window.get('step', 0))
            records.append((step if is_val and step > last_iter else last_iter, is_val, window))
        per_log.append(records)
    kept, bound = [], math.inf
    for records in reversed(per_log):  # newest first
        kept[:0] = [r for r in records if r[0] < bound]
        train_iters = [it for it, is_val, _ in records if not is_val]
        if train_iters:
            bound = min(bound, min(train_iters))
    series: Series = {}
    for it, is_val, window in kept:
        for name, value in window.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            xs, ys, _ = series.setdefault(name, ([], [], is_val))
            xs.append(it)
            ys.append(float(value))
    return series


def select(names: Sequence[str], patterns: Sequence[str]) -> List[str]:
    """Names matching any pattern (``re.search``), sorted; a bookkeeping name (``time``, ``iter`` ...) only when a
    pattern names it literally (``time`` or ``^time$``)."""
    try:
        compiled = [re.compile(p) for p in patterns]
    except re.error as error:
        fail(f'--keys: bad regular expression ({error})')
    chosen = []
    for name in sorted(set(names)):
        if name in BOOKKEEPING and not any(p.strip('^$') == name for p in patterns):
            continue
        if any(p.search(name) for p in compiled):
            chosen.append(name)
    return chosen


def moving_average(values: List[float], window: int) -> List[float]:
    """Mean of the last ``window`` values at each position (fewer at the start)."""
    out, total = [], 0.0
    for i, value in enumerate(values):
        total += value
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out


def plot_curves(runs: Dict[str, Series], names: Sequence[str], out: str, cols: int = 3, smooth: int = 1,
                title: str = None, dpi: int = 80) -> None:
    """One panel per scalar name, one line per run; writes ``out``."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    cols = min(cols, len(names))
    rows = math.ceil(len(names) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.0 * rows), squeeze=False, dpi=dpi)
    for ax, name in zip(axes.flat, names):
        for k, (label, series) in enumerate(runs.items()):
            if name not in series:
                continue
            xs, ys, is_val = series[name]
            colour = f'C{k % 10}'
            if is_val:
                ax.plot(xs, ys, marker='o', ms=4, c=colour, label=label)
            else:
                ax.plot(xs, moving_average(ys, smooth), c=colour, lw=1.2, label=label)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel('iteration', fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(names):]:
        ax.axis('off')
    top = 1.0
    if title:
        fig.suptitle(title, y=0.995, fontsize=10)
        top -= 0.3 / (3.0 * rows)  # 0.3 inch
    if len(runs) > 1:  # one legend for all panels, under the title
        handles, labels = [], []
        for ax in axes.flat:
            for handle, label in zip(*ax.get_legend_handles_labels()):
                if label not in labels:
                    handles.append(handle)
                    labels.append(label)
        fig.legend(handles, labels, loc='upper center', bbox_to_anchor=(0.5, top), ncol=min(len(runs), 4),
                   fontsize=8, frameon=False)
        top -= 0.3 / (3.0 * rows)
    fig.tight_layout(rect=(0, 0, 1, top))
    folder = osp.dirname(osp.abspath(out))
    os.makedirs(folder, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)


def main(argv=None) -> int:
    args = parse_args(argv)
    labels = args.legend or [osp.basename(osp.normpath(r)) if osp.isdir(r) else r for r in args.runs]
    runs = {}
    for label, run in zip(labels, args.runs):
        runs[label] = load_series(log_files(run))
    if args.list:
        for label, series in runs.items():
            print(f'{label}: ' + ', '.join(sorted(series)))
        return 0
    names = select([n for series in runs.values() for n in series], args.keys)
    if not names:
        fail(f'no logged scalar matches --keys {" ".join(args.keys)} (see --list)')
    title = args.title or (labels[0] if len(runs) == 1 else None)  # one run: its name on top
    plot_curves(runs, names, args.out, args.cols, args.smooth, title, args.dpi)
    print(f'{len(names)} panels ({", ".join(names)}) of {len(runs)} runs written to {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
