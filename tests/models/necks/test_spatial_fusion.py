import torch

from projects.TurboTrain.turbotrain.models.necks import AgentAttentionFusion

torch.set_num_threads(1)


def test_absent_agent_changes_nothing():
    torch.manual_seed(0)
    fusion = AgentAttentionFusion(channels=8, num_heads=2).eval()
    features = torch.randn(1, 2, 8, 4, 4)
    valid = torch.ones(1, 2, 4, 4, dtype=torch.bool)
    valid[0, 1, :, :2] = False  # the cooperator sees half of the grid
    types = torch.tensor([[0, 1]])
    fused, cell_valid = fusion(features, valid, types)
    padded = torch.cat([features, torch.full((1, 1, 8, 4, 4), 1e3)], dim=1)
    padded_valid = torch.cat([valid, torch.zeros(1, 1, 4, 4, dtype=torch.bool)], dim=1)
    fused_padded, _ = fusion(padded, padded_valid, torch.tensor([[0, 1, 1]]))
    assert torch.allclose(fused, fused_padded, atol=1e-6)
    assert cell_valid.all()


def test_agent_type_changes_the_fusion_and_ego_alone_is_stable():
    torch.manual_seed(0)
    fusion = AgentAttentionFusion(channels=4).eval()
    features = torch.randn(1, 2, 4, 2, 2)
    valid = torch.ones(1, 2, 2, 2, dtype=torch.bool)
    vehicle, _ = fusion(features, valid, torch.tensor([[0, 0]]))
    infrastructure, _ = fusion(features, valid, torch.tensor([[0, 1]]))
    assert not torch.allclose(vehicle, infrastructure)
    # a cell seen only by a cooperator (ego blind) is still fused, a cell seen by nobody is zero
    valid[0, 0, 0, 0] = False
    valid[0, :, 1, 1] = False
    fused, cell_valid = fusion(features, valid, torch.tensor([[0, 1]]))
    assert cell_valid[0, 0, 0] and not cell_valid[0, 1, 1]
    assert (fused[0, :, 1, 1] == 0).all() and fused[0, :, 0, 0].abs().sum() > 0
