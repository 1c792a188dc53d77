"""Gradient-balancing strategies side by side: time per training iteration relative to ``sum`` (and, with
``--accuracy``, the validation metrics after the same training budget).

Timing: one model, one fixed set of pre-loaded batches (data loading is not timed), one ``BalancedOptimWrapper`` per
strategy. The strategies run round-robin, ``--round`` iterations each per round, so slow drifts of the machine hit
them alike; ``--round`` defaults to the TurboTrain ``interval`` so every round holds exactly one conflict-suppressing
update (with several intervals, ``NAME@N``, their least common multiple: a whole number of each). Reported: mean
and median ms per iteration over all rounds after the warm-up, and mean / mean(sum).

    # toy trunk + two heads (no config needed)
    python tools/benchmarks/benchmark_balancing.py --threads 2
    # on a CPU machine shared with other jobs: count each method's CPU time, not the time others held the cores
    python tools/benchmarks/benchmark_balancing.py --threads 1 --clock cpu
    # a real fine-tuning config: its model, its train dataloader, its optim_wrapper with `strategy` swapped
    python tools/benchmarks/benchmark_balancing.py projects/TurboTrain/configs/<finetune>.py --rounds 5 \
        [--data-root data/v2xpnp_synth10/]   # default: the config's own data_root
    # accuracy after the same budget (trains one run per strategy, then validates)
    python tools/benchmarks/benchmark_balancing.py CONFIG --accuracy --max-iters 2000
    # two TurboTrain intervals side by side (rounds of lcm(3, 10) = 30 iterations)
    python tools/benchmarks/benchmark_balancing.py CONFIG --methods sum turbotrain_loss_rate@3 turbotrain_loss_rate@10
    # torchjd's aggregators (torchjd:NAME), every update and on TurboTrain's schedule (NAME@N: strategy 'interval')
    python tools/benchmarks/benchmark_balancing.py CONFIG --methods sum torchjd:UPGrad torchjd:UPGrad@10 \
        torchjd:NashMTL torchjd:NashMTL@10 pcgrad pcgrad@10
"""
import argparse
import copy
import math
import os.path as osp
import statistics
import sys
import time
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.append(osp.dirname(osp.dirname(osp.abspath(__file__))))  # tools/ (last: shadows nothing), for _cli
import _cli  # noqa: E402,F401  (puts the repo root on sys.path)

DEFAULT_METHODS = ('sum', 'pcgrad', 'imtl_g', 'famo', 'turbotrain', 'turbotrain_loss_rate')
# the benchmark's TurboTrain variants: their strategy configs, less the interval
TURBOTRAIN_METHODS = {'turbotrain': dict(type='turbotrain'),
                      'turbotrain_loss_rate': dict(type='turbotrain', rebalance='loss_rate')}
# hand-written methods that combine the task gradients at every update: NAME@N runs them on TurboTrain's schedule
EVERY_UPDATE_METHODS = ('pcgrad', 'imtl_g')
# torchjd aggregators (``torchjd:NAME``): the arguments they need without a default
TORCHJD_PREFIX = 'torchjd:'
TORCHJD_ARGS = {'CAGrad': dict(c=0.4), 'FairGrad': dict(alpha=1.0)}


def split_interval(method: str, interval: int) -> Tuple[str, Optional[int]]:
    """``'NAME@N'`` → (NAME, N): a TurboTrain method with its own interval, or an every-update method (``pcgrad``,
    ``imtl_g``, ``torchjd:NAME``) on TurboTrain's schedule, so that several intervals run side by side in one
    benchmark; a plain TurboTrain name gets ``interval`` (``--interval``), any other plain name ``None``."""
    name, at, own = method.partition('@')
    if not at:
        return name, interval if name in TURBOTRAIN_METHODS else None
    if name not in TURBOTRAIN_METHODS and name not in EVERY_UPDATE_METHODS and not name.startswith(TORCHJD_PREFIX):
        takes = ', '.join([*TURBOTRAIN_METHODS, *EVERY_UPDATE_METHODS, TORCHJD_PREFIX + 'NAME'])
        raise ValueError(f'method {method!r}: only {takes} take an interval (@N)')
    if not own.isdigit() or int(own) < 1:
        raise ValueError(f'method {method!r}: the interval after @ must be a positive integer')
    return name, int(own)


def strategy_cfg(method: str, interval: int) -> dict:
    """The ``strategy`` config of ``method``: a registered strategy's name, ``turbotrain_loss_rate`` (TurboTrain
    re-balanced by the loss-decrease rates) or ``torchjd:NAME`` (a torchjd aggregator); TurboTrain with the
    requested interval, or its own (``NAME@N``); any other ``NAME@N`` is the method on TurboTrain's schedule
    (strategy ``interval``)."""
    name, own = split_interval(method, interval)
    if name in TURBOTRAIN_METHODS:
        return dict(TURBOTRAIN_METHODS[name], interval=own)
    if name.startswith(TORCHJD_PREFIX):
        aggregator = name[len(TORCHJD_PREFIX):]
        cfg = dict(type='torchjd', aggregator=aggregator, **TORCHJD_ARGS.get(aggregator, {}))
    else:
        cfg = dict(type=name)
    return cfg if own is None else dict(type='interval', interval=own, method=cfg)


def default_round(methods: Sequence[str], interval: int) -> int:
    """Iterations per method per round: the least common multiple of the intervals in ``methods`` (TurboTrain's and
    every ``NAME@N``: each round then holds a whole number of conflict-suppressing updates of each), ``interval``
    when there is none."""
    parsed = [split_interval(method, interval) for method in methods]
    intervals = [own for name, own in parsed if own is not None]
    return math.lcm(*intervals) if intervals else interval


# ------------------------------------------------------------------------------------------------------ toy model
def build_toy(batch_size: int, channels: int, size: int, device: torch.device):
    """A BEV-like conv trunk (shared) with a detection and a prediction head, and ``num`` fixed batches."""
    from mmengine.model import BaseModel

    class ToyBEVModel(BaseModel):

        def __init__(self) -> None:
            super().__init__()
            layers, in_ch = [], 4
            for _ in range(4):
                layers += [nn.Conv2d(in_ch, channels, 3, padding=1), nn.BatchNorm2d(channels), nn.ReLU()]
                in_ch = channels
            self.trunk = nn.Sequential(*layers)
            self.det_head = nn.Conv2d(channels, 8, 1)
            self.pred_head = nn.Sequential(nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU(),
                                           nn.Conv2d(channels, 12, 1))

        def forward(self, inputs, det_target, pred_target, mode='loss'):
            bev = self.trunk(inputs)
            return {'det.loss': F.mse_loss(self.det_head(bev), det_target),
                    'pred.loss': F.smooth_l1_loss(self.pred_head(bev), pred_target)}

        def parse_losses(self, losses):
            loss, log_vars = super().parse_losses(losses)
            loss.task_losses = OrderedDict(det=losses['det.loss'], pred=losses['pred.loss'])
            return loss, log_vars

    torch.manual_seed(0)
    model = ToyBEVModel().to(device)
    batches = []
    for _ in range(4):
        inputs = torch.randn(batch_size, 4, size, size, device=device)
        batches.append(dict(inputs=inputs, det_target=torch.randn(batch_size, 8, size, size, device=device),
                            pred_target=torch.randn(batch_size, 12, size, size, device=device)))
    return model, batches


def toy_wrappers(model: nn.Module, methods, interval: int) -> Dict[str, object]:
    from projects.TurboTrain.turbotrain.engine.optim_wrappers import BalancedOptimWrapper
    return {m: BalancedOptimWrapper(torch.optim.AdamW(model.parameters(), lr=1e-4),
                                    strategy=strategy_cfg(m, interval)) for m in methods}


# ---------------------------------------------------------------------------------------------------- config model
def load_benchmark_config(config: str, data_root: Optional[str] = None):
    """``config`` with every dataloader reading ``data_root`` (if given); exits with a one-line error naming the
    info file when the training split has not been converted there."""
    from _cli import fail, load_config
    cfg = load_config(config)
    if data_root is not None:
        cfg.data_root = data_root
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
            if cfg.get(loader) is not None:
                cfg[loader].dataset.data_root = data_root
    dataset = cfg.train_dataloader.dataset
    ann_file = osp.join(dataset.get('data_root') or '', dataset.ann_file)
    if not osp.isfile(ann_file):
        fail(f'{config}: training info file {ann_file} not found; convert the data first '
             f'(tools/create_data.py v2xpnp --root-path DIR --out-dir DIR) or pass --data-root DIR')
    return cfg


def build_from_config(config: str, methods, interval: int, num_batches: int, work_dir: str,
                      data_root: Optional[str] = None):
    """The config's model and ``num_batches`` train batches, and one optimizer wrapper per method."""
    from mmengine.runner import Runner
    cfg = load_benchmark_config(config, data_root)
    cfg.work_dir = work_dir
    cfg.launcher = 'none'
    runner = Runner.from_cfg(cfg)
    loader = runner.build_dataloader(cfg.train_dataloader)
    batches = []
    for batch in loader:
        batches.append(batch)
        if len(batches) == num_batches:
            break
    wrappers = {}
    for method in methods:
        wrapper_cfg = copy.deepcopy(cfg.optim_wrapper)
        if wrapper_cfg.get('type', 'OptimWrapper') != 'BalancedOptimWrapper':
            wrapper_cfg['type'] = 'BalancedOptimWrapper'
        wrapper_cfg['strategy'] = strategy_cfg(method, interval)
        wrappers[method] = runner.build_optim_wrapper(wrapper_cfg)
    return runner.model, batches, wrappers


# ---------------------------------------------------------------------------------------------------------- timing
def time_side_by_side(model: nn.Module, batches: List, wrappers: Dict[str, object], rounds: int, per_round: int,
                      warmup_rounds: int, device: torch.device, clock: str = 'wall') -> Dict[str, List[float]]:
    """Seconds per iteration for every method, round-robin (warm-up rounds discarded).

    ``clock='cpu'`` reads this process's CPU time (``time.process_time``, all its threads) instead of the wall clock:
    on a CPU machine shared with other jobs it counts the work each method does rather than the time other jobs
    held the cores (with ``--threads 1`` it is the single-core time). Not for CUDA runs (the GPU's time is not in
    it)."""
    timer = time.process_time if clock == 'cpu' else time.perf_counter
    model.train()
    times: Dict[str, List[float]] = {m: [] for m in wrappers}
    step = 0
    for round_index in range(warmup_rounds + rounds):
        for method, wrapper in wrappers.items():
            for _ in range(per_round):
                batch = batches[step % len(batches)]
                step += 1
                if device.type == 'cuda':
                    torch.cuda.synchronize(device)
                start = timer()
                model.train_step(batch, wrapper)
                if device.type == 'cuda':
                    torch.cuda.synchronize(device)
                if round_index >= warmup_rounds:
                    times[method].append(timer() - start)
    return times


def method_column_width(methods) -> int:
    """Width of the printed tables' method column: 12, or wider for long names (``turbotrain_loss_rate@10``)."""
    return max([12] + [len(method) + 2 for method in methods])


def report_timing(times: Dict[str, List[float]]) -> List[Tuple[str, float, float, float]]:
    reference = statistics.mean(times['sum']) if 'sum' in times else None
    rows = []
    width = method_column_width(times)
    print(f'{"method":<{width}}{"mean ms/it":>12}{"median ms/it":>14}{"× sum":>8}')
    for method, values in times.items():
        mean, median = statistics.mean(values), statistics.median(values)
        ratio = mean / reference if reference else float('nan')
        rows.append((method, mean * 1e3, median * 1e3, ratio))
        print(f'{method:<{width}}{mean * 1e3:>12.2f}{median * 1e3:>14.2f}{ratio:>8.3f}')
    return rows


# -------------------------------------------------------------------------------------------------------- accuracy
def accuracy_after_budget(config: str, methods, interval: int, max_iters: int, max_epochs: int,
                          work_dir: str, data_root: Optional[str] = None) -> None:
    """Train one run per method with the same budget, validate, print the metrics side by side.

    Needs a config with ``val_dataloader``/``val_evaluator``. Budget: ``max_epochs`` (if given) replaces the
    epoch count of the config's own train loop, keeping its schedule; otherwise ``train_cfg`` becomes an
    iteration-based loop of ``max_iters``.
    """
    from mmengine.runner import Runner
    results = {}
    for method in methods:
        cfg = load_benchmark_config(config, data_root)
        cfg.work_dir = osp.join(work_dir, method)
        cfg.launcher = 'none'
        cfg.optim_wrapper['type'] = 'BalancedOptimWrapper'
        cfg.optim_wrapper['strategy'] = strategy_cfg(method, interval)
        if max_epochs:
            cfg.train_cfg.update(max_epochs=max_epochs, val_interval=max_epochs)
        else:
            cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
        runner = Runner.from_cfg(cfg)
        runner.train()
        results[method] = runner.val_loop.run() if runner.val_loop is not None else {}
    keys = sorted({k for metrics in results.values() for k in metrics})
    width = method_column_width(results)
    print(f'{"method":<{width}}' + ''.join(f'{k[-14:]:>16}' for k in keys))
    for method, metrics in results.items():
        print(f'{method:<{width}}' + ''.join(f'{float(metrics.get(k, float("nan"))):>16.4f}' for k in keys))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Time (and compare) gradient-balancing strategies')
    parser.add_argument('config', nargs='?', help='fine-tuning config; without it a toy model is used')
    parser.add_argument('--methods', nargs='+', default=list(DEFAULT_METHODS),
                        help='strategies to compare (registered names, turbotrain_loss_rate, torchjd:NAME for a '
                             'torchjd aggregator); a TurboTrain method may carry its own interval, e.g. '
                             'turbotrain_loss_rate@3, and an every-update method runs on TurboTrain\'s schedule with '
                             'one, e.g. torchjd:NashMTL@10 or pcgrad@10')
    parser.add_argument('--interval', type=int, default=10, help='TurboTrain interval (plain turbotrain names)')
    parser.add_argument('--rounds', type=int, default=5, help='timed rounds')
    parser.add_argument('--warmup-rounds', type=int, default=1)
    parser.add_argument('--round', dest='per_round', type=int, default=None,
                        help='iterations per method per round (default: --interval, or the least common multiple '
                             'of the TurboTrain intervals when methods carry their own, NAME@N)')
    parser.add_argument('--num-batches', type=int, default=4, help='pre-loaded batches (config mode)')
    parser.add_argument('--toy-batch', type=int, default=4)
    parser.add_argument('--toy-channels', type=int, default=32)
    parser.add_argument('--toy-size', type=int, default=48, help='toy BEV grid side')
    parser.add_argument('--threads', type=int, default=None, help='torch CPU threads')
    parser.add_argument('--clock', choices=('wall', 'cpu'), default='wall',
                        help="'cpu': this process's CPU time instead of the wall clock (CPU runs on a shared machine)")
    parser.add_argument('--work-dir', default='./work_dirs/benchmark_balancing')
    parser.add_argument('--data-root', default=None,
                        help="converted dataset for the config's dataloaders (default: the config's data_root)")
    parser.add_argument('--accuracy', action='store_true', help='also train/validate each method (config mode)')
    parser.add_argument('--max-iters', type=int, default=1000, help='training budget per method for --accuracy')
    parser.add_argument('--max-epochs', type=int, default=None,
                        help='epoch budget per method for --accuracy (epoch-based configs; overrides --max-iters)')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    import projects.TurboTrain.turbotrain  # noqa: F401  (registers the wrapper and strategies)
    device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    try:  # parses every NAME@N, so a bad suffix is reported here also when --round is given
        lcm_round = default_round(args.methods, args.interval)
    except ValueError as error:
        sys.exit(f'error: --methods: {error}')
    per_round = args.per_round or lcm_round
    if 'sum' not in args.methods:
        args.methods = ['sum'] + list(args.methods)
    if args.config:
        model, batches, wrappers = build_from_config(args.config, args.methods, args.interval, args.num_batches,
                                                     args.work_dir, args.data_root)
        device = next(model.parameters()).device
    else:
        model, batches = build_toy(args.toy_batch, args.toy_channels, args.toy_size, device)
        wrappers = toy_wrappers(model, args.methods, args.interval)
    if args.clock == 'cpu' and device.type == 'cuda':
        sys.exit('error: --clock cpu does not count the GPU time; use the wall clock (default) on CUDA')
    print(f'device={device} threads={torch.get_num_threads()} rounds={args.rounds} × {per_round} it/method, '
          f'TurboTrain interval={args.interval}, clock={args.clock}')
    times = time_side_by_side(model, batches, wrappers, args.rounds, per_round, args.warmup_rounds, device,
                              args.clock)
    report_timing(times)
    if args.accuracy:
        if not args.config:
            sys.exit('error: --accuracy needs a config')
        accuracy_after_budget(args.config, args.methods, args.interval, args.max_iters, args.max_epochs,
                              args.work_dir, args.data_root)


if __name__ == '__main__':
    main()
