"""Rotated BEV IoU: the metric's exact float64 polygon clipping (``bev_iou``) beside mmcv's ``box_iou_rotated``.

Metric-sized inputs: per frame, ``--dets`` detections (the CenterPoint decoder keeps up to 200) against ``--gts``
ground truths, scattered over a ``--range`` metre BEV square like a scene (cars and pedestrians, most detections
near some ground truth). Prints the median time per frame of each (wall and process CPU) and their ratio, then how
often mmcv disagrees (by more than 1e-3) with the exact value on random pairs of the degenerate kinds (reversed
headings, collinear edges) and on generic pairs.

    python tools/benchmarks/benchmark_bev_iou.py --dets 200 --gts 60 --frames 50 --threads 1
"""
import argparse
import json
import os
import os.path as osp
import statistics
import sys
import time

import numpy as np
import torch

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))  # repo root


def scene_boxes(num_gts: int, num_dets: int, half_range: float, rng: np.random.Generator):
    """``(G, 5)`` ground-truth and ``(D, 5)`` detection BEV rows ``[x, y, l, w, yaw]`` (float32 values)."""
    is_car = rng.uniform(size=num_gts) < 0.8
    gts = np.column_stack([rng.uniform(-half_range, half_range, (num_gts, 2)),
                           np.where(is_car, rng.uniform(3.8, 5.2, num_gts), rng.uniform(0.4, 0.9, num_gts)),
                           np.where(is_car, rng.uniform(1.6, 2.1, num_gts), rng.uniform(0.4, 0.9, num_gts)),
                           rng.uniform(-np.pi, np.pi, num_gts)])
    owner = rng.integers(0, num_gts, num_dets)
    near = rng.uniform(size=num_dets) < 0.7  # the rest are false positives anywhere
    dets = gts[owner] + np.column_stack([rng.normal(0, 0.4, (num_dets, 2)), rng.normal(0, 0.2, (num_dets, 2)),
                                         rng.normal(0, 0.2, num_dets)])
    dets[~near, :2] = rng.uniform(-half_range, half_range, ((~near).sum(), 2))
    dets[:, 2:4] = np.abs(dets[:, 2:4])
    return gts.astype(np.float32).astype(np.float64), dets.astype(np.float32).astype(np.float64)


def degenerate_pairs(num: int, rng: np.random.Generator):
    """Random pairs (float32 values): reversed headings, moved along the heading, twice as long and collinear."""
    base = np.column_stack([rng.uniform(-50, 50, (num, 2)), rng.uniform(3.5, 5.5, num), rng.uniform(1.5, 2.2, num),
                            rng.uniform(-np.pi, np.pi, num)]).astype(np.float32).astype(np.float64)
    heading = np.column_stack([np.cos(base[:, 4]), np.sin(base[:, 4])])
    kinds = {}
    reversed_ = base.copy()
    reversed_[:, 4] = np.where(base[:, 4] > 0, base[:, 4] - np.pi, base[:, 4] + np.pi)
    kinds['reversed heading'] = reversed_
    moved = base.copy()
    moved[:, :2] += rng.uniform(-0.5, 0.5, (num, 1)) * base[:, 2:3] * heading
    kinds['moved along heading'] = moved
    longer = moved.copy()
    longer[:, 2] *= 2
    kinds['twice as long, collinear'] = longer
    generic = base + np.column_stack([rng.normal(0, 1.0, (num, 2)), np.zeros((num, 2)), rng.normal(0, 0.4, num)])
    kinds['generic'] = generic
    return base, {name: other.astype(np.float32).astype(np.float64) for name, other in kinds.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--dets', type=int, default=200)
    parser.add_argument('--gts', type=int, default=60)
    parser.add_argument('--frames', type=int, default=50, help='frames timed (median per frame)')
    parser.add_argument('--range', type=float, default=51.2, help='half extent of the BEV square (m)')
    parser.add_argument('--pairs', type=int, default=2000, help='pairs per degenerate kind')
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out-json', help='also write the figures to this JSON file')
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    from mmcv.ops import box_iou_rotated

    from projects.TurboTrain.turbotrain.evaluation.functional.bev_iou import bev_iou

    def mmcv_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return box_iou_rotated(torch.from_numpy(a).float(), torch.from_numpy(b).float(), clockwise=True).numpy()

    rng = np.random.default_rng(args.seed)
    frames = [scene_boxes(args.gts, args.dets, args.range, rng) for _ in range(args.frames)]
    times = {}
    for name, fn in (('exact (numpy float64)', bev_iou), ('mmcv box_iou_rotated', mmcv_iou)):
        fn(frames[0][1], frames[0][0])  # warm-up
        wall, cpu = [], []
        for gts, dets in frames:
            w0, c0 = time.perf_counter(), time.process_time()
            fn(dets, gts)
            wall.append(time.perf_counter() - w0)
            cpu.append(time.process_time() - c0)
        times[name] = (statistics.median(wall), statistics.median(cpu))
    print(f'{args.dets} detections x {args.gts} ground truths per frame, {args.frames} frames, '
          f'{args.threads} thread(s); median per frame')
    print(f'{"":24s} {"wall ms":>9s} {"cpu ms":>9s}')
    for name, (wall, cpu) in times.items():
        print(f'{name:24s} {wall * 1e3:9.3f} {cpu * 1e3:9.3f}')
    exact_wall, exact_cpu = times['exact (numpy float64)']
    mmcv_wall, mmcv_cpu = times['mmcv box_iou_rotated']
    print(f'{"ratio exact / mmcv":24s} {exact_wall / mmcv_wall:9.2f} {exact_cpu / mmcv_cpu:9.2f}')

    base, kinds = degenerate_pairs(args.pairs, rng)
    print(f'\nmmcv vs exact on {args.pairs} random pairs per kind (|difference| > 1e-3)')
    wrong_rates = {}
    for name, other in kinds.items():
        exact = np.diag(bev_iou(base, other)) if len(base) <= 4000 else np.concatenate(
            [np.diag(bev_iou(base[i:i + 1000], other[i:i + 1000])) for i in range(0, len(base), 1000)])
        theirs = box_iou_rotated(torch.from_numpy(base).float(), torch.from_numpy(other).float(),
                                 aligned=True, clockwise=True).numpy()
        wrong = np.abs(theirs - exact) > 1e-3
        print(f'  {name:26s} wrong {wrong.mean() * 100:6.2f} %  (largest error {np.abs(theirs - exact).max():.3f})')
        wrong_rates[name] = dict(wrong_fraction=float(wrong.mean()), largest_error=float(np.abs(theirs - exact).max()))
    if args.out_json:
        if osp.dirname(args.out_json):
            os.makedirs(osp.dirname(args.out_json), exist_ok=True)
        with open(args.out_json, 'w') as handle:
            json.dump(dict(args=vars(args), median_seconds_per_frame={k: dict(wall=w, cpu=c) for k, (w, c) in
                                                                      times.items()},
                           mmcv_wrong=wrong_rates), handle, indent=1)


if __name__ == '__main__':
    main()
