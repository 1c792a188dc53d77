"""Reconstruction quality of the pretraining model: Chamfer distance and occupancy precision / recall.

Per sample, ``CoopMAE.predict`` gives counts (``recon_metrics``); they are summed over the split here, so the
numbers do not depend on how samples are batched:

* ``chamfer``: mean Chamfer distance over all supervised cells of the split (m² with the default squared
  distance of ``ChamferLoss``, m otherwise).
* ``occ_precision`` / ``occ_recall``: over every ego cell, predicted occupied = ``sigmoid(logit) > threshold``.
* ``masked_recall``: fraction of supervised (masked, occupied) cells predicted occupied — the part that needs
  reconstruction rather than copying what the encoder saw.
"""
from typing import Dict, Iterable, List, Optional, Sequence

from mmengine.evaluator import BaseMetric

from mmdet3d.registry import METRICS

COUNT_KEYS = ('chamfer_sum', 'num_cells', 'tp', 'fp', 'fn', 'masked_tp', 'num_masked_cells')


def summarise_reconstruction(per_sample: Iterable[Dict[str, float]]) -> Dict[str, float]:
    """Sum the per-sample counts and derive ``chamfer``, ``occ_precision``, ``occ_recall``, ``masked_recall``."""
    total = {k: 0.0 for k in COUNT_KEYS}
    for counts in per_sample:
        for k in COUNT_KEYS:
            total[k] += float(counts[k])
    return dict(
        chamfer=total['chamfer_sum'] / max(total['num_cells'], 1.0),
        occ_precision=total['tp'] / max(total['tp'] + total['fp'], 1.0),
        occ_recall=total['tp'] / max(total['tp'] + total['fn'], 1.0),
        masked_recall=total['masked_tp'] / max(total['num_masked_cells'], 1.0),
        num_supervised_cells=total['num_cells'])


@METRICS.register_module()
class ReconstructionMetric(BaseMetric):
    """Evaluator for ``CoopMAE`` (``val_evaluator = dict(type='ReconstructionMetric')``); reads no labels."""

    default_prefix: Optional[str] = 'recon'

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            counts = sample['recon_metrics'] if isinstance(sample, dict) else sample.recon_metrics
            self.results.append({k: float(counts[k]) for k in COUNT_KEYS})

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        return summarise_reconstruction(results)
