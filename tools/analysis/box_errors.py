"""Box error analysis: how far a model's detections are from the ground truth they sit on, per class.

For every ground-truth box, the nearest detection of the same class (score >= ``--score-thr``, centre within
``--max-dist`` m in BEV) is taken; reported per class: the number of such pairs, the mean signed centre error
(x, y; a systematic shift shows here), the median centre distance, the median size ratios l/w/h (detection /
ground truth), the median absolute yaw error and its histogram over [0, π] in 8 bins (a peak at π/2 means boxes
turned by 90°; π flips do not change the BEV IoU). Everything is in the ego frame at t0.

    python tools/analysis/box_errors.py projects/TurboTrain/configs/demo_finetune.py CKPT --split test \\
        --data-root data/v2xpnp_synth/ --num-samples 20
"""
import argparse
import os.path as osp
import sys
from typing import Dict, List

import numpy as np

sys.path.append(osp.dirname(osp.dirname(osp.abspath(__file__))))  # tools/ (last: shadows nothing), for _cli
from _cli import load_config, require_file  # noqa: E402  (puts the repo root on sys.path)

COLUMNS = ('label', 'dx', 'dy', 'dist', 'l_ratio', 'w_ratio', 'h_ratio', 'dyaw')


def nearest_box_errors(pred_boxes: np.ndarray, pred_labels: np.ndarray, gt_boxes: np.ndarray,
                       gt_labels: np.ndarray, max_dist: float) -> np.ndarray:
    """Errors of the nearest same-class detection of each ground truth.

    Args:
        pred_boxes, gt_boxes: ``(N, 7)`` ``x, y, z, l, w, h, yaw`` (ego frame at t0).
        pred_labels, gt_labels: ``(N,)`` class indices.
        max_dist: largest BEV centre distance (m) of a pair.

    Returns:
        ``(P, 8)`` rows ``label, dx, dy, dist, l_ratio, w_ratio, h_ratio, dyaw`` (detection minus ground truth,
        ``dyaw`` wrapped to ``(-π, π]``), one per ground truth that has a detection within ``max_dist``.
    """
    rows = []
    for box, label in zip(gt_boxes, gt_labels):
        same = pred_labels == label
        if not same.any():
            continue
        candidates = pred_boxes[same]
        dist = np.linalg.norm(candidates[:, :2] - box[:2], axis=1)
        j = int(dist.argmin())
        if dist[j] > max_dist:
            continue
        det = candidates[j]
        dyaw = float(np.angle(np.exp(1j * (det[6] - box[6]))))
        rows.append([label, det[0] - box[0], det[1] - box[1], dist[j], *(det[3:6] / box[3:6]), dyaw])
    return np.asarray(rows, dtype=np.float64).reshape(-1, len(COLUMNS))


def summarize(errors: np.ndarray, class_names: List[str]) -> Dict[str, dict]:
    """Per-class figures of :func:`nearest_box_errors` rows (see the module docstring)."""
    summary = {}
    for label, name in enumerate(class_names):
        rows = errors[errors[:, 0] == label]
        if len(rows) == 0:
            summary[name] = dict(pairs=0)
            continue
        summary[name] = dict(
            pairs=len(rows),
            mean_dx=float(rows[:, 1].mean()), mean_dy=float(rows[:, 2].mean()),
            median_dist=float(np.median(rows[:, 3])),
            median_size_ratio=[float(v) for v in np.median(rows[:, 4:7], axis=0)],
            median_abs_dyaw=float(np.median(np.abs(rows[:, 7]))),
            abs_dyaw_hist=np.histogram(np.abs(rows[:, 7]), bins=8, range=(0, np.pi))[0].tolist())
    return summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--split', default='test', help='info split: v2xpnp_infos_<split>.pkl')
    parser.add_argument('--data-root', default=None, help='override the config data root')
    parser.add_argument('--num-samples', type=int, default=20, help='samples, evenly spaced over the split')
    parser.add_argument('--score-thr', type=float, default=0.2)
    parser.add_argument('--max-dist', type=float, default=3.0)
    args = parser.parse_args(argv)
    require_file(args.checkpoint, 'checkpoint')
    cfg = load_config(args.config)

    import torch
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint

    import projects.TurboTrain.turbotrain  # noqa: F401  (registers the project)
    from mmdet3d.registry import DATASETS, MODELS
    from projects.TurboTrain.turbotrain.models.data_preprocessors import coop_collate
    init_default_scope('mmdet3d')
    dataset_cfg = cfg.test_dataloader.dataset
    dataset_cfg.ann_file = f'v2xpnp_infos_{args.split}.pkl'
    if args.data_root:
        dataset_cfg.data_root = args.data_root
    dataset = DATASETS.build(dataset_cfg)
    model = MODELS.build(cfg.model)
    load_checkpoint(model, args.checkpoint, map_location='cpu', logger='silent')
    model.eval()
    errors = []
    for index in np.linspace(0, len(dataset) - 1, min(args.num_samples, len(dataset))).astype(int):
        sample = dataset[int(index)]
        with torch.no_grad():
            pred = model.test_step(coop_collate([sample]))[0].pred_instances_3d
        keep = pred.scores_3d >= args.score_thr
        gt = sample['data_samples'].eval_ann_info
        errors.append(nearest_box_errors(pred.bboxes_3d.tensor[keep].numpy(), pred.labels_3d[keep].numpy(),
                                         gt['gt_bboxes_3d'].tensor.numpy(), np.asarray(gt['gt_labels_3d']),
                                         args.max_dist))
    summary = summarize(np.concatenate(errors), list(dataset.metainfo['classes']))
    print(f'{args.split} split, {args.num_samples} samples, score >= {args.score_thr}, pairs within '
          f'{args.max_dist} m')
    for name, figures in summary.items():
        print(f'{name}: ' + ', '.join(
            f'{k} {np.round(v, 3).tolist() if isinstance(v, (list, float)) else v}' for k, v in figures.items()))
    return 0


if __name__ == '__main__':
    sys.exit(main())
