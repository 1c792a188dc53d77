"""mmdet3d ``CenterHead`` for 7-DoF boxes (x, y, z, l, w, h, yaw) without velocity."""
from typing import Dict, List, Optional, Tuple

import torch
from mmengine.structures import InstanceData
from torch import Tensor

from mmdet3d.models.dense_heads import CenterHead
from mmdet3d.models.utils import clip_sigmoid
from mmdet3d.registry import MODELS


@MODELS.register_module()
class NoVelocityCenterHead(CenterHead):
    """``CenterHead`` whose regression targets are ``reg(2) height(1) dim(3) rot(2)`` (code size 8, no ``vel``).

    mmdet3d 1.4's ``CenterHead`` builds its targets and its box loss with a velocity term unconditionally (it
    unpacks ``box[7:]`` as ``vx, vy`` and concatenates a ``vel`` prediction), so it cannot train on 7-DoF boxes such
    as V2XPnP's. Prediction already supports no velocity (``CenterPointBBoxCoder`` with ``code_size=7`` and no
    ``vel`` head). This subclass reuses the parent's target drawing (Gaussian heatmap, centre index, offset) by
    handing it the boxes with a zero velocity, then drops the two velocity columns, and computes the box loss over
    the heads in :attr:`regression_heads` only. ``train_cfg['code_weights']`` has 8 entries.

    Config as for ``CenterHead`` with ``common_heads=dict(reg=(2, 2), height=(1, 2), dim=(3, 2), rot=(2, 2))`` and
    ``bbox_coder=dict(type='CenterPointBBoxCoder', code_size=7, ...)``.
    """

    regression_heads = ('reg', 'height', 'dim', 'rot')

    def __init__(self, *args, heatmap_weight_std: Optional[float] = 0.001, **kwargs) -> None:
        """``heatmap_weight_std``: std of the normal init of each task's last heatmap conv (None: keep the
        Kaiming init of ``SeparateHead``); see :meth:`init_weights`. Other arguments as ``CenterHead``."""
        super().__init__(*args, **kwargs)
        self.heatmap_weight_std = heatmap_weight_std

    def init_weights(self) -> None:
        """Initialise the task heads too, so that every heatmap starts at the CenterNet prior p ≈ sigmoid(-2.19).

        ``CenterHead.task_heads`` is an ``nn.ModuleList``, which has no ``init_weights``, so mmengine's recursive
        initialisation never reaches the ``SeparateHead`` s (their heatmap bias stays at PyTorch's default ≈ 0).
        Here they are initialised explicitly (Kaiming convs, heatmap bias ``init_bias``); the last heatmap conv then
        gets small weights (``heatmap_weight_std``) because Kaiming there spreads the initial logits by ~±4 and the
        first Gaussian focal losses run into the thousands.
        """
        super().init_weights()
        for task_head in self.task_heads:
            if not getattr(task_head, 'is_init', False):
                task_head.init_weights()
            if self.heatmap_weight_std is not None:
                torch.nn.init.normal_(task_head.heatmap[-1].weight, std=self.heatmap_weight_std)

    def get_targets_single(self, gt_instances_3d: InstanceData) -> Tuple[List[Tensor]]:
        """Targets of one sample: heatmaps ``(K, H, W)``, boxes ``(max_objs, 8)``, indices, masks per task."""
        boxes = gt_instances_3d.bboxes_3d
        labels = gt_instances_3d.labels_3d
        with_zero_velocity = torch.cat(
            [boxes.tensor[:, :7], boxes.tensor.new_zeros(boxes.tensor.shape[0], 2)], dim=1)
        padded = InstanceData(
            bboxes_3d=type(boxes)(with_zero_velocity, box_dim=9, with_yaw=True),
            labels_3d=labels)
        heatmaps, anno_boxes, inds, masks = super().get_targets_single(padded)
        anno_boxes = [anno_box[:, :8] for anno_box in anno_boxes]
        return heatmaps, anno_boxes, inds, masks

    def loss_by_feat(self, preds_dicts: Tuple[List[dict]],
                     batch_gt_instances_3d: List[InstanceData], *args, **kwargs) -> Dict[str, Tensor]:
        """Gaussian focal loss on the heatmap and weighted L1 on the 8 box codes at the centre cells."""
        heatmaps, anno_boxes, inds, masks = self.get_targets(batch_gt_instances_3d)
        code_weights = self.train_cfg.get('code_weights', [1.0] * 8)
        losses = dict()
        for task_id, preds in enumerate(preds_dicts):
            pred = preds[0]
            heatmap = clip_sigmoid(pred['heatmap'])
            num_positive = heatmaps[task_id].eq(1).float().sum().item()
            losses[f'task{task_id}.loss_heatmap'] = self.loss_cls(
                heatmap, heatmaps[task_id], avg_factor=max(num_positive, 1))

            box_map = torch.cat([pred[name] for name in self.regression_heads], dim=1)  # (B, 8, H, W)
            code_size = box_map.shape[1]
            per_cell = box_map.flatten(2).transpose(1, 2)  # (B, H·W, 8), index = row·W + col
            index = inds[task_id][..., None].expand(-1, -1, code_size)
            predicted = per_cell.gather(1, index)  # (B, max_objs, 8)
            target = anno_boxes[task_id]
            weights = masks[task_id][..., None].float() * (~target.isnan()).float()
            weights = weights * weights.new_tensor(code_weights)
            losses[f'task{task_id}.loss_bbox'] = self.loss_bbox(
                predicted, target.nan_to_num(), weights,
                avg_factor=masks[task_id].float().sum() + 1e-4)
        return losses
