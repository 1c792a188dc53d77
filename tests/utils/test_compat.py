"""The spconv CPU patch: sparse conv trains on a CPU-only torch and matches a dense convolution."""
import pytest
import torch
import torch.nn.functional as F

spconv = pytest.importorskip('spconv.pytorch')

from projects.TurboTrain.turbotrain.utils import compat  # noqa: E402


@pytest.mark.skipif(torch.cuda.is_available(), reason='the patch only applies without CUDA')
def test_unpatched_stream_getter_fails_without_cuda():
    # What spconv's own getter does: this is the call the patch replaces.
    with pytest.raises((RuntimeError, AssertionError)):
        torch.cuda.current_stream().cuda_stream


@pytest.mark.skipif(torch.cuda.is_available(), reason='the patch only applies without CUDA')
def test_patch_applied_on_import():
    import spconv.pytorch.cppcore as cppcore
    import spconv.pytorch.ops as ops
    assert 'spconv.pytorch.ops' in compat.PATCHED_SPCONV_MODULES
    assert ops.get_current_stream() == 0
    assert cppcore.get_current_stream() == 0


def test_no_patch_when_cuda_available(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    assert compat.patch_spconv_for_cpu() == []


def test_submanifold_conv_forward_backward_matches_dense():
    torch.manual_seed(0)
    spatial_shape = [5, 6, 7]
    coords = torch.tensor([[0, 1, 2, 3], [0, 1, 2, 4], [0, 2, 3, 3], [0, 4, 5, 6], [0, 0, 0, 0]],
                          dtype=torch.int32)
    features = torch.randn(len(coords), 3, requires_grad=True)
    conv = spconv.SubMConv3d(3, 4, kernel_size=3, padding=1, bias=False, indice_key='k')
    out = conv(spconv.SparseConvTensor(features, coords, spatial_shape, batch_size=1))

    # Independent computation: dense conv3d, read back at the active sites (submanifold rule).
    dense = torch.zeros(1, 3, *spatial_shape)
    dense[0, :, coords[:, 1].long(), coords[:, 2].long(), coords[:, 3].long()] = features.detach().T
    # spconv stores weights as (out, kD, kH, kW, in).
    weight = conv.weight.detach().permute(0, 4, 1, 2, 3).contiguous()
    dense_out = F.conv3d(dense, weight, padding=1)
    expected = dense_out[0, :, coords[:, 1].long(), coords[:, 2].long(), coords[:, 3].long()].T
    assert torch.allclose(out.features, expected, atol=1e-5)

    out.features.sum().backward()  # the backward pass is where the CUDA stream getter was called
    assert features.grad is not None and features.grad.abs().sum() > 0
    assert conv.weight.grad is not None and conv.weight.grad.abs().sum() > 0
