import copy

import torch

from mmdet3d.registry import MODELS
from tests.models.coop_fakes import make_packed_sample, tiny_model_cfg

torch.set_num_threads(1)


def build_head():
    cfg = tiny_model_cfg()
    head = copy.deepcopy(cfg['bbox_head'])
    head.update(train_cfg=cfg['train_cfg']['det'], test_cfg=cfg['test_cfg']['det'])
    return MODELS.build(head)


def test_targets_have_eight_codes_without_velocity():
    head = build_head()
    gt = make_packed_sample()['data_samples'].gt_instances_3d
    heatmaps, boxes, inds, masks = head.get_targets_single(gt)
    assert boxes[0].shape[1] == 8 and masks[0].sum() == 2
    # first object: (6, 2) -> cell (x (6 + 25.6) / 1.6 = 19.75, y 27.6 / 1.6 = 17.25): index 17·32 + 19
    assert int(inds[0][0]) == 17 * 32 + 19
    assert torch.allclose(boxes[0][0, :2], torch.tensor([0.75, 0.25]), atol=1e-5)
    assert torch.allclose(boxes[0][0, 3:6], torch.log(torch.tensor([4.0, 1.8, 1.5])), atol=1e-5)
    assert heatmaps[0][0, 17, 19] == 1 and heatmaps[0][1].max() == 1


def test_loss_and_predict_on_cpu():
    head = build_head()
    sample = make_packed_sample()['data_samples']
    bev = torch.randn(1, 16, 32, 32)
    losses = head.loss([bev], [sample])
    assert set(losses) == {'task0.loss_heatmap', 'task0.loss_bbox'}
    assert all(torch.isfinite(v) for v in losses.values())
    sum(losses.values()).backward()
    head.eval()
    with torch.no_grad():
        results = head.predict([bev], [sample])
    assert results[0].bboxes_3d.tensor.shape[1] == 7
    assert len(results[0].scores_3d) > 0


def test_init_weights_reaches_the_task_heads():
    head = build_head()
    head.init_weights()
    assert torch.allclose(head.task_heads[0].heatmap[-1].bias, torch.full((3, ), -2.19))
    logits = head([torch.randn(2, 16, 32, 32)])[0][0]['heatmap']
    assert (logits + 2.19).abs().max() < 0.5  # p ≈ 0.1 everywhere at the start
