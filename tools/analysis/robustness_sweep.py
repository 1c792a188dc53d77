"""Robustness sweep of one checkpoint: the test split under cooperator pose noise and under latency.

Each setting is one test pass through mmengine's Runner with the same options ``tools/test.py`` has
(``--pose-noise σ σ`` = x/y std σ metres and yaw std σ degrees, ``CoopPoseNoise`` seeded per sample;
``--latency k`` = the cooperators' data k frames of 100 ms old, ``cooperator_delay``). The noise sweep runs at
latency 0, the latency sweep without noise; the clean setting (0, 0) is run once and is the reference of both.
Printed: a table of mAP@0.5, mAP@0.7, EPA and the communication volume per setting, with the paired difference to
clean and its 95 % interval from a moving-block bootstrap over the test samples (blocks of ``--block`` consecutive
samples, the same resampled blocks for both settings; samples of a scenario are correlated in time, hence blocks).
Written: ``summary.json`` (figures, differences, intervals, settings) and a PNG plot (``--plot``).
``--transmit-dtypes float16`` adds clean settings where the cooperators transmit at that dtype (the trunk's
compressor's dtype, or a parameter-free cast): AP against bandwidth without retraining.

    python tools/analysis/robustness_sweep.py CONFIG CHECKPOINT --noise 0 0.2 0.4 0.6 --latency 0 1 2 3 \\
        --work-dir work_dirs/robustness --out-dir work_dirs/robustness [--cfg-options k=v ...]
"""
import argparse
import json
import os
import os.path as osp
import pickle
import sys
from typing import Dict, List, Optional, Sequence

import numpy as np

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # tools/, for _cli
from _cli import apply_robustness, build_runner, fail, load_config, require_file  # noqa: E402

FIGURES = ('mAP@0.5', 'mAP@0.7', 'EPA')


def sweep_settings(noise: Sequence[float], latency: Sequence[int], transmit_dtypes: Sequence[str] = ()) -> List[dict]:
    """Clean first, then each noise level > 0 at latency 0, each latency > 0 without noise, and each transmitted
    dtype (clean otherwise)."""
    if any(v < 0 for v in noise) or any(k < 0 for k in latency):
        fail('--noise and --latency values must be >= 0')
    settings = [dict(name='clean', noise=0.0, latency=0, transmit_dtype=None)]
    settings += [dict(name=f'noise_{v:g}', noise=float(v), latency=0, transmit_dtype=None)
                 for v in sorted(set(noise)) if v > 0]
    settings += [dict(name=f'latency_{k}', noise=0.0, latency=int(k), transmit_dtype=None)
                 for k in sorted(set(latency)) if k > 0]
    settings += [dict(name=f'transmit_{d}', noise=0.0, latency=0, transmit_dtype=d) for d in transmit_dtypes]
    return settings


def set_transmit_dtype(cfg, dtype: str) -> None:
    """Cooperators transmit at ``dtype``: the trunk's compressor's dtype, or a parameter-free cast (ratio 1)."""
    trunk = cfg.model.trunk
    if trunk.get('compressor'):
        trunk.compressor.transmit_dtype = dtype
    else:
        trunk.compressor = dict(type='ChannelCompressor', ratio=1, transmit_dtype=dtype)


def run_setting(config: str, checkpoint: str, setting: dict, work_dir: str, noise_seed: int = 0,
                cfg_options: Optional[dict] = None) -> dict:
    """One test pass; returns the metrics (without the ``v2xpnp/`` prefix) and where the per-sample results are."""
    cfg = load_config(config, cfg_options)
    setting_dir = osp.join(work_dir, setting['name'])
    cfg.work_dir = setting_dir
    cfg.load_from = checkpoint
    cfg.resume = False
    cfg.experiment_name = f'robustness_{setting["name"]}'
    noise = (setting['noise'], setting['noise']) if setting['noise'] > 0 else None
    apply_robustness(cfg, noise, noise_seed, setting['latency'] if setting['latency'] > 0 else None)
    if setting.get('transmit_dtype'):
        set_transmit_dtype(cfg, setting['transmit_dtype'])
    results_file = osp.join(setting_dir, 'results.pkl')
    evaluator = cfg.test_evaluator
    if isinstance(evaluator, (list, tuple)) or evaluator.get('type') != 'V2XPnPMetric':
        fail(f'{config}: test_evaluator must be one V2XPnPMetric for the sweep')
    evaluator.update(results_file=results_file, json_file=osp.join(setting_dir, 'v2xpnp_metrics.json'))
    runner = build_runner(cfg, 'none')
    metrics = runner.test()
    prefix = 'v2xpnp/'
    return dict(metrics={k[len(prefix):] if k.startswith(prefix) else k: float(v) for k, v in metrics.items()},
                results_file=results_file)


def load_results(path: str) -> dict:
    with open(path, 'rb') as handle:
        return pickle.load(handle)


def paired_bootstrap(reference: List[dict], other: List[dict], metric, rounds: int = 1000, block: int = 10,
                     seed: int = 0, keys: Sequence[str] = FIGURES) -> Dict[str, dict]:
    """Difference ``other − reference`` of each figure and its 95 % moving-block bootstrap interval.

    Args:
        reference, other: per-sample results (``V2XPnPMetric.process_sample`` outputs) of the same samples.
        metric: a ``V2XPnPMetric`` whose ``figures`` computes the figures of a results list.
        rounds: bootstrap resamples; block: consecutive samples (by ``sample_idx``) per block.

    Returns:
        ``{key: dict(diff, low, high)}``; nan where a figure is undefined.
    """
    reference = sorted(reference, key=lambda r: r['sample_idx'])
    other = sorted(other, key=lambda r: r['sample_idx'])
    if [r['sample_idx'] for r in reference] != [r['sample_idx'] for r in other]:
        raise ValueError('paired bootstrap needs the same samples in both settings')
    base = metric.figures(reference)[0]
    changed = metric.figures(other)[0]
    num = len(reference)
    starts = np.arange(0, num, max(1, block))
    rng = np.random.default_rng(seed)
    diffs = {key: [] for key in keys}
    for _ in range(rounds):
        chosen = rng.choice(starts, size=len(starts), replace=True)
        index = np.concatenate([np.arange(s, min(s + block, num)) for s in chosen])
        # resampled frames get fresh sample indices so the resample keeps its block order
        a = [dict(reference[i], sample_idx=j) for j, i in enumerate(index)]
        b = [dict(other[i], sample_idx=j) for j, i in enumerate(index)]
        fa, fb = metric.figures(a)[0], metric.figures(b)[0]
        for key in keys:
            diffs[key].append(fb[key] - fa[key])
    out = {}
    for key in keys:
        values = np.asarray(diffs[key], dtype=np.float64)
        values = values[np.isfinite(values)]
        low, high = (np.percentile(values, [2.5, 97.5]) if len(values) else (np.nan, np.nan))
        out[key] = dict(diff=float(changed[key] - base[key]), low=float(low), high=float(high))
    return out


def json_ready(value):
    """``value`` with every non-finite float as None (strict JSON)."""
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def format_table(rows: List[dict]) -> str:
    """Plain-text table of the sweep rows (figures, paired differences to clean with intervals, Mb/frame)."""
    header = (f'{"setting":12s} {"σ (m/°)":>8s} {"latency":>8s} {"mAP@0.5":>8s} {"mAP@0.7":>8s} {"EPA":>8s}  '
              f'{"ΔmAP@0.5 [95% CI]":>26s} {"ΔEPA [95% CI]":>26s} {"Mb/frame":>9s}')
    lines = [header, '-' * len(header)]
    for row in rows:
        m = row['metrics']

        def diff(key: str) -> str:
            d = row.get('paired', {}).get(key)
            return '' if d is None else f'{d["diff"]:+.4f} [{d["low"]:+.4f}, {d["high"]:+.4f}]'

        lines.append(f'{row["name"]:12s} {row["noise"]:8.2f} {row["latency"] * 100:6d}ms {m["mAP@0.5"]:8.4f} '
                     f'{m["mAP@0.7"]:8.4f} {m["EPA"]:8.4f}  {diff("mAP@0.5"):>26s} {diff("EPA"):>26s} '
                     f'{m.get("comm/Mb_per_frame", float("nan")):9.3f}')
    return '\n'.join(lines)


def plot(rows: List[dict], path: str, title: str = '') -> None:
    """Two panels: figures against pose noise σ, and against latency (ms); intervals as error bars."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    clean = rows[0]
    noise_rows = [clean] + [r for r in rows if r['noise'] > 0]  # transmit_* rows are in the table only
    latency_rows = [clean] + [r for r in rows if r['latency'] > 0]
    fig, axes = plt.subplots(1, 2, figsize=(8, 3), sharey=True)
    for axis, group, xs, label in ((axes[0], noise_rows, [r['noise'] for r in noise_rows],
                                    'pose noise σ (m for x, y; ° for yaw)'),
                                   (axes[1], latency_rows, [r['latency'] * 100 for r in latency_rows],
                                    'latency (ms)')):
        for key, marker in zip(FIGURES, 'osd'):
            ys = np.array([r['metrics'][key] for r in group])
            err = np.array([[0.0, 0.0]] + [[-r['paired'][key]['low'] + r['paired'][key]['diff'],
                                            r['paired'][key]['high'] - r['paired'][key]['diff']]
                                           if 'paired' in r else [0.0, 0.0] for r in group[1:]]).T
            axis.errorbar(xs, ys, yerr=np.clip(err, 0, None), marker=marker, capsize=3, label=key)
        axis.set_xlabel(label)
        axis.grid(alpha=0.3)
    axes[0].set_ylabel('figure (1 = perfect)')
    axes[0].legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    if osp.dirname(path):
        os.makedirs(osp.dirname(path), exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)


def parse_args(argv=None) -> argparse.Namespace:
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--noise', nargs='+', type=float, default=[0.0, 0.2, 0.4, 0.6],
                        help='pose-noise σ values: x/y std in m and yaw std in degrees')
    parser.add_argument('--latency', nargs='+', type=int, default=[0, 1, 2, 3], help='delays in 100 ms frames')
    parser.add_argument('--transmit-dtypes', nargs='*', default=[], choices=['float32', 'float16', 'bfloat16'],
                        help='extra clean settings with the cooperators transmitting at these dtypes')
    parser.add_argument('--noise-seed', type=int, default=0)
    parser.add_argument('--bootstrap', type=int, default=1000, help='bootstrap resamples (0: no intervals)')
    parser.add_argument('--block', type=int, default=10, help='consecutive samples per bootstrap block')
    parser.add_argument('--work-dir', default='work_dirs/robustness_sweep')
    parser.add_argument('--out-dir', default=None, help='where summary.json goes (default: --work-dir)')
    parser.add_argument('--plot', default=None, help='PNG path (default: OUT_DIR/robustness.png)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='config overrides, key=value')
    return parser.parse_args(argv)


def metric_arguments(settings: dict) -> dict:
    """The metric's constructor arguments from the ``settings`` it saved with its results: the per-class EPA
    thresholds it applied replace the threshold file they came from (the file need not exist any more)."""
    arguments = dict(settings)
    per_class = arguments.pop('epa_score_thr_per_class', None)
    if per_class is not None:
        arguments['epa_score_thr'] = per_class
        arguments.pop('epa_score_thr_file', None)
    return arguments


def main(argv=None) -> dict:
    args = parse_args(argv)
    require_file(args.checkpoint, 'checkpoint')
    require_file(args.config, 'config file')
    settings = sweep_settings(args.noise, args.latency, args.transmit_dtypes)
    out_dir = args.out_dir or args.work_dir
    rows = []
    for setting in settings:
        run = run_setting(args.config, args.checkpoint, setting, args.work_dir, args.noise_seed, args.cfg_options)
        rows.append(dict(setting, metrics=run['metrics'], results_file=run['results_file']))

    from projects.TurboTrain.turbotrain.evaluation import V2XPnPMetric
    saved = [load_results(row['results_file']) for row in rows]
    metric = V2XPnPMetric(classes=saved[0]['classes'], **metric_arguments(saved[0]['settings']))
    if args.bootstrap > 0:
        for row, result in zip(rows[1:], saved[1:]):
            row['paired'] = paired_bootstrap(saved[0]['results'], result['results'], metric, args.bootstrap,
                                             args.block)
    table = format_table(rows)
    print(table)
    summary = dict(config=args.config, checkpoint=args.checkpoint, noise_seed=args.noise_seed,
                   bootstrap=dict(rounds=args.bootstrap, block=args.block, interval='95% percentile'),
                   num_samples=len(saved[0]['results']),
                   rows=[{k: v for k, v in row.items() if k != 'results_file'} for row in rows])
    os.makedirs(out_dir, exist_ok=True)
    with open(osp.join(out_dir, 'summary.json'), 'w') as handle:
        json.dump(json_ready(summary), handle, indent=1)
    plot_path = args.plot or osp.join(out_dir, 'robustness.png')
    plot(rows, plot_path, title=f'{osp.basename(args.config)}, {osp.basename(args.checkpoint)}')
    print(f'written: {osp.join(out_dir, "summary.json")}, {plot_path}')
    return summary


if __name__ == '__main__':
    main()
