#!/usr/bin/env python
"""Write a synthetic V2XPnP-Seq dataset in the real on-disk format.

    python tools/make_synthetic_v2xpnp.py --out data/v2xpnp_synth --scenarios 7 --seed 0 python
    tools/make_synthetic_v2xpnp.py --out data/v2xpnp_bench --preset benchmark --lidar-format bin

Layout: <out>/{train,val,test}/<scenario>/<agent_id>/<frame>.{pcd|bin,yaml}; see
projects/TurboTrain/turbotrain/datasets/synthetic/__init__.py for the format and the Python API.
"""
import argparse
import json
import os
import sys

import _cli  # noqa: F401  (puts the repo root on sys.path)
from projects.TurboTrain.turbotrain.datasets.synthetic import PRESETS, generate_dataset


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--out',
                        required=True,
                        help='output root (the folder that gets train/ val/ test/)')
    parser.add_argument('--scenarios',
                        type=int,
                        default=None,
                        help='number of scenarios (default: preset)')
    parser.add_argument('--seed',
                        type=int,
                        default=0,
                        help='random seed; same seed gives identical files')
    parser.add_argument('--frames-per-scenario',
                        type=int,
                        default=None,
                        help='frames at 10 Hz (default: preset)')
    parser.add_argument('--lidar-format', choices=('pcd', 'bin'), default='pcd')
    parser.add_argument('--ascii-pcd',
                        action='store_true',
                        help='write .pcd as DATA ascii instead of binary')
    parser.add_argument('--preset', choices=sorted(PRESETS), default='demo')
    parser.add_argument('--split-fractions',
                        type=float,
                        nargs=3,
                        default=(0.6, 0.2, 0.2),
                        metavar=('TRAIN', 'VAL', 'TEST'))
    parser.add_argument('--quiet', action='store_true')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    summary = generate_dataset(args.out,
                               num_scenarios=args.scenarios,
                               seed=args.seed,
                               frames_per_scenario=args.frames_per_scenario,
                               lidar_format=args.lidar_format,
                               preset=args.preset,
                               split_fractions=tuple(args.split_fractions),
                               pcd_binary=not args.ascii_pcd,
                               verbose=not args.quiet)
    vis = summary['visibility']
    print(
        json.dumps(
            {
                'out_dir': summary['out_dir'],
                'preset': summary['preset'],
                'seed': summary['seed'],
                'splits': {
                    k: len(v)
                    for k, v in summary['splits'].items()
                },
                'num_clouds': summary['num_clouds'],
                'points_per_cloud': summary['points_per_cloud'],
                'fraction_seen_only_by_cooperators': round(vis['fraction_seen_only_by_cooperators'],
                                                           3),
                'seconds': round(summary['seconds'], 1)
            },
            indent=1))
    return 0


if __name__ == '__main__':
    sys.exit(main())
