#!/usr/bin/env python
"""Test a checkpoint and print/write the metrics.

    tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--data-root DIR] [--cfg-options k=v ...] [--check]
        [--show-dir DIR] [--show] [--pose-noise POS_STD_M ROT_STD_DEG [--noise-seed S]] [--latency K]
    tools/dist_test.sh CONFIG CHECKPOINT NPROC [same args]

The config, the test info file and the checkpoint (present, not truncated) are checked before the Runner starts;
a problem ends in one ``error:`` line (rank 0 only under torchrun) and exit status 2.
"""
import argparse

import _cli  # noqa: F401  (first: puts the repo root on sys.path)
from _cli import (add_robustness_args, add_runner_args, apply_robustness, build_runner, check_checkpoint, check_data,
                  load_config, merge_cfg_options, set_data_root, set_work_dir)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (and evaluate) a TurboTrain model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    add_runner_args(parser)
    parser.add_argument('--show-dir', help='write a BEV picture of every test sample (points, ground truth, '
                        'predictions, TP/FP) into this folder')
    parser.add_argument('--show', action='store_true', help='show each BEV picture in a window')
    add_robustness_args(parser)
    return parser.parse_args(argv)


def prepare(argv=None):
    """Parse the arguments and return ``(args, cfg)`` with every input checked (exits on the first problem)."""
    args = parse_args(argv)
    cfg = load_config(args.config)
    check_checkpoint(args.checkpoint, 'checkpoint')
    set_work_dir(cfg, args.config, args.work_dir)
    if args.data_root is not None:
        set_data_root(cfg, args.data_root)
    merge_cfg_options(cfg, args.cfg_options, args.config)  # explicit keys win over --data-root
    apply_robustness(cfg, args.pose_noise, args.noise_seed, args.latency)
    cfg.load_from = args.checkpoint
    cfg.resume = False
    check_data(cfg, ['test_dataloader'])
    return args, cfg


def main(argv=None) -> None:
    args, cfg = prepare(argv)
    if args.check:
        print(f'{args.config}: config, data and checkpoint are in place')
        return
    if args.show or args.show_dir:  # switch on the visualization hook, as mmdet3d's test.py does
        from projects.TurboTrain.turbotrain.engine.hooks import enable_visualization
        enable_visualization(cfg, args.show_dir, args.show)
    runner = build_runner(cfg, args.launcher)
    runner.test()


if __name__ == '__main__':
    main()
