#!/usr/bin/env python
"""Draw cooperative samples as bird's-eye-view PNGs to check data and geometry by eye.

    tools/browse_dataset.py CONFIG --out DIR [--num N] [--split train|val|test] [--data-root DIR] [--aug]

One PNG per sample, in the ego frame at t0, drawn by the project's ``CoopBEVVisualizer`` (the same pictures as
``tools/test.py --show-dir`` without the predictions, settings from the config's ``visualizer``): every agent's
points of every history frame (moved with its ``M[a,t]``, one colour per agent), the agents' positions and headings at
t0, ground-truth boxes with their past and future tracks (valid steps only). Without ``--aug`` the training split is
drawn with the config's ``eval_pipeline`` (no augmentation) when it has one. A missing config or info file ends in
one ``error:`` line naming it and the command that makes it.
"""
import argparse
import os
import os.path as osp
import sys

import _cli  # first: puts the repo root on sys.path


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Browse a cooperative dataset as BEV PNGs')
    parser.add_argument('config')
    parser.add_argument('--out', required=True, help='folder for the PNG files')
    parser.add_argument('--num', type=int, default=5, help='number of samples to draw')
    parser.add_argument('--split', choices=['train', 'val', 'test'], default='train')
    parser.add_argument('--data-root', default=None,
                        help="dataset root with the info files (default: the config's data_root)")
    parser.add_argument('--start', type=int, default=0, help='first sample index')
    parser.add_argument('--stride', type=int, default=1, help='step between drawn samples')
    parser.add_argument('--aug', action='store_true', help='draw the training pipeline with its augmentation')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmengine.registry import init_default_scope

    import projects.TurboTrain.turbotrain  # noqa: F401  (registers the datasets and transforms)
    from mmdet3d.registry import DATASETS
    from projects.TurboTrain.turbotrain.visualization import CoopBEVVisualizer

    if args.num < 1:
        _cli.fail(f'--num must be a positive integer, got {args.num}')
    cfg = _cli.load_config(args.config)
    loader_key = f'{args.split}_dataloader'
    if not cfg.get(loader_key):
        _cli.fail(f'{args.config} has no {loader_key} (--split {args.split})')
    if args.data_root:
        _cli.set_data_root(cfg, args.data_root)
    _cli.check_data(cfg, [loader_key])
    init_default_scope(cfg.get('default_scope', 'mmdet3d'))
    dataset_cfg = cfg[loader_key]['dataset']
    while 'dataset' in dataset_cfg and 'pipeline' not in dataset_cfg:  # unwrap RepeatDataset & co.
        dataset_cfg = dataset_cfg['dataset']
    if not args.aug and cfg.get('eval_pipeline'):
        dataset_cfg['pipeline'] = cfg.eval_pipeline
    dataset = DATASETS.build(dataset_cfg)
    os.makedirs(args.out, exist_ok=True)
    visualizer = CoopBEVVisualizer.for_files(cfg, f'browse_dataset_{id(cfg)}')
    indices = list(range(args.start, len(dataset), max(1, args.stride)))[:args.num]
    for index in indices:
        packed = dataset[index]
        meta = packed['data_samples'].metainfo
        path = osp.join(args.out, f'{index:05d}_{meta["scenario"]}_{meta["frame"]}_ego{meta["ego_id"]}.png')
        visualizer.add_datasample(path, packed['inputs'], packed['data_samples'], draw_pred=False, out_file=path)
        print(path)
    visualizer.close()
    print(f'{len(indices)} of {len(dataset)} samples drawn into {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
