"""Backbones side by side: training iterations/s and peak memory of the full cooperative model per config.

    python tools/benchmarks/benchmark_backbones.py [--configs demo_finetune demo_finetune_spconv] [--full]
        [--device cpu|cuda] [--batch-size 2] [--iters 3] [--warmup 1] [--threads 2]
        [--data-root DIR | --preset demo|tiny --scenarios 3 --frames 8] [--markdown]

Each config (a name in projects/TurboTrain/configs/ or a path) is measured in a fresh subprocess, so the peak
memory of one does not hide another's: the model is built from the config, ``--batch-size`` real samples of the
config's training dataset (its pipeline, augmentation included, run once) are collated with ``coop_collate``,
and ``model.train_step`` with the config's optimizer wrapper (data preprocessing, forward, loss, backward,
optimizer step) is timed after ``--warmup`` untimed iterations on that batch.

Peak memory: on CPU the growth of the process' maximum resident set size (``resource.getrusage``) from just before
the first (warm-up) iteration to the end, i.e. what training adds on top of the built model and the loaded batch
(the absolute peak RSS is in the table too); on CUDA ``torch.cuda.max_memory_allocated`` over all iterations
(model, optimizer state and activations).
Wall-clock and process CPU seconds are both given: on a shared machine the wall clock also measures other jobs.
Without ``--data-root`` a small synthetic dataset is generated and converted into a temporary folder.
"""
import argparse
import json
import os
import os.path as osp
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Dict, List

sys.path.append(osp.dirname(osp.dirname(osp.abspath(__file__))))  # tools/ (last: shadows nothing), for _cli
import _cli  # noqa: E402  (puts the repo root on sys.path)

REPO_ROOT = _cli.REPO_ROOT
CONFIG_DIR = osp.join(REPO_ROOT, 'projects', 'TurboTrain', 'configs')
DEMO_CONFIGS = ['demo_finetune', 'demo_finetune_spconv']
FULL_CONFIGS = ['finetune', 'finetune_spconv']
RESULT_TAG = 'BENCHMARK_RESULT '


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Benchmark backbones (training it/s and peak memory)')
    parser.add_argument('--configs', nargs='+', default=None,
                        help=f'config names or paths (default: {" ".join(DEMO_CONFIGS)})')
    parser.add_argument('--full', action='store_true',
                        help=f'also the full-size configs ({" ".join(FULL_CONFIGS)}); slow on CPU')
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument('--batch-size', type=int, default=2)
    parser.add_argument('--iters', type=int, default=3, help='timed iterations')
    parser.add_argument('--warmup', type=int, default=1, help='untimed iterations first')
    parser.add_argument('--threads', type=int, default=2, help='torch intra-op threads')
    parser.add_argument('--data-root', default=None, help='converted dataset (default: synthetic, temporary)')
    parser.add_argument('--preset', default='demo', choices=['tiny', 'demo'], help='synthetic generator preset')
    parser.add_argument('--scenarios', type=int, default=3, help='synthetic scenarios (one per split)')
    parser.add_argument('--frames', type=int, default=8, help='synthetic frames per scenario')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--markdown', action='store_true', help='print the table as markdown')
    parser.add_argument('--json', default=None, help='also write the results to this JSON file')
    parser.add_argument('--worker', default=None, help=argparse.SUPPRESS)  # internal: measure one config
    return parser.parse_args(argv)


def config_path(name: str) -> str:
    path = name if name.endswith('.py') else osp.join(CONFIG_DIR, f'{name}.py')
    if not osp.isfile(path):
        raise SystemExit(f'error: config not found: {name}')
    return path


def max_rss_mib() -> float:
    """Maximum resident set size of this process so far (Linux reports KiB, macOS bytes)."""
    import resource
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 ** 2 if sys.platform == 'darwin' else peak / 1024


def describe_backbone(cfg) -> str:
    encoder = cfg.model.trunk.bev_encoder
    if encoder.type == 'VoxelBEVEncoder':
        voxel = encoder.voxel_layer.voxel_size
        return (f'{encoder.voxel_encoder.type}+{encoder.middle_encoder.type} '
                f'{voxel[0]:g}x{voxel[1]:g}x{voxel[2]:g} m')
    return f'{encoder.type} {encoder.voxel_size[0]:g} m'


def measure_config(args: argparse.Namespace) -> Dict[str, object]:
    """Worker: build, load one batch, time ``train_step``; returns the figures."""
    import torch
    torch.set_num_threads(args.threads)
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper

    import projects.TurboTrain.turbotrain  # noqa: F401  (registers the modules, applies the compat patches)
    from mmdet3d.registry import DATASETS, MODELS
    from mmdet3d.utils import register_all_modules
    from projects.TurboTrain.turbotrain.models.data_preprocessors import coop_collate
    register_all_modules(init_default_scope=True)

    device = torch.device(args.device)
    cfg = Config.fromfile(config_path(args.worker))
    cfg.model.pop('init_cfg', None)  # a pretrained-trunk checkpoint is irrelevant for speed
    dataset_cfg = cfg.train_dataloader.dataset
    dataset_cfg.data_root = args.data_root
    dataset = DATASETS.build(dataset_cfg)
    samples = [dataset[index % len(dataset)] for index in range(args.batch_size)]
    batch = coop_collate(samples)
    agent_frames = sum(len(sample['inputs']['points']) for sample in samples)
    points = sum(len(cloud) for sample in samples for cloud in sample['inputs']['points'])

    torch.manual_seed(0)
    model = MODELS.build(cfg.model).to(device)
    model.init_weights()
    model.train()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    num_params = sum(param.numel() for param in model.parameters())

    def sync():
        if device.type == 'cuda':
            torch.cuda.synchronize()

    sync()
    if device.type == 'cuda':
        torch.cuda.reset_peak_memory_stats(device)
    rss_before = max_rss_mib()
    for _ in range(args.warmup):
        model.train_step(batch, optim_wrapper)
    wall, cpu, losses = [], [], []
    for _ in range(args.iters):
        wall0, cpu0 = time.perf_counter(), time.process_time()
        log_vars = model.train_step(batch, optim_wrapper)
        sync()
        wall.append(time.perf_counter() - wall0)
        cpu.append(time.process_time() - cpu0)
        losses.append(float(log_vars['loss']))
    if device.type == 'cuda':
        peak_mib = torch.cuda.max_memory_allocated(device) / 1024 ** 2
        peak_kind = 'cuda max_memory_allocated'
    else:
        peak_mib = max_rss_mib() - rss_before
        peak_kind = 'max RSS growth'
    with torch.no_grad():
        model.eval()
        inputs = model.data_preprocessor(batch, False)['inputs']
        bev_shape = list(model.trunk(inputs)['bev'].shape)
    seconds = statistics.median(wall)
    return dict(config=args.worker, backbone=describe_backbone(cfg), device=str(device), threads=args.threads,
                batch_size=args.batch_size, agent_frames=agent_frames, points=points,
                params_m=num_params / 1e6, bev_shape=bev_shape, sec_per_iter=seconds, iters_per_sec=1 / seconds,
                cpu_sec_per_iter=statistics.median(cpu), peak_mib=peak_mib, peak_kind=peak_kind,
                peak_rss_mib=max_rss_mib(), losses=losses, iters=args.iters, warmup=args.warmup)


def run_worker(name: str, args: argparse.Namespace, data_root: str) -> Dict[str, object]:
    """Measure one config in a fresh Python process (own peak memory); returns its result dict."""
    cmd = [sys.executable, osp.abspath(__file__), '--worker', name, '--data-root', data_root,
           '--device', args.device, '--batch-size', str(args.batch_size), '--iters', str(args.iters),
           '--warmup', str(args.warmup), '--threads', str(args.threads)]
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    proc = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_TAG):
            return json.loads(line[len(RESULT_TAG):])
    raise SystemExit(f'error: measuring {name} failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}')


def prepare_data(args: argparse.Namespace) -> tuple:
    """The converted dataset to use: ``--data-root`` or a synthetic one in a temporary folder (to delete)."""
    if args.data_root:
        return args.data_root, None
    from projects.TurboTrain.turbotrain.datasets.converters.v2xpnp_converter import convert_v2xpnp
    from projects.TurboTrain.turbotrain.datasets.synthetic import generate_dataset
    tmp = tempfile.mkdtemp(prefix='tt_backbones_')
    start = time.perf_counter()
    summary = generate_dataset(tmp, num_scenarios=args.scenarios, seed=args.seed, frames_per_scenario=args.frames,
                               preset=args.preset, split_fractions=(1 / 3, 1 / 3, 1 / 3))
    convert_v2xpnp(tmp, verbose=False)
    print(f'synthetic data: preset={args.preset}, {args.scenarios} scenarios x {args.frames} frames, '
          f'{summary["points_per_cloud"]["mean"]:.0f} points per cloud, '
          f'{time.perf_counter() - start:.1f} s -> {tmp}')
    return tmp, tmp


def format_table(results: List[Dict[str, object]], markdown: bool) -> str:
    header = ['config', 'backbone', 'params (M)', 'BEV out', 's/iter (wall)', 'it/s', 's/iter (CPU)',
              'peak mem (MiB)', 'peak RSS (MiB)']
    rows = [[r['config'], r['backbone'], f"{r['params_m']:.2f}", 'x'.join(str(v) for v in r['bev_shape'][1:]),
             f"{r['sec_per_iter']:.2f}", f"{r['iters_per_sec']:.3f}", f"{r['cpu_sec_per_iter']:.2f}",
             f"{r['peak_mib']:.0f}", f"{r['peak_rss_mib']:.0f}"] for r in results]
    if markdown:
        lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
        lines += ['| ' + ' | '.join(row) + ' |' for row in rows]
        return '\n'.join(lines)
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    return '\n'.join('  '.join(str(cell).ljust(width) for cell, width in zip(row, widths))
                     for row in [header] + rows)


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.worker:
        print(RESULT_TAG + json.dumps(measure_config(args)))
        return
    if args.device == 'cuda':
        import torch
        if not torch.cuda.is_available():
            raise SystemExit('error: --device cuda but torch sees no CUDA device')
    names = list(args.configs or DEMO_CONFIGS) + (FULL_CONFIGS if args.full else [])
    for name in names:
        config_path(name)
    data_root, tmp = prepare_data(args)
    try:
        results = []
        for name in names:
            result = run_worker(name, args, data_root)
            results.append(result)
            print(f"{name}: {result['sec_per_iter']:.2f} s/iter, peak {result['peak_mib']:.0f} MiB "
                  f"({result['peak_kind']}), losses {[round(v, 3) for v in result['losses']]}", flush=True)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    first = results[0]
    print(f"\ndevice={args.device} threads={args.threads} batch={args.batch_size} "
          f"({first['agent_frames']} agent-frames, {first['points']} points) iters={args.iters} "
          f"(after {args.warmup} warm-up); peak memory = {first['peak_kind']}")
    print(format_table(results, args.markdown))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(results, f, indent=2)


if __name__ == '__main__':
    main()
