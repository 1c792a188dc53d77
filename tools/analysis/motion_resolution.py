"""How much of an object's velocity its history frames can give when each past position is known only to the BEV
cell it falls in: the motion a trajectory head can read from a grid of a given cell size and history length
(study page: projects/TurboTrain/docs/experiments/prediction.md). Reads the info file's labels only, no point cloud.

    python tools/analysis/motion_resolution.py data/v2xpnp_synth --cells 1.0 0.4 --history 3 5 10

For every labelled object of ``--classes`` with all ``H`` history positions and its future at the horizon ``F``:
the final displacement error (FDE, m) at ``t0 + FΔ`` of constant velocity ``c + F·v`` from the exact current centre
``c``, with ``v`` the least-squares slope of the history positions (metres per Δ):

- ``exact``: the labelled positions (what the metric's oracle-past baseline reads);
- ``cell s``: the slope of the history positions snapped to the centres of their ``s``-metre cells (a grid anchored
  at the ego frame's origin, as the BEV canvas is), extrapolated from the exact current centre (a detector
  regresses the centre below the cell). This is motion read at cell level: a head that uses no sub-cell detail of
  the past frames sees no more;
- ``best constant velocity``: the velocity that best fits the annotated future (the motion head's training
  target, :func:`velocity_targets`), a floor for any constant-velocity decoding.
"""
import argparse
import os.path as osp
import sys
from typing import Dict, Optional, Sequence

import numpy as np

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # tools/, for _cli
from _cli import fail  # noqa: E402
from projects.TurboTrain.turbotrain.evaluation.functional.constant_velocity import velocity_trajectories  # noqa: E402
from projects.TurboTrain.turbotrain.models.heads.motion_targets import velocity_targets  # noqa: E402


def snap(points: np.ndarray, cell: float) -> np.ndarray:
    """Centres of the ``cell``-metre grid cells (anchored at the origin) that ``points (..., 2)`` fall in."""
    return (np.floor(points / cell) + 0.5) * cell


def slope(past: np.ndarray) -> np.ndarray:
    """Least-squares velocity (per step) of ``past (N, H, 2)``, positions at steps 0..H-1."""
    steps = np.arange(past.shape[1], dtype=np.float64)
    centred = steps - steps.mean()
    return np.einsum('h,nhd->nd', centred, past - past.mean(axis=1, keepdims=True)) / (centred ** 2).sum()


def constant_velocity_fde(past: np.ndarray, future_end: np.ndarray, horizon: int,
                          cell: Optional[float] = None) -> np.ndarray:
    """FDE ``(N,)`` at step ``horizon`` of ``c + horizon·v``: ``past (N, H, 2)`` ends at the current centre ``c``,
    ``v`` its least-squares slope after snapping every position to ``cell`` (None: exact)."""
    seen = past.astype(np.float64)
    if cell is not None:
        seen = snap(seen, cell)
    prediction = velocity_trajectories(past[:, -1], slope(seen), horizon)[:, -1]
    return np.linalg.norm(prediction - future_end, axis=-1)


def best_constant_velocity_fde(current: np.ndarray, future: np.ndarray) -> np.ndarray:
    """FDE ``(N,)`` at the last step of ``c + k·v*``, ``v*`` the motion head's target :func:`velocity_targets`
    (``Σ k (f_k − c) / Σ k²`` over the F steps, all valid here)."""
    import torch
    num, steps = future.shape[:2]
    no_past = torch.zeros(num, 0, 2, dtype=torch.float64)  # every future step is valid: the past is not read
    velocity, _ = velocity_targets(torch.from_numpy(current), torch.from_numpy(future),
                                   torch.ones(num, steps, dtype=torch.bool), no_past, no_past[..., 0].bool())
    prediction = velocity_trajectories(current, velocity.numpy(), steps)[:, -1]
    return np.linalg.norm(prediction - future[:, -1], axis=-1)


def collect_tracks(dataset, class_ids: Sequence[int]) -> Dict[str, np.ndarray]:
    """Past ``(N, H, 2)`` and future ``(N, F, 2)`` of the labelled objects of ``class_ids`` whose whole history and
    future are annotated, over every sample of a ``V2XPnPSeqDataset`` (ego frame at t0)."""
    pasts, futures = [], []
    for index in range(len(dataset)):
        ann = dataset.get_data_info(index)['ann_info']
        keep = (np.isin(ann['gt_labels_3d'], class_ids) & ann['gt_past_mask'].all(axis=1)
                & ann['gt_future_mask'].all(axis=1))
        pasts.append(ann['gt_past_traj'][keep])
        futures.append(ann['gt_future_traj'][keep])
    return dict(past=np.concatenate(pasts).astype(np.float64), future=np.concatenate(futures).astype(np.float64))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('data_root')
    parser.add_argument('--split', default='train', help='never the held-out scenarios: this informs design')
    parser.add_argument('--cells', type=float, nargs='+', default=[1.0, 0.4], help='BEV cell sizes (m)')
    parser.add_argument('--history', type=int, nargs='+', default=[3, 5, 10], help='history frames H (t0 included)')
    parser.add_argument('--future', type=int, default=10, help='horizon F (steps Δ)')
    parser.add_argument('--classes', nargs='+', default=['vehicle'])
    args = parser.parse_args()
    ann_file = osp.join(args.data_root, f'v2xpnp_infos_{args.split}.pkl')
    if not osp.isfile(ann_file):
        fail(f'info file not found: {ann_file} (run tools/create_data.py v2xpnp first)')
    if min(args.history) < 2:
        fail(f'--history needs at least 2 frames to estimate a velocity, got {args.history}')
    from projects.TurboTrain.turbotrain.datasets import V2XPnPSeqDataset
    print(f'{ann_file}, classes {args.classes}: FDE (m) at {args.future} steps of constant velocity from H history '
          'positions (mean / median)')
    print('| H | objects | exact | ' + ' | '.join(f'cell {c:g} m' for c in args.cells) + ' | best constant velocity |')
    print('|---|---|---|' + '---|' * len(args.cells) + '---|')
    for history in args.history:
        dataset = V2XPnPSeqDataset(data_root=args.data_root, ann_file=osp.basename(ann_file), pipeline=[],
                                   history_frames=history, future_frames=args.future, serialize_data=False)
        class_ids = [list(dataset.metainfo['classes']).index(name) for name in args.classes]
        tracks = collect_tracks(dataset, class_ids)
        past, future = tracks['past'], tracks['future']
        cells = [constant_velocity_fde(past, future[:, -1], args.future, cell) for cell in [None] + args.cells]
        best = best_constant_velocity_fde(past[:, -1], future)
        text = ' | '.join(f'{e.mean():.2f} / {np.median(e):.2f}' for e in cells + [best])
        print(f'| {history} | {len(past)} | {text} |')


if __name__ == '__main__':
    main()
