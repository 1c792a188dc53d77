"""The paper's central comparison: TurboTrain against the manual 4-stage pipeline and one-time joint training, in
accuracy on held-out scenarios and in training cost (study page: projects/TurboTrain/docs/experiments/
paper_comparison.md).

    python tools/benchmarks/paper_comparison.py --heldout-root data/v2xpnp_heldout_s29/ --seeds 0 1 2
    python tools/benchmarks/paper_comparison.py --report-only          # table + plot from the archived records

Recipes (chains of configs in projects/TurboTrain/configs/paper_comparison/{demo_,}chains.py, trained by
tools/train_chain.py, i.e. tools/train.py per stage, tools/dist_train.sh with --nproc > 1):
``one_time`` (joint training from scratch), ``manual_4stage`` (single-agent detection → temporal prediction → joint
→ multi-agent fusion), ``turbotrain_sum`` (masked pretraining + summed losses), ``turbotrain`` (pretraining +
balancing). Per seed every recipe trains in ``<work-root>/seed<N>/<stage>`` (the TurboTrain recipes share their
pretraining run); finished stages are skipped and partial ones resumed, so the command can be run again after a stop.
Every final checkpoint is tested on the test split of ``--heldout-root`` (scenarios of another generator seed,
never trained or tuned on). TrainingCostHook's ``cost.json`` gives each recipe's cumulative cost and its validation
curve (the training data's val split, at every validated epoch).

Written to ``--out`` (default ``<work-root>``): ``paper_comparison.md`` (the tables) and ``paper_comparison.png``
(validation vehicle AP@0.5 and EPA against cumulative cost); one small JSON record per (seed, recipe) goes to
``<work-root>/records/`` and, with ``--archive``, to ``projects/TurboTrain/docs/experiments/records/
paper_comparison/``, which ``--report-only`` reads.
"""
import argparse
import glob
import json
import math
import os
import os.path as osp
import subprocess
import sys
from typing import Dict, List, Optional, Sequence, Tuple

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(REPO_ROOT, 'tools'))
import train_chain  # noqa: E402  (tools/train_chain.py)

CHAINS = {'demo': 'projects/TurboTrain/configs/paper_comparison/demo_chains.py',
          'full': 'projects/TurboTrain/configs/paper_comparison/chains.py'}
RECIPES = ('one_time', 'manual_4stage', 'turbotrain_sum', 'turbotrain')
REFERENCE = 'manual_4stage'
LABELS = {'one_time': 'one-time joint training from scratch',
          'manual_4stage': 'manual 4-stage pipeline',
          'turbotrain_sum': 'TurboTrain pretraining (summed losses)',
          'turbotrain': 'TurboTrain pretraining + balancing'}
ARCHIVE = 'projects/TurboTrain/docs/experiments/records/paper_comparison'
# metric key → (column title, scale, digits); AP in %, distances in m, EPA as a fraction
METRICS = {'AP@0.5/vehicle': ('vehicle AP@0.5', 100, 1), 'AP@0.7/vehicle': ('vehicle AP@0.7', 100, 1),
           'mAP@0.5': ('mAP@0.5', 100, 1), 'mAP@0.7': ('mAP@0.7', 100, 1), 'ADE': ('ADE (m)', 1, 3),
           'FDE': ('FDE (m)', 1, 3), 'MR': ('MR', 1, 3), 'EPA': ('EPA', 1, 3)}
COSTS = {'epochs': ('cost (epochs)', 1, 2), 'wall_seconds': ('cost (s)', 1, 0)}
# (a, b): the table of paired differences a − b, the steps of the paper's ordering
PAIRS = (('manual_4stage', 'one_time'), ('turbotrain_sum', 'manual_4stage'), ('turbotrain', 'turbotrain_sum'),
         ('turbotrain', 'manual_4stage'))
CURVE_KEYS = ('AP@0.5/vehicle', 'EPA')
METRIC_PREFIX = 'v2xpnp/'


# ---------------------------------------------------------------------------------------------------- statistics
def t_quantile(p: float, df: int) -> float:
    """Student-t quantile ``t_{p, df}`` (``p`` in (0.5, 1)): bisection on the CDF, which is 1/2 plus Simpson's rule
    over the density from 0 (no scipy needed)."""
    log_norm = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)

    def density(t: float) -> float:
        return math.exp(log_norm - (df + 1) / 2 * math.log1p(t * t / df))

    def cdf(x: float, steps: int = 2000) -> float:
        h = x / steps
        inner = sum((4 if k % 2 else 2) * density(k * h) for k in range(1, steps))
        return 0.5 + h / 3 * (density(0.0) + inner + density(x))

    low, high = 0.0, 1.0
    while cdf(high) < p:
        high *= 2
    for _ in range(60):
        mid = (low + high) / 2
        low, high = (mid, high) if cdf(mid) < p else (low, mid)
    return (low + high) / 2


def mean_sd(values: Sequence[float]) -> Tuple[float, float]:
    """Mean and sample standard deviation (nan for fewer than 2 values)."""
    mean = sum(values) / len(values)
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1)) if len(values) > 1 else float('nan')
    return mean, sd


def t_interval(values: Sequence[float], level: float = 0.95) -> Tuple[float, float, float]:
    """Mean and two-sided ``level`` t-interval ``(mean, low, high)`` of paired differences (nan bounds for n < 2)."""
    mean, sd = mean_sd(values)
    if len(values) < 2:
        return mean, float('nan'), float('nan')
    half = t_quantile(0.5 + level / 2, len(values) - 1) * sd / math.sqrt(len(values))
    return mean, mean - half, mean + half


def _fmt(value: float, digits: int) -> str:
    if value is None or value != value:
        return 'n/a'
    text = f'{value:.{digits}f}'
    return text[1:] if text.startswith('-') and float(text) == 0 else text


def _mean_sd_cell(values: Sequence[float], digits: int) -> str:
    """``mean ± sample sd`` (the mean alone for one value)."""
    mean, sd = mean_sd(values)
    return _fmt(mean, digits) + ('' if len(values) < 2 else f' ± {_fmt(sd, digits)}')


def _interval_cell(n: int, mean: float, low: float, high: float, digits: int) -> str:
    """``mean [low, high]`` (the mean alone for one value, which has no interval)."""
    return _fmt(mean, digits) + ('' if n < 2 else f' [{_fmt(low, digits)}, {_fmt(high, digits)}]')


# ---------------------------------------------------------------------------------------------------- records
def strip_prefix(metrics: Dict[str, float]) -> Dict[str, float]:
    return {(k[len(METRIC_PREFIX):] if k.startswith(METRIC_PREFIX) else k): v for k, v in metrics.items()}


def make_record(recipe: str, seed: int, cost: dict, test_metrics: Dict[str, float], info: dict) -> dict:
    """The small archived record of one (seed, recipe) run: total cost, per-stage cost, the validation curve
    (cumulative cost and the :data:`METRICS` at every validation) and the held-out test metrics."""
    curve = []
    for entry in cost.get('validations', []):
        metrics = strip_prefix(entry.get('metrics', {}))
        kept = {k: metrics[k] for k in METRICS if k in metrics}
        if kept:
            curve.append(dict(stage=entry['stage'], epoch=entry['epoch'], total=entry['total'], metrics=kept))
    stages = [dict(stage=osp.basename(osp.normpath(s['work_dir'])), run=s['run']) for s in cost.get('stages', [])]
    return dict(recipe=recipe, seed=seed, total=cost['total'], cost_complete=not cost['previous'].get('unknown'),
                stages=stages, curve=curve, test={k: test_metrics.get(k) for k in METRICS}, **info)


def load_records(folder: str) -> Dict[str, Dict[int, dict]]:
    """``{recipe: {seed: record}}`` from the ``*.json`` records in ``folder``."""
    records: Dict[str, Dict[int, dict]] = {}
    for path in sorted(glob.glob(osp.join(folder, '*.json'))):
        with open(path) as f:
            record = json.load(f)
        if 'recipe' in record and 'seed' in record:
            records.setdefault(record['recipe'], {})[int(record['seed'])] = record
    return records


# ---------------------------------------------------------------------------------------------------- report
def results_table(records: Dict[str, Dict[int, dict]]) -> str:
    """Held-out metrics and total training cost per recipe, mean ± sample sd over the seeds."""
    columns = list(METRICS.items()) + list(COSTS.items())
    lines = ['| recipe | seeds | ' + ' | '.join(title for _, (title, _, _) in columns) + ' |',
             '|---|---|' + '---|' * len(columns)]
    for recipe in RECIPES:
        runs = records.get(recipe, {})
        if not runs:
            continue
        cells = []
        for key, (_, scale, digits) in columns:
            source = [run['total'].get(key) if key in COSTS else run['test'].get(key) for run in runs.values()]
            values = [v * scale for v in source if v is not None and v == v]
            if not values:
                cells.append('n/a')
                continue
            cells.append(_mean_sd_cell(values, digits))
        lines.append(f'| {LABELS.get(recipe, recipe)} | {len(runs)} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def paired_rows(records: Dict[str, Dict[int, dict]], a: str, b: str) -> Dict[str, Tuple[int, float, float, float]]:
    """``{key: (n, mean, low, high)}``: per-seed differences ``a − b`` (seeds both ran), 95 % t-interval."""
    seeds = sorted(set(records.get(a, {})) & set(records.get(b, {})))
    rows = {}
    for key, (_, scale, _) in list(METRICS.items()) + list(COSTS.items()):
        diffs = []
        for seed in seeds:
            source = 'total' if key in COSTS else 'test'
            x, y = records[a][seed][source].get(key), records[b][seed][source].get(key)
            if x is not None and y is not None and x == x and y == y:
                diffs.append((x - y) * scale)
        if diffs:
            rows[key] = (len(diffs),) + t_interval(diffs)
    return rows


def paired_table(records: Dict[str, Dict[int, dict]]) -> str:
    keys = ['AP@0.5/vehicle', 'mAP@0.5', 'ADE', 'FDE', 'EPA', 'epochs']
    titles = [(METRICS.get(k) or COSTS[k])[0] for k in keys]
    lines = ['| difference (same seed) | seeds | ' + ' | '.join(f'Δ {t}' for t in titles) + ' |',
             '|---|---|' + '---|' * len(keys)]
    for a, b in PAIRS:
        rows = paired_rows(records, a, b)
        if not rows:
            continue
        cells = []
        for key in keys:
            if key not in rows:
                cells.append('n/a')
                continue
            cells.append(_interval_cell(*rows[key], (METRICS.get(key) or COSTS[key])[2]))
        n = max(r[0] for r in rows.values())
        lines.append(f'| {LABELS[a]} − {LABELS[b]} | {n} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def point_value(point: dict, key: str) -> Optional[float]:
    """The metric ``key`` of one validation point, None where it is missing or NaN (e.g. EPA of a detection-only
    stage)."""
    value = point['metrics'].get(key)
    return None if value is None or value != value else value


def first_reach(curve: List[dict], key: str, target: float, cost_key: str) -> Optional[float]:
    """Cumulative cost of the first validation whose ``key`` is at least ``target`` (None: never)."""
    for point in curve:
        value = point_value(point, key)
        if value is not None and value >= target:
            return point['total'][cost_key]
    return None


def final_value(curve: List[dict], key: str) -> Optional[float]:
    """The metric at the last validation that has it."""
    values = [v for v in (point_value(p, key) for p in curve) if v is not None]
    return values[-1] if values else None


def reach_table(records: Dict[str, Dict[int, dict]], cost_key: str = 'epochs') -> str:
    """For each TurboTrain recipe and seed: the cost at which its validation curve first reaches the manual
    pipeline's final validation value (same seed), as a fraction of the manual pipeline's total cost."""
    lines = [f'| recipe | metric | manual final (val) | cost to reach it ({cost_key}) | fraction of the manual '
             'cost | seeds reached |', '|---|---|---|---|---|---|']
    manual = records.get(REFERENCE, {})
    for recipe in ('turbotrain_sum', 'turbotrain'):
        runs = records.get(recipe, {})
        for key in CURVE_KEYS:
            title, scale, digits = METRICS[key]
            targets, costs, fractions, reached, seeds = [], [], [], 0, 0
            for seed, run in sorted(runs.items()):
                if seed not in manual:
                    continue
                target = final_value(manual[seed]['curve'], key)
                if target is None:
                    continue
                seeds += 1
                targets.append(target * scale)
                cost = first_reach(run['curve'], key, target, cost_key)
                if cost is not None:
                    reached += 1
                    costs.append(cost)
                    fractions.append(cost / manual[seed]['total'][cost_key])
            if not seeds:
                continue

            def cell(values, d):
                return _mean_sd_cell(values, d) if values else 'not reached'
            lines.append(f'| {LABELS[recipe]} | {title} | {cell(targets, digits)} | {cell(costs, 2)} | '
                         f'{cell(fractions, 2)} | {reached} of {seeds} |')
    return '\n'.join(lines)


def value_at_cost(curve: List[dict], key: str, cost: float, cost_key: str) -> Optional[float]:
    """The metric at the last validation whose cumulative cost is at most ``cost`` (None: no such validation)."""
    reached = (p for p in curve if p['total'][cost_key] <= cost + 1e-6 * max(1.0, abs(cost)))
    values = [v for v in (point_value(p, key) for p in reached) if v is not None]
    return values[-1] if values else None


def equal_cost_table(records: Dict[str, Dict[int, dict]], cost_key: str = 'epochs', at: str = 'turbotrain') -> str:
    """Validation metrics of every recipe at the cost ``at``'s recipe stops (per seed: its total cost), mean ± sd,
    and ``at`` minus each other recipe, paired by seed with 95 % t-intervals: who is ahead for the same spend."""
    budgets = {seed: run['total'][cost_key] for seed, run in sorted(records.get(at, {}).items())}
    if not budgets:
        return f'(no {at} records)'
    values: Dict[str, Dict[str, Dict[int, float]]] = {}
    for recipe in RECIPES:
        for seed, budget in budgets.items():
            run = records.get(recipe, {}).get(seed)
            for key in CURVE_KEYS:
                value = None if run is None else value_at_cost(run['curve'], key, budget, cost_key)
                if value is not None:
                    values.setdefault(recipe, {}).setdefault(key, {})[seed] = value * METRICS[key][1]
    titles = [f'val {METRICS[key][0]}' for key in CURVE_KEYS]
    lines = ['| recipe | seeds | ' + ' | '.join(titles) + ' |', '|---|---|' + '---|' * len(CURVE_KEYS)]
    for recipe, per_key in values.items():
        cells = []
        for key in CURVE_KEYS:
            seeds = per_key.get(key, {})
            if not seeds:
                cells.append('n/a')
                continue
            cells.append(_mean_sd_cell(list(seeds.values()), METRICS[key][2]))
        n = max(len(seeds) for seeds in per_key.values())
        lines.append(f'| {LABELS[recipe]} | {n} | ' + ' | '.join(cells) + ' |')
    for other in RECIPES:
        if other == at or other not in values or at not in values:
            continue
        cells, n = [], 0
        for key in CURVE_KEYS:
            mine, theirs = values[at].get(key, {}), values[other].get(key, {})
            diffs = [mine[seed] - theirs[seed] for seed in sorted(set(mine) & set(theirs))]
            n = max(n, len(diffs))
            if not diffs:
                cells.append('n/a')
                continue
            cells.append(_interval_cell(len(diffs), *t_interval(diffs), METRICS[key][2]))
        lines.append(f'| {LABELS[at]} − {LABELS[other]} (same seed) | {n} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def stage_table(records: Dict[str, Dict[int, dict]]) -> str:
    """Epochs each stage of each recipe trained (mean over seeds): the manual stages stop early on validation."""
    lines = ['| recipe | stage | epochs trained (per seed) |', '|---|---|---|']
    for recipe in RECIPES:
        runs = records.get(recipe, {})
        names = []
        for run in runs.values():
            names += [s['stage'] for s in run['stages'] if s['stage'] not in names]
        for name in names:
            per_seed = [f"{s['run']['epochs']:.2f}" for _, run in sorted(runs.items()) for s in run['stages']
                        if s['stage'] == name]
            lines.append(f'| {LABELS.get(recipe, recipe)} | {name} | {", ".join(per_seed)} |')
    return '\n'.join(lines)


def plot_curves(records: Dict[str, Dict[int, dict]], path: str, cost_key: str = 'epochs') -> str:
    """PNG: validation vehicle AP@0.5 (%) and EPA against cumulative training cost, one colour per recipe (thin:
    each seed; thick: the mean over the seeds at the costs they share)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    colours = dict(zip(RECIPES, ('tab:gray', 'tab:orange', 'tab:blue', 'tab:green')))
    for ax, key in zip(axes, CURVE_KEYS):
        title, scale, _ = METRICS[key]
        for recipe in RECIPES:
            runs = records.get(recipe, {})
            grouped: Dict[float, List[float]] = {}
            for seed, run in sorted(runs.items()):
                points = [(p['total'][cost_key], point_value(p, key) * scale) for p in run['curve']
                          if point_value(p, key) is not None]
                if not points:
                    continue
                ax.plot(*zip(*points), color=colours.get(recipe), alpha=0.3, linewidth=0.8)
                for x, y in points:
                    grouped.setdefault(round(x, 2), []).append(y)
            if grouped:
                xs = sorted(grouped)
                seeds = f"{len(runs)} seed{'s' if len(runs) > 1 else ''}"
                ax.plot(xs, [sum(grouped[x]) / len(grouped[x]) for x in xs], marker='o', markersize=3,
                        color=colours.get(recipe), label=f'{LABELS.get(recipe, recipe)} ({seeds})')
        ax.set_xlabel('cumulative training cost (' + ('epochs' if cost_key == 'epochs' else 'wall seconds') + ')')
        ax.set_ylabel(f'validation {title}' + (' (%)' if scale == 100 else ''))
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7, loc='lower right')
    fig.suptitle('TurboTrain vs manual 4-stage vs one-time training: validation metric against training cost')
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def report(records: Dict[str, Dict[int, dict]], cost_key: str = 'epochs') -> str:
    seeds = sorted({seed for runs in records.values() for seed in runs})
    some = next((run for runs in records.values() for run in runs.values()), {})
    incomplete = sorted(f'{r}/seed{s}' for r, runs in records.items() for s, run in runs.items()
                        if not run.get('cost_complete', True))
    text = [f"Paper comparison ({some.get('size', '?')} configs), seeds {', '.join(map(str, seeds))}; trained on "
            f"{some.get('data_root', '?')} (generator seed {some.get('data_seed', '?')}), tested on the test split of "
            f"{some.get('heldout_root', '?')} (generator seed {some.get('heldout_seed', '?')}). AP in %, mean ± sample "
            'sd over the seeds; cost = cumulative training cost of the whole recipe (pretraining and earlier stages '
            'included; epochs = passes over the training split, wall seconds exclude validation).', '',
            results_table(records), '',
            'Paired differences (same seed), mean [95 % t-interval]:', '', paired_table(records), '',
            f'Cost at which each TurboTrain recipe first reaches the manual pipeline\'s final validation value '
            f'(validation split of the training data, same seed; {cost_key}):', '', reach_table(records, cost_key), '',
            f'Validation metrics at equal cost: each recipe at the {cost_key} where {LABELS["turbotrain"]} stops '
            '(its last validation at or before that cost; same seed), and the differences from it, mean [95 % '
            't-interval]:', '', equal_cost_table(records, cost_key), '',
            'Epochs trained per stage:', '', stage_table(records)]
    if incomplete:
        text += ['', f'Warning: cost records without their start run\'s cost (under-counted): {", ".join(incomplete)}']
    return '\n'.join(text)


# ---------------------------------------------------------------------------------------------------- running
def data_options(data_root: str) -> List[str]:
    """``--cfg-options`` moving every dataloader (and the config's ``data_root`` variable) to ``data_root``."""
    loaders = ('train_dataloader', 'val_dataloader', 'test_dataloader')
    return [f'data_root={data_root}'] + [f'{loader}.dataset.data_root={data_root}' for loader in loaders]


def generator_seed(data_root: str) -> Optional[int]:
    """The synthetic generator's seed of a data root (its ``synthetic_summary.json``), None if unknown."""
    path = osp.join(data_root, 'synthetic_summary.json')
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return json.load(f).get('seed')


def test_final(stages: List[dict], seed_dir: str, heldout_root: str, options: List[str],
               log_name: str = 'test_heldout.log') -> Dict[str, float]:
    """tools/test.py on the recipe's final checkpoint, test split of ``heldout_root``; cached in
    ``<final stage>/heldout_metrics.json``."""
    final = stages[-1]
    folder = train_chain.stage_dir(seed_dir, final)
    cached = osp.join(folder, 'heldout_metrics.json')
    if osp.isfile(cached):
        with open(cached) as f:
            return json.load(f)['metrics']
    with open(osp.join(folder, train_chain.DONE_FILE)) as f:
        done = json.load(f)
    test_dir = osp.join(folder, 'test_heldout')
    start_options = [o for o in done['options'] if o.startswith(final['start_key'] + '=')]
    cmd = [sys.executable, osp.join('tools', 'test.py'), final['config'], done['output'], '--work-dir', test_dir,
           '--cfg-options'] + options + [f'test_dataloader.dataset.data_root={heldout_root}'] + start_options
    with open(osp.join(folder, log_name), 'w') as log:
        code = subprocess.run(cmd, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT).returncode
    if code != 0:
        raise train_chain.ChainError(f'testing {done["output"]} failed (exit {code}); log: '
                                     f'{osp.join(folder, log_name)}')
    [metrics_file] = sorted(glob.glob(osp.join(test_dir, '*', 'v2xpnp_metrics.json')))[-1:]
    with open(metrics_file) as f:
        metrics = json.load(f)['metrics']
    with open(cached, 'w') as f:
        json.dump(dict(checkpoint=done['output'], heldout_root=heldout_root, metrics=metrics), f, indent=1)
    return metrics


def run_study(args) -> Dict[str, Dict[int, dict]]:
    chain_file = osp.join(REPO_ROOT, args.chains) if not osp.isabs(args.chains) else args.chains
    recipes = {name: train_chain.load_stages(chain_file, name) for name in args.recipes}
    info = dict(size=args.size, data_root=args.data_root, heldout_root=args.heldout_root,
                data_seed=generator_seed(args.data_root), heldout_seed=generator_seed(args.heldout_root),
                chains=args.chains, options=args.cfg_options)
    records_dir = osp.join(args.work_root, 'records')
    os.makedirs(records_dir, exist_ok=True)
    for seed in args.seeds:
        seed_dir = osp.join(args.work_root, f'seed{seed}')
        options = data_options(args.data_root) + [f'randomness.seed={seed}'] + args.cfg_options
        for name, stages in recipes.items():
            print(f'[paper_comparison] seed {seed}, recipe {name}: {len(stages)} stage(s)', flush=True)
            train_chain.run_chain(stages, seed_dir, args.nproc, options, log_name='train.log',
                                  echo=lambda line: print(line, flush=True))
            metrics = test_final(stages, seed_dir, args.heldout_root, args.cfg_options)
            cost = train_chain_cost(seed_dir, stages[-1])
            record = make_record(name, seed, cost, metrics, info)
            with open(osp.join(records_dir, f'seed{seed}_{name}.json'), 'w') as f:
                json.dump(record, f, indent=1)
    return load_records(records_dir)


def train_chain_cost(seed_dir: str, final_stage: dict) -> dict:
    """The final stage's ``cost.json`` (the whole recipe's cumulative cost and validation curve)."""
    from projects.TurboTrain.turbotrain.engine.hooks.training_cost_hook import read_cost_record
    return read_cost_record(train_chain.stage_dir(seed_dir, final_stage))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--size', choices=sorted(CHAINS), default='demo', help='demo (CPU) or full-size configs')
    parser.add_argument('--chains', help='chain file with the recipes (default: the --size one)')
    parser.add_argument('--recipes', nargs='+', choices=RECIPES, default=list(RECIPES))
    parser.add_argument('--data-root', default='data/v2xpnp_synth/', help='training data (train and val splits)')
    parser.add_argument('--heldout-root', help='held-out scenarios (their test split), another generator seed')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--work-root', default='work_dirs/paper_comparison')
    parser.add_argument('--nproc', type=int, default=1, help='processes per training run (tools/dist_train.sh)')
    parser.add_argument('--cfg-options', nargs='+', default=[], metavar='KEY=VALUE',
                        help='overrides for every training and test run (e.g. tiny smoke-test settings)')
    parser.add_argument('--cost-axis', choices=('epochs', 'wall_seconds'), default='epochs',
                        help='cost unit of the plot and of the reach table')
    parser.add_argument('--out', help='where the table (.md) and plot (.png) go (default: --work-root)')
    parser.add_argument('--plot', help='plot path (default: <out>/paper_comparison.png)')
    parser.add_argument('--archive', action='store_true', help=f'copy the records to {ARCHIVE}/')
    parser.add_argument('--report-only', action='store_true', help='train nothing: report the records')
    parser.add_argument('--records', help=f'records folder for --report-only (default {ARCHIVE})')
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.chains = args.chains or CHAINS[args.size]
    if args.report_only:
        folder = args.records or osp.join(REPO_ROOT, ARCHIVE)
        records = load_records(folder)
        if not records:
            parser.error(f'--report-only: no records in {folder}')
        out = args.out or folder
        if out == osp.join(REPO_ROOT, ARCHIVE) or osp.abspath(out) == osp.abspath(osp.join(REPO_ROOT, ARCHIVE)):
            out = 'work_dirs/paper_comparison_report'  # the archive holds small JSON only
    else:
        if not args.heldout_root:
            parser.error('--heldout-root is required (held-out scenarios from another generator seed)')
        for root, what in ((args.data_root, 'training'), (args.heldout_root, 'held-out')):
            split = 'train' if what == 'training' else 'test'
            if not osp.isfile(osp.join(root, f'v2xpnp_infos_{split}.pkl')):
                parser.error(f'no v2xpnp_infos_{split}.pkl in the {what} data root {root}: generate and convert it '
                             f'first (see the study page)')
        if osp.abspath(args.data_root) == osp.abspath(args.heldout_root):
            parser.error('--heldout-root must differ from --data-root')
        seeds = generator_seed(args.data_root), generator_seed(args.heldout_root)
        if seeds[0] is not None and seeds[0] == seeds[1]:
            parser.error(f'{args.heldout_root} was generated with the training data\'s generator seed {seeds[0]}; '
                         'held-out scenarios need another seed')
        if args.nproc < 1:
            parser.error('--nproc must be a positive integer')
        try:
            records = run_study(args)
        except train_chain.ChainError as error:
            print(f'error: {error}', file=sys.stderr)
            return 2
        if args.archive:
            archive = osp.join(REPO_ROOT, ARCHIVE)
            os.makedirs(archive, exist_ok=True)
            for recipe, runs in records.items():
                for seed, record in runs.items():
                    with open(osp.join(archive, f'seed{seed}_{recipe}.json'), 'w') as f:
                        json.dump(record, f, indent=1)
        out = args.out or args.work_root
    text = report(records, args.cost_axis)
    plot = plot_curves(records, args.plot or osp.join(out, 'paper_comparison.png'), args.cost_axis)
    os.makedirs(out, exist_ok=True)
    with open(osp.join(out, 'paper_comparison.md'), 'w') as f:
        f.write(text + f'\n\n![validation metrics against training cost]({osp.basename(plot)})\n')
    print(text)
    print(f'\nplot: {plot}\ntable: {osp.join(out, "paper_comparison.md")}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
