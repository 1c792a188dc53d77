"""What a cooperator transmits: its BEV feature map, optionally compressed along channels and/or cast to a
narrower dtype (docs/contract.md, "Communication").

``encode`` runs on the cooperator: a 1×1 convolution ``C → C / ratio`` (+ BatchNorm), then a cast to
``transmit_dtype`` — the result is the message, whose ``numel · itemsize`` bytes cross the channel. ``decode`` runs
on the receiver: cast back, 1×1 convolution ``C / ratio → C`` + BatchNorm + ReLU (the trunk's maps are ReLU
outputs). ``ratio=1`` has no layers at all (only the cast), so it loads any checkpoint unchanged; ``ratio > 1`` is
learned by fine-tuning with it in the config. Casts are differentiable, so training sees the rounding.
"""
from typing import Optional, Tuple

import torch
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmdet3d.registry import MODELS

TRANSMIT_DTYPES = dict(float32=torch.float32, float16=torch.float16, bfloat16=torch.bfloat16)


def message_bytes(shape: Tuple[int, ...], dtype: torch.dtype) -> int:
    """Bytes of one message of ``shape`` (e.g. ``(C, H, W)``) at ``dtype``: ``C·H·W·itemsize``."""
    count = 1
    for size in shape:
        count *= int(size)
    return count * torch.empty((), dtype=dtype).element_size()


@MODELS.register_module()
class ChannelCompressor(BaseModule):
    """Learned channel compression of the cooperators' shared BEV maps (see module docstring).

    Args:
        channels: C, channels of the shared map (the trunk neck's output); may be None when ``ratio=1``.
        ratio: C / channels sent; must divide C. 1 = no learned layers.
        transmit_dtype: 'float32', 'float16' or 'bfloat16', the dtype of the message.
        norm_cfg: normalisation after each 1×1 convolution.
    """

    def __init__(self, channels: Optional[int] = None, ratio: int = 1, transmit_dtype: str = 'float32',
                 norm_cfg: dict = dict(type='BN2d', eps=1e-3, momentum=0.01), init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if ratio < 1 or (ratio > 1 and (channels is None or channels % ratio)):
            raise ValueError(f'ChannelCompressor: ratio must be >= 1 and divide channels={channels}, got {ratio}')
        if transmit_dtype not in TRANSMIT_DTYPES:
            raise ValueError(f'ChannelCompressor: transmit_dtype must be one of {sorted(TRANSMIT_DTYPES)}, '
                             f'got {transmit_dtype!r}')
        self.channels = None if channels is None else int(channels)
        self.ratio = int(ratio)
        self.transmit_dtype = TRANSMIT_DTYPES[transmit_dtype]
        if self.ratio > 1:
            sent = self.channels // self.ratio
            self.encoder = nn.Sequential(nn.Conv2d(channels, sent, 1, bias=False), build_norm_layer(norm_cfg, sent)[1])
            self.decoder = nn.Sequential(nn.Conv2d(sent, channels, 1, bias=False),
                                         build_norm_layer(norm_cfg, channels)[1], nn.ReLU(inplace=True))
        else:
            self.encoder = self.decoder = None

    def encode(self, features: Tensor) -> Tensor:
        """``(N, C, H, W)`` → message ``(N, C / ratio, H, W)`` at ``transmit_dtype``."""
        if self.channels is not None and features.shape[1] != self.channels:
            raise ValueError(f'ChannelCompressor: expected {self.channels} channels, got {features.shape[1]}')
        if self.encoder is not None:
            features = self.encoder(features)
        return features.to(self.transmit_dtype)

    def decode(self, message: Tensor, dtype: torch.dtype = torch.float32) -> Tensor:
        """Message → ``(N, C, H, W)`` at ``dtype`` (the receiver's compute dtype)."""
        features = message.to(dtype)
        return self.decoder(features) if self.decoder is not None else features

    def forward(self, features: Tensor) -> Tuple[Tensor, Tensor]:
        """``(N, C, H, W)`` → (decoded ``(N, C, H, W)`` at the input dtype, message)."""
        message = self.encode(features)
        return self.decode(message, features.dtype), message
