"""Cooperative trunk: per-agent-frame BEV encoding → SECOND → SECONDFPN → agent-type embedding → fusion neck."""
from typing import Dict, Optional

import torch
from mmengine.model import BaseModule
from torch import Tensor

from mmdet3d.registry import MODELS
from ..necks.channel_compressor import message_bytes


@MODELS.register_module()
class CoopTrunk(BaseModule):
    """Every parameter shared by the tasks (detection, prediction, reconstruction) lives here.

    Pipeline (contract, "Trunk and heads"):

    1. ``bev_encoder`` (``ScatterPillarEncoder`` or ``VoxelBEVEncoder``): the clouds of all *valid* agent-frames of
       the batch, encoded together → ``(N_valid, C0, ny, nx)``, each in its agent-frame-at-t;
    2. ``backbone`` (mmdet3d ``SECOND``) and ``neck`` (mmdet3d ``SECONDFPN``, optional) → ``(N_valid, C, H, W)``;
    3. ``compressor`` (``ChannelCompressor``, optional): the cooperators' maps (agents ≥ 1) are encoded into the
       message they transmit and decoded by the receiver; the ego's own maps are not transmitted;
    4. ``agent_type_embedding`` (``AgentTypeEmbedding``, optional): + embedding of the agent's type (known to the
       receiver, so added after transmission);
    5. ``fusion_neck`` (``CoopFusionNeck``): warp into the ego grid at t0, temporal then spatial fusion.

    Padded agents and missing frames are never encoded.

    Args:
        bev_encoder (dict): points → BEV pseudo-image.
        backbone (dict): 2D BEV backbone (multi-scale tuple output).
        fusion_neck (dict): cooperative fusion neck.
        neck (dict, optional): multi-scale → one map (its first output is used); without it the last backbone
            level is used.
        agent_type_embedding (dict, optional).
        compressor (dict, optional): ``ChannelCompressor`` of the transmitted maps; without it a cooperator sends its
            neck output as it is (``C·H·W`` values at the feature dtype).
    """

    def __init__(self, bev_encoder: dict, backbone: dict, fusion_neck: dict, neck: Optional[dict] = None,
                 agent_type_embedding: Optional[dict] = None, compressor: Optional[dict] = None,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.bev_encoder = MODELS.build(bev_encoder)
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck) if neck is not None else None
        self.agent_type_embedding = (
            MODELS.build(agent_type_embedding) if agent_type_embedding is not None else None)
        self.fusion_neck = MODELS.build(fusion_neck)
        self.compressor = MODELS.build(compressor) if compressor is not None else None

    @staticmethod
    def valid_agent_frames(inputs: dict) -> Tensor:
        """``(B, A, T)`` bool: frame valid and agent not padding."""
        frame_valid = inputs['agent_frame_valid'].bool()
        if 'agent_valid' in inputs:
            frame_valid = frame_valid & inputs['agent_valid'].bool()[:, :, None]
        return frame_valid

    def encode_agent_frames(self, inputs: dict) -> Dict[str, Tensor]:
        """BEV features of every agent-frame, each in its own frame (agent-frame-at-t).

        Args:
            inputs (dict): batched model input (contract: ``points`` list of ``B·A·T`` clouds in order (b, a, t),
                ``agent_frame_valid`` ``(B, A, T)``, ``agent_types`` ``(B, A)``, ``agent_valid`` ``(B, A)``).

        Returns:
            dict[str, Tensor]: ``features`` ``(B, A, T, C, H, W)`` (zeros at invalid agent-frames),
            ``frame_valid`` ``(B, A, T)`` bool and ``message_bytes`` ``(B, A, T)`` int64, the bytes each
            cooperator agent-frame transmits (its map after compression, at the transmitted dtype; 0 for the ego's own
            frames and for invalid ones).
        """
        frame_valid = self.valid_agent_frames(inputs)
        batch, agents, frames = frame_valid.shape
        valid_ids = frame_valid.flatten().nonzero(as_tuple=True)[0]
        clouds = [inputs['points'][index] for index in valid_ids.tolist()]
        features = self.bev_encoder(clouds)
        features = self.backbone(features)
        features = self.neck(features)[0] if self.neck is not None else features[-1]
        sent = torch.div(valid_ids, frames, rounding_mode='floor') % agents > 0  # cooperators' frames
        per_map = message_bytes(features.shape[1:], features.dtype)
        rows = sent.nonzero(as_tuple=True)[0]
        if self.compressor is not None and len(rows):
            decoded, message = self.compressor(features[rows])
            features = features.index_put((rows, ), decoded)
            per_map = message_bytes(message.shape[1:], message.dtype)  # what actually crossed the channel
        sent_bytes = torch.zeros(batch * agents * frames, dtype=torch.int64, device=features.device)
        sent_bytes[valid_ids[sent]] = per_map
        if self.agent_type_embedding is not None:
            types = inputs['agent_types'][:, :, None].expand(batch, agents, frames).flatten()
            features = self.agent_type_embedding(features, types[valid_ids])
        dense = features.new_zeros(batch * agents * frames, *features.shape[1:])
        dense = dense.index_put((valid_ids, ), features)
        return dict(features=dense.view(batch, agents, frames, *features.shape[1:]),
                    frame_valid=frame_valid, message_bytes=sent_bytes.view(batch, agents, frames))

    def fuse(self, features: Tensor, inputs: dict) -> Dict[str, Tensor]:
        """Fusion neck on per-agent-frame ``features (B, A, T, C, H, W)`` → dict with ``bev (B, C, H, W)`` (ego frame
        at t0) and the neck's masks (see ``CoopFusionNeck.forward``)."""
        return self.fusion_neck(features, inputs['agent_poses'], self.valid_agent_frames(inputs),
                                inputs['agent_types'], inputs.get('agent_valid'))

    def forward(self, inputs: dict) -> Dict[str, Tensor]:
        """Batched model input → ``dict(bev=(B, C, H, W), bev_valid=(B, H, W), …)`` in the ego frame at t0, with
        ``message_bytes`` ``(B, A, T)`` (see :meth:`encode_agent_frames`)."""
        encoded = self.encode_agent_frames(inputs)
        fused = self.fuse(encoded['features'], inputs)
        fused['message_bytes'] = encoded['message_bytes']
        return fused
