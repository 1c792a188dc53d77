"""Data-loading throughput of the default V2XPnP pipeline: samples/s with several worker counts, side by side.

    python tools/benchmarks/benchmark_dataloading.py [--config configs/_base_/datasets/v2xpnp_seq.py]
        [--data-root DIR] [--workers 0 2] [--batch-size 2] [--num-batches 20] [--split train]
        [--scenarios 2] [--frames 20] [--preset demo] [--lidar-format pcd]

Without ``--data-root`` a synthetic dataset is generated into a temporary folder (``generate_dataset``) and
converted first; the generation and conversion times are printed too. Each worker count gets a fresh DataLoader;
the first batch (worker start-up) is timed separately and excluded from samples/s.
"""
import argparse
import os.path as osp
import shutil
import sys
import tempfile
import time

sys.path.append(osp.dirname(osp.dirname(osp.abspath(__file__))))  # tools/ (last: shadows nothing), for _cli
import _cli  # noqa: E402  (puts the repo root on sys.path)

REPO_ROOT = _cli.REPO_ROOT


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Benchmark cooperative data loading')
    parser.add_argument('--config', default=osp.join(REPO_ROOT, 'configs/_base_/datasets/v2xpnp_seq.py'))
    parser.add_argument('--data-root', default=None, help='converted dataset (default: synthetic, temporary)')
    parser.add_argument('--split', default='train', choices=['train', 'val', 'test'])
    parser.add_argument('--workers', type=int, nargs='+', default=[0, 2])
    parser.add_argument('--batch-size', type=int, default=2)
    parser.add_argument('--num-batches', type=int, default=20, help='timed batches per worker count')
    parser.add_argument('--scenarios', type=int, default=3, help='synthetic scenarios (train gets >= 1)')
    parser.add_argument('--frames', type=int, default=20, help='synthetic frames per scenario')
    parser.add_argument('--preset', default='demo', help='synthetic generator preset')
    parser.add_argument('--lidar-format', default='pcd', choices=['pcd', 'bin'])
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args(argv)


def _count_points(inputs) -> int:
    if isinstance(inputs, dict):
        inputs = inputs['points']
    if isinstance(inputs, (list, tuple)):
        return sum(_count_points(item) for item in inputs)
    return int(inputs.shape[0])


def measure(dataset, num_workers: int, batch_size: int, num_batches: int) -> dict:
    """Time ``num_batches`` batches after a first (warm-up) batch; returns figures in a dict."""
    import torch
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import FUNCTIONS
    collate = FUNCTIONS.get('coop_collate') or pseudo_collate  # keeps per-sample point lists intact
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=batch_size, shuffle=True, num_workers=num_workers, collate_fn=collate,
        generator=torch.Generator().manual_seed(0), persistent_workers=False)
    start = time.perf_counter()
    iterator = iter(loader)
    next(iterator)
    first_batch = time.perf_counter() - start
    samples = points = 0
    start = time.perf_counter()
    for _ in range(num_batches):
        try:
            batch = next(iterator)
        except StopIteration:
            iterator = iter(loader)
            batch = next(iterator)
        samples += len(batch['data_samples'])
        points += _count_points(batch['inputs'])
    seconds = time.perf_counter() - start
    del iterator, loader
    return dict(workers=num_workers, first_batch_s=first_batch, samples=samples, seconds=seconds,
                samples_per_s=samples / seconds, points_per_sample=points / max(samples, 1))


def main(argv=None) -> int:
    args = parse_args(argv)
    import torch
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import projects.TurboTrain.turbotrain  # noqa: F401  (registers datasets and transforms)
    from mmdet3d.registry import DATASETS
    from projects.TurboTrain.turbotrain.datasets.converters import convert_v2xpnp

    torch.set_num_threads(1)
    temp_dir = None
    data_root = args.data_root
    if data_root is None:
        from projects.TurboTrain.turbotrain.datasets.synthetic import generate_dataset
        temp_dir = tempfile.mkdtemp(prefix='tt_bench_')
        data_root = temp_dir
        start = time.perf_counter()
        summary = generate_dataset(data_root, num_scenarios=args.scenarios, seed=args.seed,
                                   frames_per_scenario=args.frames, lidar_format=args.lidar_format,
                                   preset=args.preset)
        print(f'generated synthetic data ({args.preset}, {args.scenarios} scenarios x {args.frames} frames, '
              f'{summary["num_clouds"]} clouds, {summary["points_per_cloud"]["mean"]:.0f} points/cloud) in '
              f'{time.perf_counter() - start:.1f} s')
        start = time.perf_counter()
        report = convert_v2xpnp(data_root, workers=0, verbose=False)
        frames = sum(s['frames'] for s in report.splits.values())
        print(f'converted {frames} frames in {time.perf_counter() - start:.2f} s '
              f'({report.count("error")} errors, {report.count("warning")} warnings)')
    try:
        cfg = Config.fromfile(args.config)
        init_default_scope(cfg.get('default_scope', 'mmdet3d'))
        dataset_cfg = cfg[f'{args.split}_dataloader']['dataset']
        dataset_cfg['data_root'] = data_root
        dataset = DATASETS.build(dataset_cfg)
        print(f'{args.split}: {len(dataset)} samples, pipeline: '
              f'{" -> ".join(t["type"] for t in dataset_cfg["pipeline"])}')
        rows = [measure(dataset, w, args.batch_size, args.num_batches) for w in args.workers]
        print(f'\n{"workers":>8} {"samples/s":>10} {"first batch s":>14} {"timed samples":>14} '
              f'{"points/sample":>14}')
        for row in rows:
            print(f'{row["workers"]:>8} {row["samples_per_s"]:>10.1f} {row["first_batch_s"]:>14.2f} '
                  f'{row["samples"]:>14} {row["points_per_sample"]:>14.0f}')
    finally:
        if temp_dir:
            shutil.rmtree(temp_dir, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
