"""Test a checkpoint and print/write the metrics.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--cfg-options k=v ...] [--show-dir DIR] [--show]
    tools/dist_test.sh CONFIG CHECKPOINT NPROC [same args]
"""
import argparse

import _cli  # noqa: F401  (puts the repo root on sys.path)
from _cli import add_runner_args, build_runner, load_config, require_file, set_work_dir


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (and evaluate) a TurboTrain model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    add_runner_args(parser)
    parser.add_argument('--show-dir', help='write a BEV picture of every test sample (points, ground truth, '
                        'predictions, TP/FP) into this folder')
    parser.add_argument('--show', action='store_true', help='show each BEV picture in a window')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    require_file(args.checkpoint, 'checkpoint')
    cfg = load_config(args.config, args.cfg_options)
    set_work_dir(cfg, args.config, args.work_dir)
    cfg.load_from = args.checkpoint
    cfg.resume = False
    if args.show or args.show_dir:  # switch on the visualization hook, as mmdet3d's test.py does
        from projects.TurboTrain.turbotrain.engine.hooks import enable_visualization
        enable_visualization(cfg, args.show_dir, args.show)
    runner = build_runner(cfg, args.launcher)
    runner.test()


if __name__ == '__main__':
    main()
