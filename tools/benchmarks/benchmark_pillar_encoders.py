"""Pillar encoders side by side: ScatterPillarEncoder (scatter ops, no padding) vs the mmdet3d padded path
(mmcv hard voxelization + PillarFeatureNet + PointPillarsScatter, wrapped as VoxelBEVEncoder).

Same LiDAR-like clouds for both (range-decaying density, ground ring structure plus objects), forward and backward
times (median over repeats after a warm-up), and the ratio. Optionally also times one forward+backward of a full
model (``--model-config``, e.g. the CPU demo config) on one batch of agents × frames built from the same clouds.

    python tools/benchmarks/benchmark_pillar_encoders.py --agent-frames 12 --points 20000 --threads 2
"""
import argparse
import os.path as osp
import statistics
import sys
import time
from typing import Callable, Dict, List

import numpy as np
import torch

sys.path.append(osp.dirname(osp.dirname(osp.abspath(__file__))))  # tools/ (last: shadows nothing), for _cli
import _cli  # noqa: E402,F401  (puts the repo root on sys.path)


def lidar_like_cloud(num_points: int, max_range: float, rng: np.random.Generator) -> torch.Tensor:
    """``(num_points, 4)`` points whose density decays with range like a spinning LiDAR's.

    Ranges follow a near-exponential law (most returns within ~20 m), ~80 % of the points hit the ground plane
    (z ≈ -1.8 m, small noise), the rest hit upright structures (z up to +1.5 m) clustered into ~60 objects.
    """
    num_ground = int(num_points * 0.8)
    ranges = np.minimum(2.0 + rng.exponential(12.0, num_ground), max_range * 1.4)
    azimuth = rng.uniform(-np.pi, np.pi, num_ground)
    ground = np.stack([ranges * np.cos(azimuth), ranges * np.sin(azimuth),
                       -1.8 + rng.normal(0, 0.05, num_ground)], axis=1)
    num_objects = num_points - num_ground
    centres_range = 3.0 + rng.exponential(15.0, 60)
    centres_azimuth = rng.uniform(-np.pi, np.pi, 60)
    centres = np.stack([centres_range * np.cos(centres_azimuth), centres_range * np.sin(centres_azimuth)], 1)
    owner = rng.integers(0, 60, num_objects)
    objects = np.concatenate([centres[owner] + rng.normal(0, 1.0, (num_objects, 2)),
                              rng.uniform(-1.8, 1.5, (num_objects, 1))], axis=1)
    xyz = np.concatenate([ground, objects])
    intensity = rng.uniform(0, 1, (len(xyz), 1))
    return torch.tensor(np.concatenate([xyz, intensity], 1), dtype=torch.float32)


def timed(fn: Callable[[], torch.Tensor], repeats: int, device: torch.device) -> Dict[str, float]:
    """Median forward / backward times of ``fn`` (returns a tensor to backprop) after one warm-up call.

    Both wall-clock seconds (``*_wall``) and process CPU seconds (``*_cpu``, all threads summed) are returned: on a
    shared machine the wall clock mostly measures the other jobs, CPU time is what this process actually spent.
    """
    samples: Dict[str, List[float]] = {key: [] for key in ('fwd_wall', 'bwd_wall', 'fwd_cpu', 'bwd_cpu')}

    def sync():
        if device.type == 'cuda':
            torch.cuda.synchronize()

    for index in range(repeats + 1):
        sync()
        wall0, cpu0 = time.perf_counter(), time.process_time()
        out = fn()
        sync()
        wall1, cpu1 = time.perf_counter(), time.process_time()
        out.backward()
        sync()
        wall2, cpu2 = time.perf_counter(), time.process_time()
        if index > 0:  # first call is a warm-up
            samples['fwd_wall'].append(wall1 - wall0)
            samples['bwd_wall'].append(wall2 - wall1)
            samples['fwd_cpu'].append(cpu1 - cpu0)
            samples['bwd_cpu'].append(cpu2 - cpu1)
    return {key: statistics.median(values) for key, values in samples.items()}


def describe(result: Dict[str, float]) -> str:
    return (f"forward {result['fwd_wall']:7.3f} s   backward {result['bwd_wall']:7.3f} s   (wall)   | "
            f"forward {result['fwd_cpu']:7.3f} s   backward {result['bwd_cpu']:7.3f} s   (CPU)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--agent-frames', type=int, default=12)
    parser.add_argument('--points', type=int, default=20000)
    parser.add_argument('--range', type=float, default=51.2, help='half-size of the square BEV range (m)')
    parser.add_argument('--pillar', type=float, default=0.8, help='pillar size (m)')
    parser.add_argument('--channels', type=int, default=32)
    parser.add_argument('--max-points', type=int, default=32, help='hard voxelization points per pillar')
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--model-config', help='also time one model forward+backward (loss) with this config')
    parser.add_argument('--agents', type=int, default=4, help='agents per sample for --model-config')
    parser.add_argument('--history', type=int, default=3, help='frames per agent for --model-config')
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    import projects.TurboTrain.turbotrain  # noqa: F401  (registers the modules)
    from mmdet3d.registry import MODELS
    from mmdet3d.utils import register_all_modules
    register_all_modules(init_default_scope=True)

    device = torch.device(args.device)
    rng = np.random.default_rng(0)
    clouds: List[torch.Tensor] = [
        lidar_like_cloud(args.points, args.range, rng).to(device) for _ in range(args.agent_frames)
    ]
    half = args.range
    point_cloud_range = [-half, -half, -5.0, half, half, 3.0]
    voxel_size = [args.pillar, args.pillar, 8.0]
    cells = int(round(2 * half / args.pillar))
    scatter = MODELS.build(dict(type='ScatterPillarEncoder', in_channels=4, feat_channels=[args.channels],
                                voxel_size=voxel_size, point_cloud_range=point_cloud_range)).to(device)
    padded = MODELS.build(dict(
        type='VoxelBEVEncoder',
        voxel_layer=dict(voxel_size=voxel_size, point_cloud_range=point_cloud_range,
                         max_num_points=args.max_points, max_voxels=(cells * cells, cells * cells)),
        voxel_encoder=dict(type='PillarFeatureNet', in_channels=4, feat_channels=[args.channels],
                           with_distance=False, voxel_size=voxel_size, point_cloud_range=point_cloud_range),
        middle_encoder=dict(type='PointPillarsScatter', in_channels=args.channels,
                            output_shape=[cells, cells]))).to(device)
    scatter.train()
    padded.train()

    with torch.no_grad():
        _, _, coors = padded.voxelize(clouds)
    inside = sum(int(((c[:, :2].abs() < half)).all(1).sum()) for c in clouds)
    print(f'device={device} threads={args.threads} agent_frames={args.agent_frames} '
          f'points/frame={args.points} ({inside / args.agent_frames:.0f} in range) '
          f'canvas={cells}x{cells} occupied pillars={len(coors)} channels={args.channels}')
    projection = torch.randn(1, args.channels, cells, cells, device=device)
    results = []
    for name, encoder in (('ScatterPillarEncoder (ours)', scatter),
                          ('VoxelBEVEncoder (Voxelization+PillarFeatureNet+PointPillarsScatter)', padded)):
        result = timed(lambda: (encoder(clouds) * projection).sum(), args.repeats, device)
        results.append(result)
        print(f'{name:<70s} {describe(result)}')
    for clock in ('wall', 'cpu'):
        forward = results[1][f'fwd_{clock}'] / results[0][f'fwd_{clock}']
        total = ((results[1][f'fwd_{clock}'] + results[1][f'bwd_{clock}'])
                 / (results[0][f'fwd_{clock}'] + results[0][f'bwd_{clock}']))
        print(f'speed-up of ScatterPillarEncoder ({clock} clock): forward x{forward:.1f}, '
              f'forward+backward x{total:.1f}')

    if args.model_config:
        from mmengine.config import Config

        from projects.TurboTrain.turbotrain.models.data_preprocessors import coop_collate
        from mmdet3d.structures import Det3DDataSample, LiDARInstance3DBoxes
        from mmengine.structures import InstanceData
        cfg = Config.fromfile(args.model_config)
        model = MODELS.build(cfg.model).to(device).train()
        agents, history = args.agents, args.history
        future = model.traj_head.num_future if model.traj_head is not None else 1
        gt = InstanceData(
            bboxes_3d=LiDARInstance3DBoxes(torch.tensor([[5.0, 3.0, -1.8, 4.2, 1.8, 1.5, 0.2],
                                                         [-12.0, 8.0, -1.8, 0.7, 0.7, 1.7, 0.0]])),
            labels_3d=torch.tensor([0, 1]),
            future_traj=torch.zeros(2, future, 2), future_mask=torch.ones(2, future, dtype=torch.bool))
        sample = Det3DDataSample(metainfo=dict(box_type_3d=LiDARInstance3DBoxes))
        sample.gt_instances_3d = gt
        poses = torch.eye(4).repeat(agents, history, 1, 1)
        poses[:, :, 0, 3] = torch.arange(agents, dtype=torch.float32)[:, None] * 8.0
        packed = dict(inputs=dict(points=[clouds[i % len(clouds)].cpu() for i in range(agents * history)],
                                  agent_poses=poses,
                                  agent_frame_valid=torch.ones(agents, history, dtype=torch.bool),
                                  agent_types=torch.tensor([0] + [1] * (agents - 1))),
                      data_samples=sample)
        batch = model.data_preprocessor(coop_collate([packed]), True)

        def model_loss():
            total, _ = model.parse_losses(model(**batch, mode='loss'))
            return total

        result = timed(model_loss, args.repeats, device)
        params = sum(p.numel() for p in model.parameters())
        print(f'model {args.model_config} ({params / 1e6:.2f} M parameters), one batch of {agents} agents x '
              f'{history} frames:\n    {describe(result)}')


if __name__ == '__main__':
    main()
