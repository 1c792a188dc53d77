"""Test a checkpoint and print/write the metrics.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--cfg-options k=v ...]
    tools/dist_test.sh CONFIG CHECKPOINT NPROC [same args]
"""
import argparse

import _cli  # noqa: F401  (puts the repo root on sys.path)
from _cli import default_work_dir, load_config, require_file


def parse_args() -> argparse.Namespace:
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description='Test (and evaluate) a TurboTrain model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs and metrics')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value pairs (xxx=yyy)')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
                        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    require_file(args.checkpoint, 'checkpoint')
    cfg = load_config(args.config, args.cfg_options)
    cfg.launcher = args.launcher

    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner

    from projects.TurboTrain.turbotrain.utils import prepare_distributed

    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = default_work_dir(args.config)
    cfg.load_from = args.checkpoint
    cfg.resume = False
    prepare_distributed(cfg, args.launcher)
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    runner.test()


if __name__ == '__main__':
    main()
