#!/usr/bin/env python
"""Draw cooperative samples as bird's-eye-view PNGs to check data and geometry by eye.

    tools/browse_dataset.py CONFIG --out DIR [--num N] [--split train|val|test] [--data-root DIR] [--aug]

One PNG per sample, in the ego frame at t0: every agent's points of the current frame (moved with its
``M[a,t0]``, one colour per agent; older history frames fainter), the agents' LiDAR positions, ground-truth boxes
(heading marked) and their future trajectories (valid steps only). Without ``--aug`` the training split is drawn
with the config's ``eval_pipeline`` (no augmentation) when it has one. A missing config or info file ends in one
``error:`` line naming it and the command that makes it.
"""
import argparse
import os
import os.path as osp
import sys

import _cli  # first: puts the repo root on sys.path

AGENT_COLOURS = ['tab:blue', 'tab:orange', 'tab:green', 'tab:purple', 'tab:brown', 'tab:pink', 'tab:olive']
CLASS_COLOURS = ['red', 'magenta', 'darkcyan', 'black']


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


def bev_corners(box):
    """(7,) [x, y, z, l, w, h, yaw] → (5, 2) closed BEV polygon and the front-edge midpoint (2,)."""
    import numpy as np
    x, y, _, length, width, _, yaw = (float(v) for v in box[:7])
    c, s = np.cos(yaw), np.sin(yaw)
    local = np.array([[length / 2, width / 2], [length / 2, -width / 2], [-length / 2, -width / 2],
                      [-length / 2, width / 2], [length / 2, width / 2]])
    rotation = np.array([[c, -s], [s, c]])
    return local @ rotation.T + [x, y], np.array([x + c * length / 2, y + s * length / 2])


def draw_sample(packed: dict, path: str, class_names) -> None:
    """Write the BEV drawing of one packed sample to ``path``."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    import numpy as np

    inputs, sample = packed['inputs'], packed['data_samples']
    meta = sample.metainfo
    poses = inputs['agent_poses'].double().numpy()
    valid = inputs['agent_frame_valid'].numpy()
    num_agents, history = poses.shape[:2]
    fig, ax = plt.subplots(figsize=(9, 9), dpi=110)
    for a, agent_id in enumerate(meta['agent_ids']):
        colour = AGENT_COLOURS[a % len(AGENT_COLOURS)]
        for t in range(history):
            cloud = inputs['points'][a * history + t].double().numpy()
            if not len(cloud):
                continue
            xyz = cloud[:, :3] @ poses[a, t, :3, :3].T + poses[a, t, :3, 3]
            current = t == history - 1
            ax.scatter(xyz[:, 0], xyz[:, 1], s=0.4 if current else 0.2, c=colour, alpha=0.8 if current else 0.15,
                       linewidths=0, label=None)
        kind = 'infra' if agent_id < 0 else 'veh'
        role = 'ego ' if a == 0 else ''
        state = '' if valid[a, -1] else ' (missing at t0)'
        position = poses[a, -1, :2, 3] if valid[a, -1] else None
        if position is not None:
            ax.plot(*position, marker='*' if a == 0 else '^', ms=14, c=colour, mec='black')
        label = f'{role}{kind} {agent_id}: {int(valid[a].sum())}/{history} frames{state}'
        ax.scatter([], [], c=colour, s=30, label=label)
    gt = sample.gt_instances_3d
    if 'bboxes_3d' not in gt and getattr(sample, 'eval_ann_info', None):
        ann = sample.eval_ann_info
        boxes, labels = ann['gt_bboxes_3d'].tensor.numpy(), ann['gt_labels_3d']
        futures, masks = ann.get('gt_future_traj'), ann.get('gt_future_mask')
    elif 'bboxes_3d' in gt:
        boxes, labels = gt.bboxes_3d.tensor.numpy(), gt.labels_3d.numpy()
        futures = gt.future_traj.numpy() if 'future_traj' in gt else None
        masks = gt.future_mask.numpy() if 'future_mask' in gt else None
    else:
        boxes, labels, futures, masks = np.zeros((0, 7)), np.zeros(0, int), None, None
    for i, (box, label) in enumerate(zip(boxes, labels)):
        colour = CLASS_COLOURS[int(label) % len(CLASS_COLOURS)]
        polygon, front = bev_corners(box)
        ax.plot(polygon[:, 0], polygon[:, 1], c=colour, lw=1.0)
        ax.plot([box[0], front[0]], [box[1], front[1]], c=colour, lw=1.0)
        if futures is not None and masks[i].any():
            track = np.concatenate([box[None, :2], futures[i][masks[i]]])
            ax.plot(track[:, 0], track[:, 1], c=colour, lw=0.8, ls='--', marker='.', ms=2)
    for label, name in enumerate(class_names):
        ax.plot([], [], c=CLASS_COLOURS[label % len(CLASS_COLOURS)], label=f'{name} box / future')
    pc_range = meta.get('point_cloud_range')
    if pc_range is not None:
        x0, y0, _, x1, y1, _ = pc_range
        ax.plot([x0, x1, x1, x0, x0], [y0, y0, y1, y1, y0], c='grey', lw=0.6, ls=':')
        ax.set_xlim(x0 - 2, x1 + 2)
        ax.set_ylim(y0 - 2, y1 + 2)
    ax.set_aspect('equal')
    ax.set_xlabel('x (m), ego frame at t0')
    ax.set_ylabel('y (m)')
    ax.set_title(f'{meta.get("scenario")} frame {meta.get("frame")} ego {meta.get("ego_id")}: '
                 f'{len(boxes)} objects, {num_agents} agents x {history} frames')
    ax.legend(loc='upper right', fontsize=7, markerscale=1.0)
    ax.grid(alpha=0.2)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmengine.registry import init_default_scope

    import projects.TurboTrain.turbotrain  # noqa: F401  (registers the datasets and transforms)
    from mmdet3d.registry import DATASETS

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
    indices = list(range(args.start, len(dataset), max(1, args.stride)))[:args.num]
    for index in indices:
        packed = dataset[index]
        meta = packed['data_samples'].metainfo
        path = osp.join(args.out, f'{index:05d}_{meta["scenario"]}_{meta["frame"]}_ego{meta["ego_id"]}.png')
        draw_sample(packed, path, dataset.metainfo['classes'])
        print(path)
    print(f'{len(indices)} of {len(dataset)} samples drawn into {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
