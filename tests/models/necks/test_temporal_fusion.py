import torch

from projects.TurboTrain.turbotrain.models.necks import TemporalAttentionFusion

torch.set_num_threads(1)


def test_missing_frames_are_ignored_and_shapes():
    torch.manual_seed(0)
    fusion = TemporalAttentionFusion(channels=8, max_history=3, num_heads=2).eval()
    features = torch.randn(2, 3, 8, 5, 6)
    valid = torch.ones(2, 3, 5, 6, dtype=torch.bool)
    valid[0, 0] = False  # agent 0 misses its oldest frame
    valid[1, :, :2] = False  # agent 1 sees the first two rows in no frame
    fused, cell_valid = fusion(features, valid)
    assert fused.shape == (2, 8, 5, 6) and cell_valid.shape == (2, 5, 6)
    changed = features.clone()
    changed[0, 0] = 1e3  # garbage in the missing frame
    changed[1, :, :, :2] = -1e3  # garbage where nobody sees
    fused_changed, _ = fusion(changed, valid)
    assert torch.allclose(fused, fused_changed)
    assert (fused[1, :, :2] == 0).all() and not cell_valid[1, :2].any()


def test_fewer_history_frames_equal_dropping_missing_ones():
    torch.manual_seed(1)
    fusion = TemporalAttentionFusion(channels=4, max_history=3).eval()
    features = torch.randn(1, 3, 4, 2, 2)
    valid = torch.ones(1, 3, 2, 2, dtype=torch.bool)
    valid[:, 0] = False
    full, _ = fusion(features, valid)
    # the same two most recent frames given as a 2-frame history (ages 1, 0 are the same)
    short, _ = fusion(features[:, 1:], valid[:, 1:])
    assert torch.allclose(full, short, atol=1e-6)
    single, single_valid = fusion(features[:, 2:], valid[:, 2:])
    assert single_valid.all() and torch.isfinite(single).all()


def test_gradients_are_finite_with_unseen_cells():
    fusion = TemporalAttentionFusion(channels=4, max_history=2)
    features = torch.randn(1, 2, 4, 3, 3, requires_grad=True)
    valid = torch.zeros(1, 2, 3, 3, dtype=torch.bool)
    valid[0, 1, 1, 1] = True
    fused, _ = fusion(features, valid)
    fused.sum().backward()
    assert torch.isfinite(features.grad).all()
    assert features.grad[0, 0].abs().sum() == 0  # frame 0 is invalid everywhere
