"""``V2XPnPMetric``: detection AP, trajectory ADE/FDE/MR and end-to-end prediction accuracy (EPA).

All boxes and trajectories are in the ego frame at t0 (docs/contract.md). Definitions (ours where
the field is silent — see the project's paper notes, "Metrics"):

Detection
    Per frame, detections sorted by score are greedily matched to the remaining ground truths of the
    same class with the largest rotated BEV IoU, a match needing IoU >= the threshold
    (``functional/matching.py``). AP per class and IoU threshold is VOC-2010 all-point interpolated
    (``functional/average_precision.py``), with ``ap_mode``: ``'global'`` (default, correct)
    ranks all detections of the split by score; ``'opencood'`` appends each frame's score-sorted
    flags frame after frame without a global re-sort, like OpenCOOD, for comparison with published
    tables. Ground truths with a label outside ``[0,
    num_classes)`` are dropped. A class with no ground truth has AP ``nan`` (undefined) and is left
    out of the mAP; with no ground truth at all, the mAP is ``nan``.

Prediction (on the matches at ``traj_iou_thr``, default 0.5)
    For each matched detection, its trajectory (``pred_instances_3d.trajs``, absolute centres) is
    compared with its ground truth's ``gt_future_traj`` on the steps where ``gt_future_mask`` is
    True: ADE = mean L2 error over those steps, FDE = L2 error at the last valid step, miss if FDE >
    ``miss_thr`` (2 m). Agents with no valid future step are skipped. Figures are averaged over
    agents (the overall ADE/FDE/MR pool all classes; the per-class ones pool that class). If
    predicted and ground-truth horizons differ, the first ``min(F_pred, F_gt)`` steps are used.

EPA (ViP3D), per class c, with hits and false positives counted over detections of score >=
``epa_score_thr``:
    ``EPA_c = (hits_c - epa_alpha * FP_c) / N_c``
    * ``N_c``: ground truths of class c with at least one valid future step (others are excluded
      from EPA: a detection matched to one of them is neither a hit nor a false positive);
    * hit: a ground truth of class c matched (greedy matching above, IoU >= ``traj_iou_thr``) by a
      detection of score >= ``epa_score_thr`` whose predicted position at the ground truth's last
      valid future step is within ``epa_dist_thr`` (2 m, inclusive) of it — i.e. its FDE <= 2 m;
    * false positive: a detection of class c with score >= ``epa_score_thr`` matched to no ground
      truth. (Greedy matching visits detections by decreasing score, so restricting it to detections
      above the threshold gives the same matches for them.) A matched detection whose prediction
      misses counts neither way.
    ``EPA_c`` is ``nan`` when ``N_c == 0``; ``EPA`` is the mean over the classes where it is
    defined. Not clipped.

Constant-velocity baseline (``trajectory_source='constant_velocity'``)
    Every matched detection's trajectory is replaced by the constant-velocity extrapolation of its
    **matched ground truth's** past track (last two valid past positions of
    ``gt_past_traj``/``gt_past_mask``; past and future share the sampling interval;
    ``functional/constant_velocity.py``). It is an *oracle-past* baseline — it sees the true past of
    the object, which the model does not — and it is evaluated on exactly the same matched set as
    the model, so its ADE/FDE/MR/EPA sit beside the model's. Detection AP does not depend on this
    option.

Constant-velocity baseline without ground truth (``trajectory_source='detected_velocity'``)
    Every matched detection is extrapolated from its own centre at the velocity its model estimated
    (``pred_instances_3d.velocities`` ``(N, 2)``, metres per step Δ; e.g. ``MotionTrajectoryHead``):
    step k at ``c + k·v`` (``functional/constant_velocity.velocity_trajectories``). It reads no
    ground-truth field — the matching and the errors do, as for the model. Predictions without
    ``velocities`` give ``nan`` figures for this source.

Multi-modal output
    When the predictions carry ``traj_modes`` ``(N, K, F, 2)`` (``trajs`` being the most likely
    one), ``minADE``/``minFDE`` (pooled and ``/{cls}``) are the minima over the K modes of each
    agent's ADE and FDE, each taken on its own (nuScenes' definition), beside ADE/FDE of ``trajs``.

Several sources at once (``compare_sources``)
    Each extra source is evaluated on the same matches as ``trajectory_source`` and reported under
    ``{source}/`` (``constant_velocity/ADE``, ``detected_velocity/EPA/vehicle`` …), so the model and
    both baselines come from one pass and one set of detections.

EPA breakdown (per class, over the ``N_c`` ground truths with a future)
    ``EPA_c = 1 - missed_det_c - missed_pred_c - fp_c`` exactly, with ``missed_det_c`` (key
    ``EPA_missed_det/{cls}``) the fraction of ground truths matched by no detection of score >= the
    threshold, ``missed_pred_c`` (``EPA_missed_pred/{cls}``) the fraction matched but predicted more
    than ``epa_dist_thr`` off, and ``fp_c`` (``EPA_fp/{cls}``) = ``epa_alpha * FP_c / N_c``.

EPA score thresholds
    ``epa_score_thr`` is one threshold or a dict class name → threshold. With
    ``epa_score_thr_grid`` the metric also reports, per class, the grid threshold that maximises EPA
    on the evaluated split (``EPA_best_thr/{cls}``, ``EPA_at_best_thr/{cls}``): run it on the
    validation split, then give that split's metrics JSON as ``epa_score_thr_file`` when testing
    (thresholds are read from its ``EPA_best_thr/*``), so test scenarios never choose them.

Communication (when the model reports it: ``comm_bytes`` and ``comm_senders`` of each sample, see
``CoopPnPDetector.communication``)
    ``comm/Mb_per_frame``: megabits (10^6 bits) one cooperator transmits per frame — its shared feature map at
    the transmitted shape and dtype, after any compression — averaged over the cooperator messages of the split;
    ``comm/Mbps``: the same at ``comm_frame_rate_hz`` (10 Hz) frames per second; ``comm/cooperators``: mean
    number of cooperators sending per frame; ``comm/Mb_received_per_frame``: mean megabits the ego receives per
    frame. ``nan`` when no sample reports it (and ``Mb_per_frame``/``Mbps`` when no cooperator sent anything).

All figures are fractions (AP 1.0 = perfect), distances in metres. Keys, before the ``v2xpnp/``
prefix that ``BaseMetric.evaluate`` adds: ``AP@{t}/{cls}``, ``mAP@{t}`` for each IoU threshold t
(``'0.5'``, ``'0.7'``), ``ADE``, ``FDE``, ``MR``, ``EPA`` and ``ADE/{cls}``, ``FDE/{cls}``,
``MR/{cls}``, ``EPA/{cls}`` and the ``comm/*`` figures.
"""
import json
import os
import os.path as osp
import pickle
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log

from mmdet3d.registry import METRICS
from .functional import (AP_MODES, average_precision, bev_iou, boxes_to_bev,
                         constant_velocity_trajectories, displacement_errors,
                         end_to_end_prediction_accuracy, greedy_match, min_displacement_errors,
                         miss_rate, score_order, to_box_array, velocity_trajectories)

TRAJECTORY_SOURCES = ('model', 'constant_velocity', 'detected_velocity')


def _get(container: Any, key: str, default: Any = None) -> Any:
    """``container[key]`` for dicts and mmengine data elements alike."""
    if container is None:
        return default
    if isinstance(container, dict):
        return container.get(key, default)
    return getattr(container, key, default) if hasattr(container, key) else default


def _numpy(value: Any, dtype: Any = None) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=dtype)


def _tracks(value: Any,
            num: int,
            dtype: Any = np.float64,
            point_dim: Optional[int] = 2) -> np.ndarray:
    """``value`` as ``(num, T, point_dim)`` (``(num, T)`` if ``point_dim`` is None), even empty."""
    tail = () if point_dim is None else (point_dim, )
    if value is None:
        return np.zeros((num, 0) + tail, dtype=dtype)
    array = _numpy(value, dtype)
    if array.size == 0:
        steps = array.shape[1] if array.ndim >= 2 else 0
        return np.zeros((num, steps) + tail, dtype=dtype)
    return array.reshape((num, -1) + tail)


def _mean(values: np.ndarray) -> float:
    """Mean of the finite values; ``nan`` (without a warning) when there are none."""
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    values = values[~np.isnan(values)]
    return float(values.mean()) if len(values) else float('nan')


def _thr_key(thr: float) -> str:
    return f'{thr:g}'


@METRICS.register_module()
class V2XPnPMetric(BaseMetric):
    """Detection AP, ADE/FDE/MR and EPA of cooperative perception-and-prediction.

    Definitions, keys and edge cases: see the module docstring.

    Args:
        iou_thrs: BEV IoU thresholds of the detection AP.
        ap_mode: ``'global'`` (correct, default) or ``'opencood'`` (OpenCOOD's frame-order
            cumulation).
        trajectory_source: ``'model'`` (``pred_instances_3d.trajs``), ``'constant_velocity'``
            (oracle-past constant-velocity baseline on the same matched set) or
            ``'detected_velocity'`` (constant velocity from the model's own velocity estimate).
        compare_sources: further trajectory sources reported under ``{source}/`` keys.
        traj_iou_thr: IoU threshold of the matches on which trajectories and EPA are evaluated.
        miss_thr: FDE (m) above which a prediction is a miss.
        epa_alpha: weight of the false positives in EPA.
        epa_dist_thr: final-position distance (m) within which a matched prediction is an EPA hit.
        epa_score_thr: minimum score of the detections counted by EPA (hits and false positives): one
            value, or a dict class name → value (classes left out use 0.3).
        epa_score_thr_grid: thresholds tried per class for ``EPA_best_thr/{cls}`` (None: no sweep).
        epa_score_thr_file: a metrics JSON (from the validation split) whose ``EPA_best_thr/{cls}``
            become the per-class thresholds; overrides ``epa_score_thr`` for the classes it has.
        comm_frame_rate_hz: frames per second of the communication figures (V2XPnP: 10 Hz).
        classes: class names, used when the dataset gives no ``dataset_meta['classes']``.
        json_file: where to write the figures; default ``v2xpnp_metrics.json`` next to the current
            log file (nothing is written when there is neither).
        results_file: where to pickle the per-sample results (``process_sample`` outputs, small arrays) for
            offline analysis such as paired bootstraps (``figures``); default None (not written).
        collect_device, prefix, collect_dir: see :class:`mmengine.evaluator.BaseMetric`.
    """
    default_prefix: Optional[str] = 'v2xpnp'

    def __init__(self,
                 iou_thrs: Sequence[float] = (0.5, 0.7),
                 ap_mode: str = 'global',
                 trajectory_source: str = 'model',
                 compare_sources: Sequence[str] = (),
                 traj_iou_thr: float = 0.5,
                 miss_thr: float = 2.0,
                 epa_alpha: float = 0.5,
                 epa_dist_thr: float = 2.0,
                 epa_score_thr: Union[float, Dict[str, float]] = 0.3,
                 epa_score_thr_grid: Optional[Sequence[float]] = None,
                 epa_score_thr_file: Optional[str] = None,
                 comm_frame_rate_hz: float = 10.0,
                 classes: Optional[Sequence[str]] = None,
                 json_file: Optional[str] = None,
                 results_file: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, collect_dir=collect_dir)
        if ap_mode not in AP_MODES:
            raise ValueError(f'ap_mode must be one of {AP_MODES}, got {ap_mode!r}')
        for source in (trajectory_source, ) + tuple(compare_sources):
            if source not in TRAJECTORY_SOURCES:
                raise ValueError(
                    f'trajectory sources must be in {TRAJECTORY_SOURCES}, got {source!r}')
        self.iou_thrs = tuple(float(t) for t in iou_thrs)
        self.ap_mode = ap_mode
        self.trajectory_source = trajectory_source
        self.compare_sources = tuple(s for s in compare_sources if s != trajectory_source)
        self.traj_iou_thr = float(traj_iou_thr)
        self.miss_thr = float(miss_thr)
        self.epa_alpha = float(epa_alpha)
        self.epa_dist_thr = float(epa_dist_thr)
        self.epa_score_thr = (dict((k, float(v)) for k, v in epa_score_thr.items())
                              if isinstance(epa_score_thr, dict) else float(epa_score_thr))
        self.epa_score_thr_grid = (None if epa_score_thr_grid is None else tuple(
            float(t) for t in epa_score_thr_grid))
        self.epa_score_thr_file = epa_score_thr_file
        self.epa_score_thr_from_file = (None if epa_score_thr_file is None else
                                        self._thresholds_from_file(epa_score_thr_file))
        self.comm_frame_rate_hz = float(comm_frame_rate_hz)
        self.classes = tuple(classes) if classes is not None else None
        self.json_file = json_file
        self.results_file = results_file

    # ----------------------------------------------------------------------------------- per sample
    @property
    def class_names(self) -> tuple:
        meta = self.dataset_meta or {}
        classes = meta.get('classes', None) or self.classes
        if classes is None:
            raise ValueError(
                'V2XPnPMetric needs class names: from dataset_meta["classes"] or the classes arg')
        return tuple(classes)

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Match one batch and keep, per sample, only the small arrays ``compute_metrics`` needs.

        Args:
            data_batch: unused.
            data_samples: model outputs (dicts or ``Det3DDataSample``) with ``pred_instances_3d``
                (``bboxes_3d``, ``scores_3d``, ``labels_3d``, ``trajs`` (N, F, 2)) and
                ``eval_ann_info`` (docs/contract.md).
        """
        for data_sample in data_samples:
            self.results.append(self.process_sample(data_sample))

    def process_sample(self, data_sample: Any) -> Dict[str, Any]:
        """Match one sample; keep only what ``compute_metrics`` needs (small numpy arrays).

        Returns:
            dict: ``det_scores`` (D,) and ``det_labels`` (D,), detections in score order;
            ``det_tp`` (T, D) bool, TP flag per IoU threshold; ``det_matched`` (D,) bool, matched at
            ``traj_iou_thr``; ``gt_labels`` (G,); ``gt_has_future`` (G,) bool; ``pair_labels``,
            ``pair_scores``, ``pair_ade``, ``pair_fde`` (P,), the matched pairs whose ground truth
            has a valid future step; ``has_traj``, whether trajectories were available;
            ``comm_bytes`` and ``comm_senders`` (-1 when the model did not report them); ``sample_idx``.
        """
        num_classes = len(self.class_names)
        pred = _get(data_sample, 'pred_instances_3d', {})
        ann = _get(data_sample, 'eval_ann_info', {}) or {}

        det_boxes = to_box_array(_get(pred, 'bboxes_3d'))
        num_det = len(det_boxes)
        det_scores = _numpy(_get(pred, 'scores_3d', np.zeros(num_det)), np.float64).reshape(-1)
        det_labels = _numpy(_get(pred, 'labels_3d', np.zeros(num_det)), np.int64).reshape(-1)
        det_trajs = _get(pred, 'trajs')
        det_velocities = _get(pred, 'velocities')
        det_modes = _get(pred, 'traj_modes')
        order = score_order(det_scores)
        det_boxes, det_scores, det_labels = det_boxes[order], det_scores[order], det_labels[order]
        if det_trajs is not None:
            det_trajs = _tracks(det_trajs, num_det)[order]
        if det_velocities is not None:  # (N, 2); reshaped so that an empty output of any shape gives (0, 2)
            det_velocities = _numpy(det_velocities, np.float64).reshape(num_det, -1)[:, :2][order] \
                if num_det else np.zeros((0, 2))
        if det_modes is not None:  # (N, K, F, 2)
            det_modes = _numpy(det_modes, np.float64)
            det_modes = det_modes.reshape((num_det, -1) + det_modes.shape[-2:])[order] \
                if num_det else np.zeros((0, 1) + det_modes.shape[-2:])

        gt_boxes = to_box_array(_get(ann, 'gt_bboxes_3d'))
        num_gt = len(gt_boxes)
        gt_labels = _numpy(_get(ann, 'gt_labels_3d', np.zeros(0)), np.int64).reshape(-1)
        gt_future = _tracks(_get(ann, 'gt_future_traj'), num_gt)
        gt_future_mask = _tracks(_get(ann, 'gt_future_mask'), num_gt, bool, None)
        gt_past = _tracks(_get(ann, 'gt_past_traj'), num_gt)
        gt_past_mask = _tracks(_get(ann, 'gt_past_mask'), num_gt, bool, None)
        if gt_future_mask.shape != gt_future.shape[:2]:  # absent mask: every given step is valid
            gt_future_mask = np.ones(gt_future.shape[:2], dtype=bool)
        if gt_past_mask.shape != gt_past.shape[:2]:
            gt_past_mask = np.ones(gt_past.shape[:2], dtype=bool)
        keep = (gt_labels >= 0) & (gt_labels < num_classes)
        gt_boxes, gt_labels = gt_boxes[keep], gt_labels[keep]
        gt_future, gt_future_mask = gt_future[keep], gt_future_mask[keep]
        gt_past, gt_past_mask = gt_past[keep], gt_past_mask[keep]

        ious = bev_iou(boxes_to_bev(det_boxes), boxes_to_bev(gt_boxes))
        det_tp = np.zeros((len(self.iou_thrs), num_det), dtype=bool)
        for t, thr in enumerate(self.iou_thrs):
            det_tp[t] = greedy_match(ious, det_scores, det_labels, gt_labels, thr) >= 0
        matched_gt = greedy_match(ious, det_scores, det_labels, gt_labels, self.traj_iou_thr)

        pair_det = np.nonzero(matched_gt >= 0)[0]
        pair_gt = matched_gt[pair_det]

        def source_trajectories(source: str) -> Optional[np.ndarray]:
            """``(P, F', 2)`` trajectories of the matched detections from ``source``; None if absent."""
            if source == 'constant_velocity':  # oracle past: reads the ground truth's past track
                return constant_velocity_trajectories(gt_past[pair_gt],
                                                      gt_past_mask[pair_gt],
                                                      gt_future.shape[1],
                                                      fallback_position=det_boxes[pair_det, :2])
            if source == 'detected_velocity':  # model outputs only
                if det_velocities is None:
                    return None
                return velocity_trajectories(det_boxes[pair_det, :2], det_velocities[pair_det],
                                             gt_future.shape[1])
            return None if det_trajs is None else det_trajs[pair_det]

        def errors(trajs: Optional[np.ndarray]) -> tuple:
            has_traj = trajs is not None
            if trajs is None:
                trajs = np.zeros((len(pair_det), gt_future.shape[1], 2))
            horizon = gt_future.shape[1]
            # an empty (0,) trajs output says nothing of the model's horizon
            if trajs.shape[1] > 0 or len(pair_det) > 0:
                horizon = min(trajs.shape[1], horizon)
            trajs = trajs if len(pair_det) else np.zeros((0, horizon, 2))
            ade, fde, valid = displacement_errors(trajs[:, :horizon], gt_future[pair_gt, :horizon],
                                                  gt_future_mask[pair_gt, :horizon])
            return ade, fde, valid, horizon, has_traj

        ade, fde, valid, horizon, has_traj = errors(source_trajectories(self.trajectory_source))
        compared = {}
        for source in self.compare_sources:
            s_ade, s_fde, _, _, s_has = errors(source_trajectories(source))
            compared[source] = dict(pair_ade=s_ade[valid].astype(np.float32),
                                    pair_fde=s_fde[valid].astype(np.float32),
                                    has_traj=s_has)
        if det_modes is not None and self.trajectory_source == 'model':
            min_ade, min_fde, _ = min_displacement_errors(det_modes[pair_det][:, :, :horizon],
                                                          gt_future[pair_gt, :horizon],
                                                          gt_future_mask[pair_gt, :horizon])
            compared['modes'] = dict(pair_min_ade=min_ade[valid].astype(np.float32),
                                     pair_min_fde=min_fde[valid].astype(np.float32))
        return dict(sample_idx=int(_get(data_sample, 'sample_idx', -1)),
                    det_scores=det_scores.astype(np.float32),
                    det_labels=det_labels,
                    det_tp=det_tp,
                    det_matched=matched_gt >= 0,
                    gt_labels=gt_labels,
                    gt_has_future=gt_future_mask[:, :horizon].any(axis=1),
                    pair_labels=gt_labels[pair_gt][valid],
                    pair_scores=det_scores[pair_det][valid].astype(np.float32),
                    pair_ade=ade[valid].astype(np.float32),
                    pair_fde=fde[valid].astype(np.float32),
                    has_traj=has_traj,
                    compared=compared,
                    comm_bytes=int(_get(data_sample, 'comm_bytes', -1)),
                    comm_senders=int(_get(data_sample, 'comm_senders', -1)))

    # ------------------------------------------------------------------------------------ aggregate
    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Aggregate the per-sample results of the split into the flat dict of figures; log the table, write the
        JSON (and the per-sample results to ``results_file`` when set)."""
        if self.results_file:
            if osp.dirname(self.results_file):
                os.makedirs(osp.dirname(self.results_file), exist_ok=True)
            with open(self.results_file, 'wb') as handle:
                pickle.dump(dict(results=list(results), settings=self._settings(),
                                 classes=list(self.class_names)), handle)
        metrics, counts = self.figures(results)
        self._log_table(metrics, counts, self.class_names)
        self._dump_json(metrics, counts)
        return metrics

    def figures(self, results: List[dict]) -> tuple:
        """``(metrics, counts)`` of per-sample results (``process_sample`` outputs), without logging or files —
        e.g. for bootstrap resamples of a saved ``results_file``.

        Results are first put in frame order (``sample_idx``; a stable sort), which is the
        cumulation order of ``ap_mode='opencood'`` whatever order the ranks collected them in.
        """
        results = sorted(results, key=lambda r: r['sample_idx'])
        classes = self.class_names
        metrics: Dict[str, float] = {}
        counts: Dict[str, int] = {}

        det_labels = [r['det_labels'] for r in results]
        det_scores = [r['det_scores'] for r in results]
        gt_labels = np.concatenate([r['gt_labels'] for r in results] + [np.zeros(0, np.int64)])
        for t, thr in enumerate(self.iou_thrs):
            key = _thr_key(thr)
            aps = []
            for c, name in enumerate(classes):
                ap = average_precision(
                    [s[lab == c] for s, lab in zip(det_scores, det_labels)],
                    [r['det_tp'][t][lab == c] for r, lab in zip(results, det_labels)],
                    int((gt_labels == c).sum()), self.ap_mode)
                metrics[f'AP@{key}/{name}'] = ap
                aps.append(ap)
            metrics[f'mAP@{key}'] = _mean(aps)

        def cat(key: str, dtype: Any, rows: Optional[List[dict]] = None) -> np.ndarray:
            rows = results if rows is None else rows
            return np.concatenate([r[key] for r in rows] + [np.zeros(0, dtype)])

        traj_available = all(r['has_traj'] for r in results)
        if not traj_available:
            print_log(
                'V2XPnPMetric: predictions carry no "trajs"; trajectory metrics and EPA are nan.',
                logger='current')
        shared = dict(pair_labels=cat('pair_labels', np.int64),
                      pair_scores=cat('pair_scores', np.float32),
                      gt_labels=gt_labels,
                      gt_has_future=cat('gt_has_future', bool),
                      det_labels=cat('det_labels', np.int64),
                      det_scores=cat('det_scores', np.float32),
                      det_matched=cat('det_matched', bool))
        metrics.update(
            self._trajectory_metrics(cat('pair_ade', np.float32), cat('pair_fde', np.float32),
                                     traj_available, shared, classes, counts))
        modes = [r.get('compared', {}).get('modes') for r in results]
        if results and all(m is not None for m in modes):  # multi-modal output: minADE/minFDE over the K modes
            min_ade, min_fde = cat('pair_min_ade', np.float32, modes), cat('pair_min_fde', np.float32, modes)
            metrics['minADE'], metrics['minFDE'] = _mean(min_ade), _mean(min_fde)
            for c, name in enumerate(classes):
                select = shared['pair_labels'] == c
                metrics[f'minADE/{name}'], metrics[f'minFDE/{name}'] = _mean(min_ade[select]), _mean(min_fde[select])
        for source in self.compare_sources:
            rows = [r.get('compared', {}).get(source, dict(has_traj=False)) for r in results]
            available = all(row['has_traj'] for row in rows)
            if available:
                pair_ade, pair_fde = cat('pair_ade', np.float32, rows), cat('pair_fde', np.float32, rows)
            else:
                pair_ade = pair_fde = np.full(len(shared['pair_labels']), np.nan, np.float32)
            figures = self._trajectory_metrics(pair_ade, pair_fde, available, shared, classes)
            metrics.update({f'{source}/{k}': v for k, v in figures.items()})
        counts['num_samples'] = len(results)
        comm, comm_counts = self.communication_figures(results)
        metrics.update(comm)
        counts.update(comm_counts)
        return metrics, counts

    def score_thr(self, name: str) -> float:
        """EPA score threshold of class ``name``: from ``epa_score_thr_file`` if it has the class, else from
        ``epa_score_thr``."""
        if self.epa_score_thr_from_file and name in self.epa_score_thr_from_file:
            return self.epa_score_thr_from_file[name]
        if isinstance(self.epa_score_thr, dict):
            return self.epa_score_thr.get(name, 0.3)
        return self.epa_score_thr

    @staticmethod
    def _thresholds_from_file(path: str) -> Dict[str, float]:
        """Per-class EPA thresholds ``EPA_best_thr/{cls}`` of a metrics JSON written on validation."""
        try:
            with open(path) as f:
                figures = json.load(f)['metrics']
        except (OSError, ValueError, KeyError) as error:
            raise ValueError(f'epa_score_thr_file {path}: not a V2XPnPMetric JSON ({error})') from None
        thresholds = {
            key.split('/', 1)[1]: float(value)
            for key, value in figures.items() if key.startswith('EPA_best_thr/') and value is not None
        }
        if not thresholds:
            raise ValueError(f'epa_score_thr_file {path}: has no EPA_best_thr/* (run the validation split with '
                             'epa_score_thr_grid)')
        return thresholds

    def _trajectory_metrics(self,
                            pair_ade: np.ndarray,
                            pair_fde: np.ndarray,
                            traj_available: bool,
                            shared: Dict[str, np.ndarray],
                            classes: Sequence[str],
                            counts: Optional[Dict[str, int]] = None) -> Dict[str, float]:
        """ADE/FDE/MR (pooled and per class), EPA per class with its breakdown, and (with
        ``epa_score_thr_grid``) the best threshold per class, of one trajectory source.

        ``shared``: ``pair_labels``/``pair_scores`` (P,) of the matched pairs with a future,
        ``gt_labels``/``gt_has_future`` (G,), ``det_labels``/``det_scores``/``det_matched`` (D,)
        over the split. ``counts`` (if given) receives the EPA counts.
        """
        nan = float('nan')
        pair_labels, pair_scores = shared['pair_labels'], shared['pair_scores']
        metrics: Dict[str, float] = {}

        def traj_figures(select: np.ndarray) -> tuple:
            if not traj_available:
                return (nan, ) * 3
            return _mean(pair_ade[select]), _mean(pair_fde[select]), miss_rate(
                pair_fde[select], self.miss_thr)

        def epa_counts(c: int, thr: float) -> tuple:
            of_class = pair_labels == c
            detected = of_class & (pair_scores >= thr)
            hits = int((detected & (pair_fde <= self.epa_dist_thr)).sum())
            false_pos = int(((shared['det_labels'] == c) & (shared['det_scores'] >= thr)
                             & ~shared['det_matched']).sum())
            return hits, int(detected.sum()), false_pos

        metrics['ADE'], metrics['FDE'], metrics['MR'] = traj_figures(np.ones(len(pair_ade), bool))
        epas = []
        for c, name in enumerate(classes):
            metrics[f'ADE/{name}'], metrics[f'FDE/{name}'], metrics[f'MR/{name}'] = traj_figures(
                pair_labels == c)
            num_gt = int(((shared['gt_labels'] == c) & shared['gt_has_future']).sum())
            hits, detected, false_pos = epa_counts(c, self.score_thr(name))
            defined = traj_available and num_gt > 0
            epa = end_to_end_prediction_accuracy(hits, false_pos, num_gt, self.epa_alpha) \
                if traj_available else nan
            metrics[f'EPA/{name}'] = epa
            metrics[f'EPA_missed_det/{name}'] = (num_gt - detected) / num_gt if defined else nan
            metrics[f'EPA_missed_pred/{name}'] = (detected - hits) / num_gt if defined else nan
            metrics[f'EPA_fp/{name}'] = self.epa_alpha * false_pos / num_gt if defined else nan
            epas.append(epa)
            if self.epa_score_thr_grid:
                sweep = [(end_to_end_prediction_accuracy(h, f, num_gt, self.epa_alpha), thr)
                         for thr in self.epa_score_thr_grid
                         for h, _, f in [epa_counts(c, thr)]] if defined else []
                best_epa, best_thr = max(sweep, key=lambda item: (item[0], -item[1])) if sweep else (nan, nan)
                metrics[f'EPA_best_thr/{name}'] = best_thr
                metrics[f'EPA_at_best_thr/{name}'] = best_epa
            if counts is not None:
                counts.update({
                    f'num_gt/{name}': int((shared['gt_labels'] == c).sum()),
                    f'num_det/{name}': int((shared['det_labels'] == c).sum()),
                    f'num_traj_agents/{name}': int((pair_labels == c).sum()),
                    f'epa_num_gt/{name}': num_gt,
                    f'epa_hits/{name}': hits,
                    f'epa_false_positives/{name}': false_pos
                })
        metrics['EPA'] = _mean(epas)
        return metrics

    def communication_figures(self, results: List[dict]) -> tuple:
        """``comm/*`` figures (module docstring) and their counts from the per-sample ``comm_bytes`` /
        ``comm_senders``; ``nan`` unless every sample reports them."""
        reported = [r for r in results if r.get('comm_bytes', -1) >= 0 and r.get('comm_senders', -1) >= 0]
        nan_figures = {key: float('nan') for key in ('comm/Mb_per_frame', 'comm/Mbps', 'comm/cooperators',
                                                     'comm/Mb_received_per_frame')}
        if not results or len(reported) < len(results):
            return nan_figures, {}
        total_bytes = sum(r['comm_bytes'] for r in results)
        messages = sum(r['comm_senders'] for r in results)
        megabits = total_bytes * 8 / 1e6
        per_message = megabits / messages if messages else float('nan')
        figures = {'comm/Mb_per_frame': per_message,
                   'comm/Mbps': per_message * self.comm_frame_rate_hz,
                   'comm/cooperators': messages / len(results),
                   'comm/Mb_received_per_frame': megabits / len(results)}
        return figures, {'comm_bytes': total_bytes, 'comm_messages': messages}

    # --------------------------------------------------------------------------------------- output
    def _settings(self) -> dict:
        return dict(iou_thrs=list(self.iou_thrs),
                    ap_mode=self.ap_mode,
                    trajectory_source=self.trajectory_source,
                    compare_sources=list(self.compare_sources),
                    traj_iou_thr=self.traj_iou_thr,
                    miss_thr=self.miss_thr,
                    epa_alpha=self.epa_alpha,
                    epa_dist_thr=self.epa_dist_thr,
                    epa_score_thr=self.epa_score_thr,
                    epa_score_thr_grid=None if self.epa_score_thr_grid is None else list(self.epa_score_thr_grid),
                    epa_score_thr_file=self.epa_score_thr_file,
                    epa_score_thr_per_class={name: self.score_thr(name) for name in self.class_names},
                    comm_frame_rate_hz=self.comm_frame_rate_hz)

    def format_table(self, metrics: Dict[str, float], counts: Dict[str, int],
                     classes: Sequence[str]) -> str:
        """Plain-text table: one row per class and a mean row (mAP, pooled ADE/FDE/MR, mean EPA)."""
        keys = [f'AP@{_thr_key(t)}' for t in self.iou_thrs] + ['ADE', 'FDE', 'MR', 'EPA']
        header = ['class'] + keys + ['#gt']
        rows = []
        for name in classes:
            rows.append([name] + [metrics[f'{k}/{name}']
                                  for k in keys] + [counts[f'num_gt/{name}']])
        rows.append(['mean'] + [metrics[f'mAP@{_thr_key(t)}'] for t in self.iou_thrs] +
                    [metrics[k] for k in ('ADE', 'FDE', 'MR', 'EPA')] +
                    [sum(counts[f'num_gt/{n}'] for n in classes)])
        cells = [header] + [[r[0]] + [f'{v:.4f}' for v in r[1:-1]] + [str(r[-1])] for r in rows]
        widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
        line = '+' + '+'.join('-' * (w + 2) for w in widths) + '+'
        text = [line]
        for i, row in enumerate(cells):
            text.append('| ' + row[0].ljust(widths[0]) + ' | ' +
                        ' | '.join(c.rjust(w) for c, w in zip(row[1:], widths[1:])) + ' |')
            if i == 0 or i == len(cells) - 2:
                text.append(line)
        text.append(line)
        return '\n'.join(text)

    def _log_table(self, metrics: Dict[str, float], counts: Dict[str, int],
                   classes: Sequence[str]) -> None:
        title = (f'V2XPnP metrics (ap_mode={self.ap_mode}, trajectories={self.trajectory_source}, '
                 f'{counts["num_samples"]} samples)')
        text = title + '\n' + self.format_table(metrics, counts, classes)
        if 'comm_messages' in counts:
            text += (f"\ncommunication: {metrics['comm/Mb_per_frame']:.4f} Mb per cooperator per frame = "
                     f"{metrics['comm/Mbps']:.3f} Mbps at {self.comm_frame_rate_hz:g} Hz; "
                     f"{metrics['comm/cooperators']:.2f} cooperators per frame")
        print_log(text, logger='current')
        lines = ['trajectory sources on the same matches (source  class  ADE FDE MR EPA | EPA lost to: missed '
                 'detections, missed predictions, false positives)']
        for source in (self.trajectory_source, ) + self.compare_sources:
            prefix = '' if source == self.trajectory_source else f'{source}/'
            for name in tuple(classes) + ('mean', ):
                suffix = '' if name == 'mean' else f'/{name}'
                row = [metrics.get(f'{prefix}{k}{suffix}', float('nan')) for k in ('ADE', 'FDE', 'MR', 'EPA')]
                lost = [metrics.get(f'{prefix}EPA_{k}/{name}', float('nan'))
                        for k in ('missed_det', 'missed_pred', 'fp')] if name != 'mean' else []
                lines.append(f'{source:18s} {name:11s} ' + ' '.join(f'{v:7.3f}' for v in row) +
                             (' | ' + ' '.join(f'{v:6.3f}' for v in lost) if lost else ''))
        print_log('\n'.join(lines), logger='current')

    def json_path(self) -> Optional[str]:
        """``json_file`` if given, else ``v2xpnp_metrics.json`` beside the current MMLogger's log
        file."""
        if self.json_file:
            return self.json_file
        log_file = getattr(MMLogger.get_current_instance(), 'log_file', None)
        return osp.join(osp.dirname(log_file), 'v2xpnp_metrics.json') if log_file else None

    def _dump_json(self, metrics: Dict[str, float], counts: Dict[str, int]) -> None:
        path = self.json_path()
        if path is None:
            print_log('V2XPnPMetric: no json_file and no log file; metrics not written to JSON.',
                      logger='current')
            return
        finite = {
            k: (None if isinstance(v, float) and np.isnan(v) else v)
            for k, v in metrics.items()
        }
        if osp.dirname(path):
            os.makedirs(osp.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            json.dump(dict(metrics=finite,
                           counts=counts,
                           settings=self._settings(),
                           classes=list(self.class_names),
                           prefix=self.prefix),
                      f,
                      indent=2)
        print_log(f'V2XPnPMetric: figures written to {path} (nan as null)', logger='current')
