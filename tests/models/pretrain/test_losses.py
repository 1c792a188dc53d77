import math

import pytest
import torch

from projects.TurboTrain.turbotrain.models.pretrain import ChamferLoss, OccupancyLoss, chamfer_distance


def test_chamfer_zero_for_perfect_prediction():
    target = torch.tensor([[[0.1, -0.2, 0.3], [0.0, 0.0, 0.0], [9.0, 9.0, 9.0]]])
    valid = torch.tensor([[True, True, False]])  # the padded slot must be ignored
    pred = torch.tensor([[[0.0, 0.0, 0.0], [0.1, -0.2, 0.3], [0.1, -0.2, 0.3]]])  # any order, duplicates ok
    assert chamfer_distance(pred, target, valid).item() == 0.0
    assert ChamferLoss()(pred, target, valid).item() == 0.0


def test_chamfer_shift_hand_computed():
    target = torch.tensor([[[0.0, 0.0, 0.0], [0.3, 0.0, 0.0]]])
    valid = torch.ones(1, 2, dtype=torch.bool)
    # every point shifted by 0.1 m along x: each side's nearest distance is 0.1 m -> 0.01 + 0.01
    shifted = target + torch.tensor([0.1, 0.0, 0.0])
    assert chamfer_distance(shifted, target, valid).item() == pytest.approx(0.02, abs=1e-7)
    # one predicted point at x = 0.1: pred->target 0.1² = 0.01; target->pred (0.1² + 0.2²)/2 = 0.025
    single = torch.tensor([[[0.1, 0.0, 0.0]]])
    assert chamfer_distance(single, target, valid).item() == pytest.approx(0.035, abs=1e-7)
    # unsquared: 0.1 + (0.1 + 0.2) / 2 = 0.25
    assert chamfer_distance(single, target, valid, squared=False).item() == pytest.approx(0.25, abs=1e-6)
    # the loss is the mean over cells times the weight: cells 0.02 and 0.0 -> 0.01 · 2
    pred = torch.cat([shifted, target])
    loss = ChamferLoss(loss_weight=2.0)(pred, torch.cat([target, target]), torch.ones(2, 2, dtype=torch.bool))
    assert loss.item() == pytest.approx(0.02, abs=1e-7)


def test_chamfer_gradient_and_empty():
    pred = torch.tensor([[[0.1, 0.0, 0.0]]], requires_grad=True)
    target = torch.zeros(1, 1, 3)
    ChamferLoss()(pred, target, torch.ones(1, 1, dtype=torch.bool)).backward()
    # d/dx (x² + x²) = 4x = 0.4
    assert pred.grad[0, 0, 0].item() == pytest.approx(0.4, abs=1e-6)
    empty_pred = torch.zeros(0, 4, 3, requires_grad=True)
    loss = ChamferLoss()(empty_pred, torch.zeros(0, 2, 3), torch.zeros(0, 2, dtype=torch.bool))
    assert loss.item() == 0.0 and loss.requires_grad


def test_occupancy_bce():
    target = torch.tensor([[[True, False], [False, True]]])
    perfect = torch.where(target, 30.0, -30.0)
    assert OccupancyLoss()(perfect, target).item() < 1e-12
    assert OccupancyLoss()(torch.zeros(1, 2, 2), target).item() == pytest.approx(math.log(2.0), rel=1e-6)
    # wrong everywhere at |logit| = 2: log(1 + e²)
    wrong = torch.where(target, -2.0, 2.0)
    assert OccupancyLoss(loss_weight=0.5)(wrong, target).item() == pytest.approx(0.5 * math.log1p(math.e**2),
                                                                                 rel=1e-6)
    # valid mask: only the two correct cells count -> ~0
    mixed = torch.tensor([[[30.0, 2.0], [2.0, 30.0]]])
    valid = target.clone()
    assert OccupancyLoss()(mixed, target, valid).item() < 1e-12
    # pos_weight scales the positive term: one positive at logit 0 with pos_weight 3 -> 3 ln2 over 1 cell
    assert OccupancyLoss(pos_weight=3.0)(torch.zeros(1, 1, 1), torch.ones(1, 1, 1)).item() == pytest.approx(
        3 * math.log(2.0), rel=1e-6)
