"""spconv's CPU conv kernels run single-threaded (turbotrain's compat patch): exact and deterministic with a
multi-threaded torch, thread count restored afterwards."""
import pytest
import torch

spconv = pytest.importorskip('spconv.pytorch')

from projects.TurboTrain.turbotrain.utils import compat  # noqa: E402


@pytest.fixture
def two_threads():
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(previous)


def test_kernels_wrapped_once():
    import spconv.pytorch.ops as ops
    assert set(compat.SINGLE_THREADED_SPCONV_KERNELS) == {
        'indice_conv', 'indice_conv_backward', 'indice_maxpool', 'indice_maxpool_backward'}
    for name in compat.SINGLE_THREADED_SPCONV_KERNELS:
        assert getattr(getattr(ops, name), '__turbotrain_single_threaded__', False)
    assert compat.patch_spconv_cpu_threads() == []  # idempotent


def test_wrapper_uses_one_thread_on_cpu_and_restores(two_threads):
    seen = []

    def kernel(features, fail=False):
        seen.append(torch.get_num_threads())
        if fail:
            raise ValueError('kernel failed')
        return features

    wrapped = compat._single_threaded_on_cpu(kernel)
    features = torch.zeros(3, 2)
    assert wrapped(features) is features
    with pytest.raises(ValueError):
        wrapped(features, fail=True)
    assert seen == [1, 1]
    assert torch.get_num_threads() == 2


def clustered_voxels(seed: int = 0):
    """~2 k voxels of a 3 × 40 × 40 block, half occupied: every kernel offset has many pairs."""
    generator = torch.Generator().manual_seed(seed)
    z, y, x = torch.meshgrid(torch.arange(3), torch.arange(40), torch.arange(40), indexing='ij')
    coords = torch.stack([torch.zeros_like(z), z, y, x], -1).reshape(-1, 4)
    coords = coords[torch.rand(len(coords), generator=generator) < 0.5].int()
    features = torch.randn(len(coords), 8, generator=generator)
    return coords, features


def reference_submanifold_conv(features, coords, weight):
    """Gather-mm-scatter in torch ops over the 27 neighbours: ``weight`` ``(out, 3, 3, 3, in)`` (spconv layout)."""
    index = {tuple(c): i for i, c in enumerate(coords[:, 1:].tolist())}
    out = features.new_zeros(len(features), weight.shape[0])
    for dz in (-1, 0, 1):
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                pairs = [(index[(z + dz, y + dy, x + dx)], i) for i, (z, y, x) in enumerate(coords[:, 1:].tolist())
                         if (z + dz, y + dy, x + dx) in index]
                source, target = torch.tensor(pairs).T
                out = out.index_add(0, target, features[source] @ weight[:, dz + 1, dy + 1, dx + 1].T)
    return out


def test_submanifold_conv_exact_with_two_threads(two_threads):
    coords, features = clustered_voxels()
    torch.manual_seed(0)
    conv = spconv.SubMConv3d(8, 16, kernel_size=3, padding=1, bias=False, indice_key='k')
    weight = conv.weight.detach().clone().requires_grad_(True)
    expected_in = features.clone().requires_grad_(True)
    expected = reference_submanifold_conv(expected_in, coords, weight)
    expected.square().sum().backward()
    for _ in range(3):
        sparse_in = features.clone().requires_grad_(True)
        conv.zero_grad()
        out = conv(spconv.SparseConvTensor(sparse_in, coords, [3, 40, 40], batch_size=1)).features
        out.square().sum().backward()
        assert torch.allclose(out, expected, atol=1e-4)
        assert torch.allclose(sparse_in.grad, expected_in.grad, atol=1e-3)
        assert torch.allclose(conv.weight.grad, weight.grad, rtol=1e-4, atol=1e-2)
    assert torch.get_num_threads() == 2
