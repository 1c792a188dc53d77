#!/usr/bin/env python
"""Train a TurboTrain (or any mmdet3d) config.

    tools/train.py CONFIG [--work-dir DIR] [--data-root DIR] [--epochs N] [--resume [CKPT]] [--amp]
                          [--cfg-options k=v ...] [--check]
    tools/dist_train.sh CONFIG NPROC [same args]          # torchrun, gloo on CPU, nccl on CUDA

Everything the Runner will read (config, info files, checkpoints) is checked first; a problem ends in one
``error:`` line (rank 0 only under torchrun) and exit status 2. ``--check`` stops after those checks.
"""
import argparse
import inspect
import os.path as osp

import _cli  # noqa: F401  (first: puts the repo root on sys.path)
from _cli import (add_runner_args, build_runner, check_checkpoint, check_data, check_init_checkpoints, fail,
                  load_config, merge_cfg_options, set_data_root, set_epochs, set_work_dir)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a TurboTrain model')
    parser.add_argument('config', help='train config file path')
    add_runner_args(parser)
    parser.add_argument('--amp', action='store_true', help='enable automatic mixed precision training')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the learning rate with the global batch (auto_scale_lr in the config)')
    parser.add_argument('--epochs', type=int, default=None,
                        help='train for N epochs (sets train_cfg.max_epochs, the epoch-based schedule and '
                             'val_interval together)')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from CKPT; without a value, from the latest checkpoint in the work dir '
                             '(an error when there is none)')
    return parser.parse_args(argv)


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


def resolve_resume(cfg, resume: str) -> None:
    """``--resume`` → ``cfg.resume``/``cfg.load_from`` naming one existing, readable checkpoint.

    Without a value the work dir's ``last_checkpoint`` (mmengine's record of the latest save) is used; when there is
    none this is an error rather than mmengine's silent start from scratch."""
    if resume == 'auto':
        from mmengine.runner import find_latest_checkpoint
        latest = find_latest_checkpoint(cfg.work_dir) if osp.isdir(cfg.work_dir) else None
        if latest is None:
            fail(f'--resume: no checkpoint to resume from in {cfg.work_dir} (no last_checkpoint file); train without '
                 '--resume, or give the checkpoint: --resume PATH')
        resume = latest
    cfg.resume = True
    cfg.load_from = check_checkpoint(resume, 'checkpoint to resume from')


def prepare(argv=None):
    """Parse the arguments and return ``(args, cfg)`` with every input checked (exits on the first problem)."""
    args = parse_args(argv)
    cfg = load_config(args.config)
    set_work_dir(cfg, args.config, args.work_dir)
    if args.data_root is not None:
        set_data_root(cfg, args.data_root)
    if args.epochs is not None:
        if args.epochs < 1:
            fail(f'--epochs must be a positive integer, got {args.epochs}')
        set_epochs(cfg, args.epochs)
    merge_cfg_options(cfg, args.cfg_options, args.config)  # explicit keys win over --data-root / --epochs
    if args.amp:
        enable_amp(cfg)
    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg or 'base_batch_size' not in cfg.auto_scale_lr:
            fail('--auto-scale-lr: the config has no auto_scale_lr.base_batch_size')
        cfg.auto_scale_lr.enable = True
    if args.resume is not None:
        resolve_resume(cfg, args.resume)
    elif cfg.get('load_from'):
        check_checkpoint(cfg.load_from, 'load_from checkpoint')
    validates = all(cfg.get(key) for key in ('val_dataloader', 'val_cfg', 'val_evaluator'))
    check_data(cfg, ['train_dataloader'] + (['val_dataloader'] if validates else []))
    check_init_checkpoints(cfg)
    return args, cfg


def main(argv=None) -> None:
    args, cfg = prepare(argv)
    if args.check:
        print(f'{args.config}: config, data and checkpoints are in place')
        return
    runner = build_runner(cfg, args.launcher)
    runner.train()


if __name__ == '__main__':
    main()
