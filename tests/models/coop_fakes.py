"""Fake packed cooperative samples written directly per docs/contract.md, and a tiny model config."""
import math
from typing import List, Optional, Sequence

import numpy as np
import torch
from mmengine.structures import InstanceData

from mmdet3d.structures import Det3DDataSample, LiDARInstance3DBoxes

POINT_CLOUD_RANGE = [-25.6, -25.6, -3.0, 25.6, 25.6, 1.0]
VOXEL_SIZE = [0.8, 0.8, 4.0]
CLASSES = ('vehicle', 'pedestrian', 'truck')


def planar_pose(x: float, y: float, yaw: float) -> torch.Tensor:
    """(4, 4) float32 frame-to-ego matrix: rotation ``yaw`` (rad) about +z, then translation (x, y)."""
    pose = torch.eye(4)
    pose[0, 0], pose[0, 1] = math.cos(yaw), -math.sin(yaw)
    pose[1, 0], pose[1, 1] = math.sin(yaw), math.cos(yaw)
    pose[0, 3], pose[1, 3] = x, y
    return pose


def box_points(box: Sequence[float], num: int, rng: np.random.Generator) -> np.ndarray:
    """``num`` points inside a box ``[x, y, z_bottom, l, w, h, yaw]`` (same frame as the box), (num, 4)."""
    x, y, z, length, width, height, yaw = box
    local = rng.uniform(-0.5, 0.5, size=(num, 3)) * np.array([length, width, height])
    c, s = math.cos(yaw), math.sin(yaw)
    xs = x + c * local[:, 0] - s * local[:, 1]
    ys = y + s * local[:, 0] + c * local[:, 1]
    zs = z + height / 2 + local[:, 2]
    return np.stack([xs, ys, zs, rng.uniform(0, 1, num)], axis=1).astype(np.float32)


def make_packed_sample(num_agents: int = 2, history: int = 2, future: int = 4, seed: int = 0,
                       boxes: Optional[List[List[float]]] = None,
                       labels: Optional[List[int]] = None,
                       velocities: Optional[List[List[float]]] = None,
                       background_points: int = 64) -> dict:
    """One packed sample (contract "Packed sample") of a static-world scene seen by ``num_agents`` agents.

    Boxes are given in the ego frame at t0 (gravity-free bottom centre as LiDARInstance3DBoxes); every agent-frame
    cloud holds the boxes' points transformed into that agent-frame (agents at fixed offsets, objects moving with
    ``velocities`` (m/frame) so history frames differ), plus uniform ground clutter.
    """
    rng = np.random.default_rng(seed)
    boxes = boxes if boxes is not None else [[6.0, 2.0, -1.5, 4.0, 1.8, 1.5, 0.3],
                                             [-8.0, -5.0, -1.5, 0.8, 0.8, 1.7, 0.0]]
    labels = labels if labels is not None else [0, 1][:len(boxes)]
    velocities = velocities if velocities is not None else [[0.5, 0.1], [0.0, -0.2]][:len(boxes)]
    agent_poses = torch.stack([
        torch.stack([planar_pose(7.0 * a, -4.0 * a, 0.4 * a) for _ in range(history)])
        for a in range(num_agents)
    ])  # (A, H, 4, 4) agent-frame-at-t -> ego-frame-at-t0 (static agents for simplicity)
    points = []
    for a in range(num_agents):
        to_agent = torch.linalg.inv(agent_poses[a, 0]).numpy()
        for t in range(history):
            dt = t - (history - 1)  # frames relative to t0 (<= 0)
            cloud = []
            for box, velocity in zip(boxes, velocities):
                moved = list(box)
                moved[0] += velocity[0] * dt
                moved[1] += velocity[1] * dt
                pts = box_points(moved, 40, rng)
                pts[:, :3] = pts[:, :3] @ to_agent[:3, :3].T + to_agent[:3, 3]
                cloud.append(pts)
            clutter = rng.uniform([-25, -25, -2.0, 0], [25, 25, -1.8, 1],
                                  size=(background_points, 4)).astype(np.float32)
            cloud.append(clutter)
            points.append(torch.from_numpy(np.concatenate(cloud)))
    box_tensor = torch.tensor(boxes, dtype=torch.float32).reshape(-1, 7)
    vel = torch.tensor(velocities, dtype=torch.float32).reshape(-1, 2)
    steps = torch.arange(1, future + 1, dtype=torch.float32)
    future_traj = box_tensor[:, None, :2] + vel[:, None, :] * steps[None, :, None]
    future_mask = torch.ones(len(boxes), future, dtype=torch.bool)
    if len(boxes) > 1:
        future_mask[1, -1] = False
    gt = InstanceData()
    gt.bboxes_3d = LiDARInstance3DBoxes(box_tensor)
    gt.labels_3d = torch.tensor(labels, dtype=torch.long)
    gt.future_traj = future_traj
    gt.future_mask = future_mask
    data_sample = Det3DDataSample(metainfo=dict(
        sample_idx=seed, num_agents=num_agents, history_frames=history, future_frames=future,
        point_cloud_range=POINT_CLOUD_RANGE, box_type_3d=LiDARInstance3DBoxes))
    data_sample.gt_instances_3d = gt
    inputs = dict(points=points, agent_poses=agent_poses,
                  agent_frame_valid=torch.ones(num_agents, history, dtype=torch.bool),
                  agent_types=torch.tensor([0] + [1 if a % 2 else 0 for a in range(1, num_agents)]))
    return dict(inputs=inputs, data_samples=data_sample)


def tiny_model_cfg(history: int = 2, future: int = 4, channels: int = 16) -> dict:
    """A tiny ``CoopPnPDetector`` config over ``POINT_CLOUD_RANGE`` (64×64 pillars, BEV stride 2 → 32×32)."""
    grid = [int(round((POINT_CLOUD_RANGE[3] - POINT_CLOUD_RANGE[0]) / VOXEL_SIZE[0])),
            int(round((POINT_CLOUD_RANGE[4] - POINT_CLOUD_RANGE[1]) / VOXEL_SIZE[1])), 1]
    return dict(
        type='CoopPnPDetector',
        data_preprocessor=dict(type='CoopDataPreprocessor'),
        trunk=dict(
            type='CoopTrunk',
            bev_encoder=dict(type='ScatterPillarEncoder', in_channels=4, feat_channels=[8],
                             voxel_size=VOXEL_SIZE, point_cloud_range=POINT_CLOUD_RANGE),
            backbone=dict(type='SECOND', in_channels=8, out_channels=[8, 16], layer_nums=[1, 1],
                          layer_strides=[2, 2]),
            neck=dict(type='SECONDFPN', in_channels=[8, 16], out_channels=[channels // 2, channels // 2],
                      upsample_strides=[1, 2]),
            agent_type_embedding=dict(type='AgentTypeEmbedding', channels=channels),
            fusion_neck=dict(
                type='CoopFusionNeck', point_cloud_range=POINT_CLOUD_RANGE,
                temporal_fusion=dict(type='TemporalAttentionFusion', channels=channels,
                                     max_history=history),
                spatial_fusion=dict(type='AgentAttentionFusion', channels=channels))),
        bbox_head=dict(
            type='NoVelocityCenterHead', in_channels=channels,
            tasks=[dict(num_class=len(CLASSES), class_names=list(CLASSES))],
            common_heads=dict(reg=(2, 2), height=(1, 2), dim=(3, 2), rot=(2, 2)),
            share_conv_channel=16,
            bbox_coder=dict(type='CenterPointBBoxCoder', pc_range=POINT_CLOUD_RANGE[:2],
                            post_center_range=[-30, -30, -10, 30, 30, 10], max_num=50,
                            score_threshold=0.0, out_size_factor=2, voxel_size=VOXEL_SIZE[:2],
                            code_size=7),
            separate_head=dict(type='SeparateHead', init_bias=-2.19, final_kernel=3),
            loss_cls=dict(type='mmdet.GaussianFocalLoss', reduction='mean'),
            loss_bbox=dict(type='mmdet.L1Loss', reduction='mean', loss_weight=0.25),
            norm_bbox=True),
        traj_head=dict(type='TrajectoryHead', in_channels=channels, num_future=future,
                       point_cloud_range=POINT_CLOUD_RANGE, feat_channels=16, num_convs=1),
        train_cfg=dict(det=dict(grid_size=grid, voxel_size=VOXEL_SIZE, out_size_factor=2, dense_reg=1,
                                gaussian_overlap=0.1, max_objs=50, min_radius=2,
                                code_weights=[1.0] * 8, point_cloud_range=POINT_CLOUD_RANGE)),
        test_cfg=dict(det=dict(post_center_limit_range=[-30, -30, -10, 30, 30, 10], max_per_img=50,
                               max_pool_nms=False, min_radius=[4.0], score_threshold=0.0,
                               out_size_factor=2, voxel_size=VOXEL_SIZE[:2], nms_type='circle',
                               pre_max_size=200, post_max_size=50, nms_thr=0.2,
                               pc_range=POINT_CLOUD_RANGE[:2])))
