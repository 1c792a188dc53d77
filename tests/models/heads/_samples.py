"""Shared by the trajectory-head tests: a data sample with hand-placed ground-truth objects and tracks."""
import torch
from mmengine.structures import InstanceData

from mmdet3d.structures import Det3DDataSample, LiDARInstance3DBoxes


def sample_with(centres, future, mask, past=None, past_mask=None) -> Det3DDataSample:
    """Unit boxes at ``centres`` (N, 2) with future tracks ``future`` (N, F, 2) / ``mask`` (N, F) and, if given, past
    tracks ``past`` (N, H, 2) / ``past_mask`` (N, H), all in the ego frame."""
    gt = InstanceData()
    boxes = torch.zeros(len(centres), 7)
    boxes[:, :2] = torch.tensor(centres)
    boxes[:, 3:6] = 1.0
    gt.bboxes_3d = LiDARInstance3DBoxes(boxes)
    gt.labels_3d = torch.zeros(len(centres), dtype=torch.long)
    gt.future_traj = torch.tensor(future, dtype=torch.float32)
    gt.future_mask = torch.tensor(mask)
    if past is not None:
        gt.past_traj = torch.tensor(past, dtype=torch.float32)
        gt.past_mask = torch.tensor(past_mask)
    sample = Det3DDataSample()
    sample.gt_instances_3d = gt
    return sample
