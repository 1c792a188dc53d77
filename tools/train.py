"""Train a TurboTrain (or any mmdet3d) config.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp] [--cfg-options k=v ...]
    tools/dist_train.sh CONFIG NPROC [same args]          # torchrun, gloo on CPU, nccl on CUDA
"""
import argparse
import inspect
import os.path as osp

import _cli  # noqa: F401  (puts the repo root on sys.path)
from _cli import add_runner_args, build_runner, fail, load_config, require_file, set_work_dir


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a TurboTrain model')
    parser.add_argument('config', help='train config file path')
    add_runner_args(parser)
    parser.add_argument('--amp', action='store_true', help='enable automatic mixed precision training')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the learning rate with the global batch (auto_scale_lr in the config)')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from CKPT; without a value, from the latest checkpoint in the work dir')
    return parser.parse_args()


def enable_amp(cfg) -> None:
    """Switch the config's optimizer wrapper to mixed precision.

    ``OptimWrapper`` becomes mmengine's ``AmpOptimWrapper``; a wrapper that takes ``use_amp`` (our balancing
    wrapper) gets ``use_amp=True`` instead of being refused.
    """
    from mmdet3d.registry import OPTIM_WRAPPERS
    from mmengine.optim import AmpOptimWrapper
    wrapper_type = cfg.optim_wrapper.get('type', 'OptimWrapper')
    wrapper_cls = OPTIM_WRAPPERS.get(wrapper_type) if isinstance(wrapper_type, str) else wrapper_type
    if wrapper_cls is None:
        fail(f'--amp: unknown optim_wrapper type {wrapper_type!r}')
    if issubclass(wrapper_cls, AmpOptimWrapper):
        print('AMP training is already enabled in the config.')
    elif 'use_amp' in inspect.signature(wrapper_cls.__init__).parameters:
        cfg.optim_wrapper.use_amp = True
    elif wrapper_type == 'OptimWrapper':
        import torch
        if not torch.cuda.is_available():
            fail("--amp: mmengine's AmpOptimWrapper needs a GPU; this machine has no CUDA device")
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    else:
        fail(f'--amp: optim_wrapper type {wrapper_type!r} supports neither AmpOptimWrapper nor use_amp')


def main() -> None:
    args = parse_args()
    cfg = load_config(args.config, args.cfg_options)
    set_work_dir(cfg, args.config, args.work_dir)
    if args.amp:
        enable_amp(cfg)
    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg or 'base_batch_size' not in cfg.auto_scale_lr:
            fail('--auto-scale-lr: the config has no auto_scale_lr.base_batch_size')
        cfg.auto_scale_lr.enable = True
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = require_file(args.resume, 'checkpoint to resume from')
    if cfg.get('load_from') and not cfg.get('resume') and not osp.isfile(cfg.load_from):
        fail(f'load_from checkpoint not found: {cfg.load_from}')

    runner = build_runner(cfg, args.launcher)
    runner.train()


if __name__ == '__main__':
    main()
