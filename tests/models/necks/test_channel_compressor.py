"""ChannelCompressor: message shapes, dtypes and byte counts by hand; gradients reach the encoder."""
import pytest
import torch

from mmdet3d.registry import MODELS
from projects.TurboTrain.turbotrain.models.necks import ChannelCompressor, message_bytes

torch.set_num_threads(1)


def test_message_bytes_by_hand():
    assert message_bytes((32, 64, 64), torch.float32) == 32 * 64 * 64 * 4 == 524_288
    assert message_bytes((384, 128, 128), torch.float32) == 25_165_824  # OpenCOOD's H·W·C·4 by hand
    assert message_bytes((8, 64, 64), torch.float16) == 65_536


def test_compressed_message_and_round_trip():
    torch.manual_seed(0)
    compressor = MODELS.build(dict(type='ChannelCompressor', channels=32, ratio=4, transmit_dtype='float16'))
    features = torch.rand(3, 32, 10, 12, requires_grad=True)
    decoded, message = compressor(features)
    assert message.shape == (3, 8, 10, 12) and message.dtype == torch.float16
    assert decoded.shape == features.shape and decoded.dtype == torch.float32
    assert (decoded >= 0).all()  # ReLU output, like the trunk's maps
    assert message_bytes(message.shape[1:], message.dtype) == 8 * 10 * 12 * 2
    decoded.sum().backward()
    assert compressor.encoder[0].weight.grad.abs().sum() > 0 and features.grad.abs().sum() > 0


def test_ratio_one_is_a_cast_without_parameters():
    compressor = ChannelCompressor(ratio=1, transmit_dtype='bfloat16')  # channels not needed without layers
    assert len(list(compressor.parameters())) == 0
    features = torch.tensor([[[[1.0, 1.0 + 2 ** -10]]]]).expand(1, 16, 1, 2)
    decoded, message = compressor(features)
    assert message.dtype == torch.bfloat16 and torch.equal(decoded, torch.ones(1, 16, 1, 2))  # rounded in transit
    assert message_bytes(message.shape[1:], message.dtype) == 16 * 1 * 2 * 2
    assert torch.equal(ChannelCompressor(channels=16)(features)[0], features)  # float32: the identity


def test_bad_arguments():
    with pytest.raises(ValueError, match='divide'):
        ChannelCompressor(channels=30, ratio=4)
    with pytest.raises(ValueError, match='divide'):
        ChannelCompressor(ratio=2)
    with pytest.raises(ValueError, match='transmit_dtype'):
        ChannelCompressor(channels=32, transmit_dtype='int8')
    with pytest.raises(ValueError, match='expected 32 channels'):
        ChannelCompressor(channels=32)(torch.zeros(1, 16, 2, 2))
