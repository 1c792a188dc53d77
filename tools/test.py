"""Test a checkpoint and print/write the metrics.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--cfg-options k=v ...]
        [--pose-noise POS_STD_M ROT_STD_DEG [--noise-seed S]] [--latency K]
    tools/dist_test.sh CONFIG CHECKPOINT NPROC [same args]
"""
import argparse

import _cli  # noqa: F401  (puts the repo root on sys.path)
from _cli import (add_robustness_args, add_runner_args, apply_robustness, build_runner, load_config, require_file,
                  set_work_dir)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (and evaluate) a TurboTrain model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    add_runner_args(parser)
    add_robustness_args(parser)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    require_file(args.checkpoint, 'checkpoint')
    cfg = load_config(args.config, args.cfg_options)
    set_work_dir(cfg, args.config, args.work_dir)
    apply_robustness(cfg, args.pose_noise, args.noise_seed, args.latency)
    cfg.load_from = args.checkpoint
    cfg.resume = False
    runner = build_runner(cfg, args.launcher)
    runner.test()


if __name__ == '__main__':
    main()
