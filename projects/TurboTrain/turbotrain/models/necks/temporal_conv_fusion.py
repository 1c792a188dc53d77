"""Temporal fusion of one agent's history by a spatial convolution over its frames stacked by age (motion-aware)."""
from typing import Optional, Tuple

import torch
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmdet3d.registry import MODELS
from .temporal_fusion import history_coverage


@MODELS.register_module()
class TemporalConvFusion(BaseModule):
    """Early fusion of an agent's history frames: stack them by age, convolve in space (as Fast and Furious does).

    :class:`TemporalAttentionFusion` mixes the frames cell by cell, so a displacement between frames (an object that
    occupied the cell to the left one frame ago) is invisible to it; only the heads' spatial kernels could recover
    motion afterwards, from features that no longer say which frame saw what. Here every frame keeps its own channels
    until a ``k × k`` convolution has seen all of them together, so the output can encode where an object was in the
    past frames relative to the cell (its velocity).

    Input slots are fixed by age: slot ``a`` (0 = current) holds frame ``T-1-a``; its ``C`` feature channels are zero
    where the frame does not cover the cell, and one extra channel holds that coverage, so "not seen" is never
    confused with an empty place. Histories shorter than ``max_history`` leave the oldest slots empty (zero
    coverage), which is the same input as those frames missing.

    ``fused = (mean over the valid frames + conv(stack)) · any-frame-valid``: the last convolution starts at zero, so
    an untrained module is the masked mean of the frames.

    Cost: the first convolution reads ``max_history·(C'+1)`` channels. At the full size (``C = 384``, 128×128 cells,
    3 frames) that is 87 G multiply-adds per agent, 4.5× the per-cell attention's 19 G, unless the frames are first
    reduced (``reduce_channels``, a shared 1×1 conv + norm + ReLU per frame) and the hidden layers narrowed
    (``hidden_channels``): with 64 and 128, 12 G (0.6×). Counted from the layer shapes, not timed.

    Args:
        channels (int): feature channels ``C`` (in and out).
        max_history (int): largest number of history frames ``T`` accepted (number of age slots).
        kernel_size (int): spatial kernel of every convolution (odd).
        num_convs (int): ``k × k`` conv + norm + ReLU layers before the last (linear) ``k × k`` convolution.
        norm_cfg (dict): norm config of those layers.
        reduce_channels (int, optional): ``C'``, channels of each frame after a shared 1×1 reduction (None: no
            reduction, ``C' = C``).
        hidden_channels (int, optional): width of the hidden layers (None: ``C``).
    """

    def __init__(self, channels: int, max_history: int = 3, kernel_size: int = 3, num_convs: int = 1,
                 norm_cfg: dict = dict(type='BN2d'), reduce_channels: Optional[int] = None,
                 hidden_channels: Optional[int] = None, init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        assert kernel_size % 2 == 1, f'kernel_size={kernel_size} must be odd (the map keeps its size)'
        self.channels = channels
        self.max_history = max_history
        self.reduce = (None if reduce_channels is None else
                       ConvModule(channels, reduce_channels, 1, norm_cfg=norm_cfg, bias=False))
        frame_channels = channels if reduce_channels is None else reduce_channels
        hidden_channels = channels if hidden_channels is None else hidden_channels
        in_channels = max_history * (frame_channels + 1)
        layers = []
        for _ in range(num_convs):
            layers.append(ConvModule(in_channels, hidden_channels, kernel_size, padding=kernel_size // 2,
                                     norm_cfg=norm_cfg, bias=False))
            in_channels = hidden_channels
        self.convs = nn.Sequential(*layers)
        self.out_conv = nn.Conv2d(in_channels, channels, kernel_size, padding=kernel_size // 2)
        nn.init.zeros_(self.out_conv.weight)
        nn.init.zeros_(self.out_conv.bias)

    def stack_by_age(self, features: Tensor, valid: Tensor) -> Tensor:
        """``(N, T, C', H, W)``, ``(N, T, H, W)`` → ``(N, max_history·(C'+1), H, W)``: slot ``a`` = frame ``T-1-a``
        (features zeroed where it is invalid, then its coverage as one channel); slots ``a ≥ T`` are zero."""
        num, frames, channels, height, width = features.shape
        seen = valid[:, :, None]
        by_age = torch.cat([torch.where(seen, features, features.new_zeros(())), seen.to(features.dtype)],
                           dim=2).flip(1)  # (N, T, C'+1, H, W), index 0 = current
        if frames < self.max_history:
            by_age = torch.cat([by_age, by_age.new_zeros(num, self.max_history - frames, channels + 1, height,
                                                         width)], dim=1)
        return by_age.flatten(1, 2)

    def forward(self, features: Tensor, valid: Tensor) -> Tuple[Tensor, Tensor]:
        """Fuse each agent's frames.

        Args:
            features (Tensor): ``(N, T, C, H, W)`` per-agent history, ego frame at t0, frame index 0 = oldest,
                ``T-1`` = current. Values at invalid places are never read.
            valid (Tensor): ``(N, T, H, W)`` bool, True where frame t of the agent covers the cell.

        Returns:
            tuple[Tensor, Tensor]: fused ``(N, C, H, W)`` (ego frame at t0; zero where no frame is valid) and
            ``valid`` ``(N, H, W)`` (any frame valid).
        """
        cell_valid, empty = history_coverage(features, valid, self.max_history)
        if empty is not None:
            return empty, cell_valid
        num, frames = features.shape[:2]
        seen = valid[:, :, None]
        features = torch.where(seen, features, features.new_zeros(()))  # invalid places never reach the output
        mean = features.sum(1) / seen.sum(1).clamp(min=1).to(features.dtype)
        frames_in = features if self.reduce is None else self.reduce(features.flatten(0, 1)).unflatten(
            0, (num, frames))
        fused = mean + self.out_conv(self.convs(self.stack_by_age(frames_in, valid)))
        return fused * cell_valid[:, None].to(fused.dtype), cell_valid
