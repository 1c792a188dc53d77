import pytest
import torch

from projects.TurboTrain.turbotrain.models.necks import TemporalAttentionFusion, TemporalConvFusion

torch.set_num_threads(1)


@pytest.mark.parametrize('reduce_channels, hidden_channels', [(None, None), (2, 3)])
def test_untrained_module_is_the_masked_mean_of_the_frames(reduce_channels, hidden_channels):
    torch.manual_seed(0)
    fusion = TemporalConvFusion(channels=4, max_history=3, reduce_channels=reduce_channels,
                                hidden_channels=hidden_channels).eval()
    features = torch.randn(2, 3, 4, 5, 6)
    valid = torch.ones(2, 3, 5, 6, dtype=torch.bool)
    valid[0, 0] = False  # agent 0 misses its oldest frame
    valid[1, :, :2] = False  # agent 1 sees the first two rows in no frame
    fused, cell_valid = fusion(features, valid)
    assert fused.shape == (2, 4, 5, 6) and cell_valid.shape == (2, 5, 6)
    expected = torch.stack([features[0, 1:].mean(0), features[1].mean(0)])
    expected[1, :, :2] = 0
    assert torch.allclose(fused, expected, atol=1e-6)
    assert not cell_valid[1, :2].any() and cell_valid[0].all()


@pytest.mark.parametrize('reduce_channels, hidden_channels', [(None, None), (3, 5)])
def test_missing_frames_are_ignored_after_training_too(reduce_channels, hidden_channels):
    torch.manual_seed(1)
    fusion = TemporalConvFusion(channels=4, max_history=3, num_convs=1, reduce_channels=reduce_channels,
                                hidden_channels=hidden_channels).eval()
    torch.nn.init.normal_(fusion.out_conv.weight)  # as if trained: the convolution contributes
    features = torch.randn(1, 3, 4, 5, 5)
    valid = torch.ones(1, 3, 5, 5, dtype=torch.bool)
    valid[0, 0] = False
    valid[0, 1, :, :2] = False
    fused, _ = fusion(features, valid)
    changed = features.clone()
    changed[0, 0] = float('nan')  # never read: missing frame
    changed[0, 1, :, :, :2] = 1e6  # never read: not covered
    assert torch.equal(fused, fusion(changed, valid)[0])
    # a 2-frame history is the 3-frame one with its oldest frame missing (same age slots)
    assert torch.allclose(fused, fusion(features[:, 1:], valid[:, 1:])[0], atol=1e-6)


def test_hand_set_kernel_reads_the_past_frame_of_the_neighbouring_cell():
    # num_convs=0: fused = mean + out_conv(stack). Set out_conv so that output channel 0 at (r, c) adds channel 0 of
    # age slot 1 (the previous frame) at (r, c - 1): where the object was one frame ago, one cell to the left.
    channels, history = 2, 3
    fusion = TemporalConvFusion(channels=channels, max_history=history, num_convs=0).eval()
    with torch.no_grad():
        fusion.out_conv.weight[0, 1 * (channels + 1) + 0, 1, 0] = 1.0  # input channel of slot 1, kernel (dy 0, dx -1)
    features = torch.zeros(1, history, channels, 1, 4)
    features[0, 1, 0, 0, 1] = 5.0  # frame 1 (age 1): a feature at column 1
    valid = torch.ones(1, history, 1, 4, dtype=torch.bool)
    fused, _ = fusion(features, valid)
    expected = features[0].mean(0)
    expected[0, 0, 2] += 5.0
    assert torch.allclose(fused[0], expected)
    # the same feature in the current frame (age 0) is not read by that kernel entry
    moved = torch.zeros_like(features)
    moved[0, 2, 0, 0, 1] = 5.0
    assert torch.allclose(fusion(moved, valid)[0][0], moved[0].mean(0))


def test_sees_a_displacement_between_frames_that_per_cell_attention_cannot():
    torch.manual_seed(2)
    conv = TemporalConvFusion(channels=4, max_history=3)
    torch.nn.init.normal_(conv.out_conv.weight)
    attention = TemporalAttentionFusion(channels=4, max_history=3)
    for fusion, sees_neighbour in ((conv, True), (attention, False)):
        features = torch.randn(1, 3, 4, 5, 5, requires_grad=True)
        valid = torch.ones(1, 3, 5, 5, dtype=torch.bool)
        fused, _ = fusion.eval()(features, valid)
        fused[0, :, 2, 2].sum().backward()
        past_neighbour = features.grad[0, 0, :, 2, 3].abs().sum()  # oldest frame, the cell to the right
        assert (past_neighbour > 0) == sees_neighbour


def test_rejects_longer_history_and_even_kernels():
    fusion = TemporalConvFusion(channels=2, max_history=2)
    with pytest.raises(AssertionError, match='max_history=2'):
        fusion(torch.zeros(1, 3, 2, 2, 2), torch.ones(1, 3, 2, 2, dtype=torch.bool))
    with pytest.raises(AssertionError, match='odd'):
        TemporalConvFusion(channels=2, kernel_size=2)
    empty, empty_valid = fusion(torch.zeros(0, 2, 2, 3, 3), torch.zeros(0, 2, 3, 3, dtype=torch.bool))
    assert empty.shape == (0, 2, 3, 3) and empty_valid.shape == (0, 3, 3)


def test_reduction_and_hidden_width_set_the_layer_shapes():
    fusion = TemporalConvFusion(channels=8, max_history=3, num_convs=2, reduce_channels=2, hidden_channels=5)
    assert fusion.reduce.conv.weight.shape == (2, 8, 1, 1)
    assert fusion.convs[0].conv.weight.shape == (5, 3 * (2 + 1), 3, 3)  # 3 age slots × (2 channels + coverage)
    assert fusion.convs[1].conv.weight.shape == (5, 5, 3, 3)
    assert fusion.out_conv.weight.shape == (8, 5, 3, 3)
    plain = TemporalConvFusion(channels=8, max_history=3)
    assert plain.reduce is None and plain.convs[0].conv.weight.shape == (8, 3 * 9, 3, 3)
