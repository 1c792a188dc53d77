"""Batching of cooperative samples (agents × history frames) into the contract's batched model input."""
from typing import List, Optional, Sequence

import torch
from mmengine.dataset import pseudo_collate
from mmengine.model import BaseDataPreprocessor
from mmengine.registry import FUNCTIONS
from torch import Tensor

from mmdet3d.registry import MODELS

INPUT_KEYS = ('points', 'agent_poses', 'agent_frame_valid', 'agent_types')


@FUNCTIONS.register_module()
def coop_collate(data_batch: Sequence[dict]) -> dict:
    """Collate packed cooperative samples without transposing their per-agent-frame point lists.

    mmengine's ``pseudo_collate`` transposes nested lists (``points[k][b]``) and refuses samples with different
    numbers of agents. This keeps ``inputs`` as a list of per-sample dicts (any number of agents each) and
    pseudo-collates ``data_samples``. Use with ``collate_fn=dict(type='coop_collate')``.
    """
    return dict(inputs=[sample['inputs'] for sample in data_batch],
                data_samples=pseudo_collate([sample['data_samples'] for sample in data_batch]))


def split_samples(inputs) -> List[dict]:
    """Per-sample input dicts from either collate form.

    * ``coop_collate``: a list of per-sample dicts (returned as is);
    * ``pseudo_collate``: a dict of lists; ``points`` arrives transposed (``points[k][b]``, k = a·T + t), which is
      undone here (this form requires the same number of agent-frames in every sample of the batch).
    """
    if isinstance(inputs, (list, tuple)):
        return list(inputs)
    batch = len(inputs['agent_poses'])
    samples = [dict() for _ in range(batch)]
    for key in INPUT_KEYS:
        for index in range(batch):
            if key == 'points':
                samples[index][key] = [per_frame[index] for per_frame in inputs['points']]
            else:
                samples[index][key] = inputs[key][index]
    return samples


@MODELS.register_module()
class CoopDataPreprocessor(BaseDataPreprocessor):
    """Pad B samples to ``A_max`` agents and move everything to the model's device.

    Input (per sample, contract "Packed sample"): ``points`` list of ``A·H`` clouds ``(N_i, 4)`` (agent-major, each
    in agent-frame-at-t), ``agent_poses`` ``(A, H, 4, 4)`` (agent-frame-at-t → ego-frame-at-t0),
    ``agent_frame_valid`` ``(A, H)``, ``agent_types`` ``(A,)``.

    Output ``inputs`` (contract "Batched model input"): ``points`` list of ``B·A_max·H`` clouds in order (b, a, t)
    (padded slots: empty ``(0, 4)``), ``agent_poses`` ``(B, A_max, H, 4, 4)`` (identity for padding),
    ``agent_frame_valid`` ``(B, A_max, H)``, ``agent_types`` ``(B, A_max)`` (0 for padding),
    ``agent_valid`` ``(B, A_max)``. ``data_samples`` are moved to the device and otherwise passed through.
    Voxelisation, when a configuration uses it, happens inside the BEV encoder (``VoxelBEVEncoder``).

    Args:
        point_dim (int): columns of a point (used for empty padded clouds).
        non_blocking (bool): asynchronous host → device copies.
    """

    def __init__(self, point_dim: int = 4, non_blocking: bool = False) -> None:
        super().__init__(non_blocking=non_blocking)
        self.point_dim = point_dim

    def forward(self, data: dict, training: bool = False) -> dict:
        """``dict(inputs=…, data_samples=…)`` from a collate function → ``dict(inputs=batched, data_samples=…)``."""
        samples = split_samples(data['inputs'])
        batched = self.batch_inputs(samples)
        data_samples = data.get('data_samples')
        if data_samples is not None:
            data_samples = self.cast_data(data_samples)
        return dict(inputs=batched, data_samples=data_samples)

    def batch_inputs(self, samples: List[dict]) -> dict:
        """Per-sample input dicts → padded batched input on ``self.device``."""
        device = self.device
        batch = len(samples)
        num_agents = [int(torch.as_tensor(s['agent_types']).numel()) for s in samples]
        frames = {int(torch.as_tensor(s['agent_frame_valid']).shape[1]) for s in samples}
        assert len(frames) == 1, f'all samples of a batch need the same history length, got {frames}'
        frames = frames.pop()
        max_agents = max(num_agents)

        poses = torch.eye(4, device=device).repeat(batch, max_agents, frames, 1, 1)
        frame_valid = torch.zeros(batch, max_agents, frames, dtype=torch.bool, device=device)
        agent_types = torch.zeros(batch, max_agents, dtype=torch.long, device=device)
        agent_valid = torch.zeros(batch, max_agents, dtype=torch.bool, device=device)
        points: List[Optional[Tensor]] = []
        for index, (sample, agents) in enumerate(zip(samples, num_agents)):
            assert len(sample['points']) == agents * frames, 'points must hold A·H clouds'
            poses[index, :agents] = torch.as_tensor(sample['agent_poses']).to(device, torch.float32)
            frame_valid[index, :agents] = torch.as_tensor(sample['agent_frame_valid']).to(device).bool()
            agent_types[index, :agents] = torch.as_tensor(sample['agent_types']).to(device).long()
            agent_valid[index, :agents] = True
            for cloud in sample['points']:
                points.append(torch.as_tensor(cloud).to(device, torch.float32, non_blocking=self._non_blocking))
            empty = torch.zeros(0, self.point_dim, device=device)
            points.extend([empty] * ((max_agents - agents) * frames))
        return dict(points=points, agent_poses=poses, agent_frame_valid=frame_valid,
                    agent_types=agent_types, agent_valid=agent_valid)
