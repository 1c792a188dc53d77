"""Move a sample's labels (ego frame at t0, built by ``V2XPnPSeqDataset.parse_ann_info``) into the ``gt_*`` keys.

Output keys (N objects, H history slots, F future slots; all in the **ego frame at t0**):
``gt_bboxes_3d`` LiDARInstance3DBoxes (N, 7) bottom centre, ``gt_labels_3d`` (N,) int64,
``gt_future_traj`` (N, F, 2) float32 + ``gt_future_mask`` (N, F) bool (centre at t0+kΔ),
``gt_past_traj`` (N, H, 2) float32 + ``gt_past_mask`` (N, H) bool (centre at t0-(H-1)Δ … t0),
``gt_obj_ids`` (N,) int64. A masked step holds 0 and must not be used.
"""
import copy

from mmcv.transforms import BaseTransform

from mmdet3d.registry import TRANSFORMS

#: per-object keys that every label-editing transform (augmentation, filters) keeps aligned
GT_OBJECT_KEYS = ('gt_bboxes_3d', 'gt_labels_3d', 'gt_future_traj', 'gt_future_mask', 'gt_past_traj',
                  'gt_past_mask', 'gt_obj_ids')


@TRANSFORMS.register_module()
class LoadCoopAnnotations(BaseTransform):
    """Copy ``ann_info`` (training) — or ``eval_ann_info`` in test mode — into the ``gt_*`` keys.

    Raises a ``KeyError`` that says why when the dataset was built with ``load_labels=False``.
    """

    def transform(self, results: dict) -> dict:
        ann = results.get('ann_info') or results.get('eval_ann_info')
        if ann is None:
            raise KeyError(f'{self.__class__.__name__}: sample {results.get("scenario")}/{results.get("frame")} '
                           'has no annotations (dataset built with load_labels=False?); remove this transform '
                           'from label-free pipelines')
        for key in GT_OBJECT_KEYS:
            results[key] = copy.deepcopy(ann[key])
        return results
