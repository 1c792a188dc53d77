"""Temporal fusion of one agent's history of BEV maps, per ego cell."""
from typing import Optional, Tuple

import torch
from torch import Tensor

from mmdet3d.registry import MODELS
from .masked_attention import CellAttentionFusion


def history_coverage(features: Tensor, valid: Tensor, max_history: int) -> Tuple[Tensor, Optional[Tensor]]:
    """The input contract every temporal fusion shares: ``features (N, T, C, H, W)`` with ``T ≤ max_history``
    (asserted) and ``valid (N, T, H, W)`` → ``cell_valid (N, H, W)`` (any frame valid) and, for ``N = 0``, the empty
    fused output ``(0, C, H, W)`` to return as it is (None otherwise)."""
    num, frames, channels, height, width = features.shape
    assert frames <= max_history, f'{frames} history frames > max_history={max_history}'
    cell_valid = valid.any(dim=1)
    empty = features.new_zeros(0, channels, height, width) if num == 0 else None
    return cell_valid, empty


@MODELS.register_module()
class TemporalAttentionFusion(CellAttentionFusion):
    """Per-cell attention over an agent's history frames, with a learned time (frame-age) embedding.

    Input maps are already warped into the ego frame at t0, so one cell of every frame describes the same place.
    For each cell, the frames where the agent saw that place are the keys/values (each tagged with the embedding of
    its age ``T-1-t``), the query is their masked mean, and the output is ``mean + W_o · attention`` (1×1
    projections, i.e. per-cell linear maps).

    Why attention rather than stacking frames into a convolution or running a ConvGRU:

    * the number of valid frames varies per agent and per cell (missing frames, partial overlap after warping);
      attention with a key mask ignores a missing frame *exactly* (zero weight), whereas a conv over a zero-filled
      stack sees "empty" as data and a recurrent cell must special-case gaps;
    * it is order-aware through the age embedding yet does not assume a fixed history length (any ``T ≤
      max_history`` works, including ``T = 1``);
    * it is cheap: ``O(T·C²)`` per cell with 1×1 projections and no spatial kernel.

    What it cannot do: see motion. Each cell mixes only its own frames, so an object's displacement between frames
    (about one 1.0 m cell per 0.1 s frame at 10 m/s) is lost before any spatial kernel could measure it, so the
    trajectory head gains little from the history over a single frame (the temporal-fusion study in
    ``docs/experiments/``). :class:`TemporalConvFusion` keeps the frames apart until a spatial convolution has seen
    them and is the one to use for prediction.

    Args:
        channels (int): feature channels ``C``.
        max_history (int): largest number of history frames ``T`` accepted (size of the age embedding).
        num_heads (int): attention heads (``C`` divisible by it).
    """

    def __init__(self, channels: int, max_history: int = 3, num_heads: int = 1,
                 init_cfg=None) -> None:
        super().__init__(channels, num_heads, 'age_embedding', max_history, init_cfg=init_cfg)
        self.max_history = max_history

    def forward(self, features: Tensor, valid: Tensor) -> Tuple[Tensor, Tensor]:
        """Fuse each agent's frames.

        Args:
            features (Tensor): ``(N, T, C, H, W)`` per-agent history, ego frame at t0, frame index 0 = oldest,
                ``T-1`` = current. (Finite) values at invalid places are ignored.
            valid (Tensor): ``(N, T, H, W)`` bool, True where frame t of the agent covers the cell.

        Returns:
            tuple[Tensor, Tensor]: fused ``(N, C, H, W)`` (ego frame at t0; zero where no frame is valid) and
            ``valid`` ``(N, H, W)`` (any frame valid).
        """
        cell_valid, empty = history_coverage(features, valid, self.max_history)
        if empty is not None:
            return empty, cell_valid
        frames = features.shape[1]
        ages = torch.arange(frames - 1, -1, -1, device=features.device)
        tagged = features + self.age_embedding(ages)[None, :, :, None, None]  # (N, T, C, H, W)
        weights = valid[:, :, None].to(tagged.dtype)  # (N, T, 1, H, W)
        mean = (tagged * weights).sum(1) / weights.sum(1).clamp(min=1.0)  # (N, C, H, W)
        return self.fuse(mean, tagged, valid)
