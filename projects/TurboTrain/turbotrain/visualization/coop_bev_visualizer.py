"""``CoopBEVVisualizer``: bird's-eye-view pictures of cooperative samples and of the model's predictions.

One picture per (ego, t0) sample, in the ego frame at t0 (docs/contract.md), drawn on a raster of ``resolution``
metres per pixel that covers ``bev_range`` (default: the sample's ``point_cloud_range``):

* pixel (row r, column c) covers x ∈ [x_min + c·s, x_min + (c+1)·s) and y ∈ (y_max − (r+1)·s, y_max − r·s]: +x
  points right and +y up (rows run down from y_max, unlike the BEV feature maps, whose rows increase with y);
* every agent's points, each agent-frame moved into the ego frame with its ``M[a,t]`` (history frames dimmer,
  the current frame on top), one colour per agent; the agents' LiDAR positions at t0 with their headings (not
  drawn under early fusion, whose clouds arrive in the ego frame with ``M = I``);
* ground truth (green): boxes with a heading tick, past track (dashed) and future track (dots at valid steps);
* predictions of score >= ``score_thr``: boxes with their score and their predicted trajectories (every mode of
  a multi-modal head, ``trajs`` ``(N, M, F, 2)``; the most likely mode of ``traj_scores`` thicker), yellow for a
  true positive — matched to a ground truth of its class at BEV IoU >= ``match_iou_thr`` by the greedy matching
  of ``V2XPnPMetric`` — and red for a false positive.

The drawing uses mmengine's :class:`~mmengine.visualization.Visualizer` primitives on that raster, so a picture
goes to a file, a window, or every configured vis backend (local files, TensorBoard) like any OpenMMLab
visualiser. ``vis_backends`` also takes backend type names, which makes TensorBoard one ``--cfg-options`` away:
``--cfg-options "visualizer.vis_backends=[LocalVisBackend,TensorboardVisBackend]"``.
"""
import os
import os.path as osp
import warnings
from typing import Any, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.dist import master_only
from mmengine.visualization import Visualizer

from mmdet3d.registry import VISUALIZERS
from ..evaluation.functional import bev_iou, boxes_to_bev, greedy_match, to_box_array

Colour = Tuple[int, int, int]

BACKGROUND: Colour = (18, 18, 18)
GRID: Colour = (52, 52, 52)
GT_COLOUR: Colour = (40, 220, 40)
GT_PAST_COLOUR: Colour = (25, 150, 25)
TP_COLOUR: Colour = (255, 210, 0)
FP_COLOUR: Colour = (255, 50, 50)
TEXT_COLOUR: Colour = (235, 235, 235)
#: one colour per agent of a sample (index 0 = ego); none of them is close to the box colours above
AGENT_COLOURS: Tuple[Colour, ...] = ((90, 150, 255), (225, 120, 255), (0, 205, 215), (255, 150, 195),
                                     (185, 185, 185), (150, 110, 255))
HISTORY_DIMMING = 0.45  # brightness of history frames' points relative to the current frame's
GRID_STEP_M = 10.0
_OUT_OF_BOUNDS = r'Warning: The .* is out of bounds'


def _numpy(value, dtype=None) -> Optional[np.ndarray]:
    if value is None:
        return None
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=dtype)


def _get(container, key: str, default=None):
    """``container[key]`` for dicts and mmengine data elements alike."""
    if container is None:
        return default
    if isinstance(container, dict):
        return container.get(key, default)
    return getattr(container, key, default) if key in container else default


def bev_box_corners(boxes: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """BEV corners and heading points of ``(N, 7+)`` boxes ``[x, y, z, l, w, h, yaw]`` (yaw CCW about +z from +x).

    Returns:
        ``(N, 4, 2)`` corners (front-left, front-right, rear-right, rear-left) and ``(N, 2)`` front-edge midpoints,
        in the boxes' frame (metres).
    """
    boxes = np.atleast_2d(np.asarray(boxes, dtype=np.float64))
    half_l, half_w, yaw = boxes[:, 3] / 2, boxes[:, 4] / 2, boxes[:, 6]
    local = np.stack([np.stack([half_l, half_w], -1), np.stack([half_l, -half_w], -1),
                      np.stack([-half_l, -half_w], -1), np.stack([-half_l, half_w], -1)], 1)  # (N, 4, 2)
    cos, sin = np.cos(yaw)[:, None], np.sin(yaw)[:, None]
    corners = np.stack([local[..., 0] * cos - local[..., 1] * sin, local[..., 0] * sin + local[..., 1] * cos], -1)
    corners = corners + boxes[:, None, :2]
    front = boxes[:, :2] + np.stack([half_l * np.cos(yaw), half_l * np.sin(yaw)], -1)
    return corners, front


def match_predictions(pred_boxes: Any, pred_scores: Any, pred_labels: Any, gt_boxes: Any, gt_labels: Any,
                      iou_thr: float) -> np.ndarray:
    """Ground truth matched by each prediction, as ``V2XPnPMetric`` matches (greedy by score, same class, rotated
    BEV IoU >= ``iou_thr``).

    Args:
        pred_boxes, gt_boxes: ``(D, 7+)`` / ``(G, 7+)`` boxes (any form :func:`to_box_array` takes), ego frame at t0.
        pred_scores, pred_labels: ``(D,)``; gt_labels: ``(G,)``.

    Returns:
        ``(D,)`` int64, the index of the matched ground truth, ``-1`` for a false positive.
    """
    ious = bev_iou(boxes_to_bev(pred_boxes), boxes_to_bev(gt_boxes))
    return greedy_match(ious, _numpy(pred_scores, np.float64), _numpy(pred_labels, np.int64),
                        _numpy(gt_labels, np.int64), iou_thr)


@VISUALIZERS.register_module()
class CoopBEVVisualizer(Visualizer):
    """BEV pictures of cooperative samples with ground truth and predictions (see the module docstring).

    Args:
        name: instance name (mmengine ``ManagerMixin``).
        vis_backends: backend configs; a plain string is a backend type name (``'TensorboardVisBackend'``).
        save_dir: where the backends write (the runner passes ``work_dir/<timestamp>``).
        bev_range: ``(x_min, y_min, x_max, y_max)`` in metres, ego frame at t0; None = the sample's
            ``point_cloud_range`` (else ±51.2 m).
        resolution: metres per pixel.
        score_thr: predictions below it are not drawn (``add_datasample(pred_score_thr=...)`` overrides it).
        match_iou_thr: BEV IoU of a true positive.
        point_size: side in pixels of the square drawn for one point.
        max_modes: at most this many trajectory modes are drawn per prediction (most likely first).
    """

    def __init__(self,
                 name: str = 'visualizer',
                 vis_backends: Optional[Sequence[Union[dict, str]]] = None,
                 save_dir: Optional[str] = None,
                 bev_range: Optional[Sequence[float]] = None,
                 resolution: float = 0.1,
                 score_thr: float = 0.3,
                 match_iou_thr: float = 0.5,
                 point_size: int = 1,
                 max_modes: int = 6,
                 **kwargs) -> None:
        if isinstance(vis_backends, (str, dict)):
            vis_backends = [vis_backends]
        if vis_backends is not None:
            vis_backends = [dict(type=b) if isinstance(b, str) else b for b in vis_backends]
        super().__init__(name=name, vis_backends=vis_backends, save_dir=save_dir, **kwargs)
        if resolution <= 0:
            raise ValueError(f'resolution must be > 0 metres per pixel, got {resolution}')
        if bev_range is not None and (len(bev_range) != 4 or bev_range[2] <= bev_range[0]
                                      or bev_range[3] <= bev_range[1]):
            raise ValueError(f'bev_range must be (x_min, y_min, x_max, y_max) with min < max, got {bev_range}')
        self.bev_range = None if bev_range is None else tuple(float(v) for v in bev_range)
        self.resolution = float(resolution)
        self.score_thr = float(score_thr)
        self.match_iou_thr = float(match_iou_thr)
        self.point_size = max(int(point_size), 1)
        self.max_modes = max(int(max_modes), 1)
        self._range = self.bev_range or (-51.2, -51.2, 51.2, 51.2)

    @classmethod
    def for_files(cls, cfg: Any, name: str, **overrides) -> 'CoopBEVVisualizer':
        """A visualizer for offline tools that write pictures to files: the drawing settings of the config's
        ``visualizer`` (when it is a ``CoopBEVVisualizer``), no backends, ``overrides`` (None values ignored) on top.
        ``name`` must be new to the process (mmengine keeps one instance per name)."""
        settings = dict(cfg.get('visualizer') or {})
        if settings.get('type') not in ('CoopBEVVisualizer', cls.__name__):
            settings = {}
        for key in ('type', 'name', 'vis_backends', 'save_dir'):
            settings.pop(key, None)
        settings.update({key: value for key, value in overrides.items() if value is not None})
        return cls(name=name, **settings)

    # ------------------------------------------------------------------ geometry
    def range_of(self, data_sample: Any = None) -> Tuple[float, float, float, float]:
        """The drawn ``(x_min, y_min, x_max, y_max)``: ``bev_range``, else the sample's ``point_cloud_range``."""
        if self.bev_range is not None:
            return self.bev_range
        pc_range = None if data_sample is None else _get(data_sample.metainfo, 'point_cloud_range')
        if pc_range is None:
            return (-51.2, -51.2, 51.2, 51.2)
        x_min, y_min, _, x_max, y_max, _ = (float(v) for v in pc_range)
        return (x_min, y_min, x_max, y_max)

    def canvas_shape(self, bev_range: Sequence[float]) -> Tuple[int, int]:
        """``(height, width)`` in pixels of the picture of ``bev_range``."""
        x_min, y_min, x_max, y_max = bev_range
        return (int(round((y_max - y_min) / self.resolution)), int(round((x_max - x_min) / self.resolution)))

    def to_pixels(self, xy: Any) -> np.ndarray:
        """Ego-frame ``(..., 2)`` metres → ``(..., 2)`` continuous pixel coordinates ``(u, v)`` (column, row) of the
        current picture; the point lies in pixel ``(floor(v), floor(u))``."""
        xy = np.asarray(xy, dtype=np.float64)
        x_min, _, _, y_max = self._range
        return np.stack([(xy[..., 0] - x_min) / self.resolution, (y_max - xy[..., 1]) / self.resolution], -1)

    # ------------------------------------------------------------------ raster layers (numpy)
    def _raster_points(self, canvas: np.ndarray, data_input: dict) -> List[int]:
        """Paint every agent-frame's points into ``canvas``; returns the number of valid frames per agent."""
        points = data_input.get('points') or []
        poses = _numpy(data_input.get('agent_poses'), np.float64)
        if poses is None or not len(points):
            return []
        poses = poses.reshape(-1, poses.shape[-3], 4, 4)
        num_agents, history = poses.shape[:2]
        valid = _numpy(data_input.get('agent_frame_valid'), bool)
        valid = np.ones((num_agents, history), bool) if valid is None else valid.reshape(num_agents, history)
        height, width = canvas.shape[:2]
        for t in range(history):  # oldest first: the current frame ends on top
            dim = 1.0 if t == history - 1 else HISTORY_DIMMING
            for a in range(num_agents):
                cloud = _numpy(points[a * history + t], np.float64)
                if cloud is None or not len(cloud) or not valid[a, t]:
                    continue
                xyz = cloud[:, :3] @ poses[a, t, :3, :3].T + poses[a, t, :3, 3]
                uv = np.floor(self.to_pixels(xyz[:, :2])).astype(np.int64)
                colour = np.array(AGENT_COLOURS[a % len(AGENT_COLOURS)], np.float64) * dim
                for du in range(self.point_size):
                    for dv in range(self.point_size):
                        cols, rows = uv[:, 0] + du, uv[:, 1] + dv
                        inside = (cols >= 0) & (cols < width) & (rows >= 0) & (rows < height)
                        canvas[rows[inside], cols[inside]] = colour.astype(np.uint8)
        return [int(v) for v in valid.sum(1)]

    def _raster_grid(self, canvas: np.ndarray) -> None:
        x_min, y_min, x_max, y_max = self._range
        for x in np.arange(np.ceil(x_min / GRID_STEP_M) * GRID_STEP_M, x_max, GRID_STEP_M):
            col = int(np.floor(self.to_pixels([x, 0.0])[0]))
            if 0 <= col < canvas.shape[1]:
                canvas[:, col] = GRID
        for y in np.arange(np.ceil(y_min / GRID_STEP_M) * GRID_STEP_M, y_max, GRID_STEP_M):
            row = int(np.floor(self.to_pixels([0.0, y])[1]))
            if 0 <= row < canvas.shape[0]:
                canvas[row, :] = GRID

    # ------------------------------------------------------------------ vector layers (mmengine primitives)
    def _draw_boxes(self, boxes: np.ndarray, colour: Colour, line_width: float = 2.0) -> None:
        if not len(boxes):
            return
        corners, front = bev_box_corners(boxes)
        corners, centres, tips = self.to_pixels(corners), self.to_pixels(boxes[:, :2]), self.to_pixels(front)
        # four edges and the heading tick per box, as line segments: drawn after (over) the tracks
        starts = np.concatenate([corners.reshape(-1, 2), centres])
        ends = np.concatenate([np.roll(corners, -1, axis=1).reshape(-1, 2), tips])
        self.draw_lines(np.stack([starts[:, 0], ends[:, 0]], -1), np.stack([starts[:, 1], ends[:, 1]], -1),
                        colors=colour, line_widths=line_width)

    def _draw_track(self, track: np.ndarray, colour: Colour, line_width: float, style: str = '-',
                    dots: bool = False) -> None:
        """A polyline through ``(T, 2)`` ego-frame points (nothing for fewer than two)."""
        if len(track) < 2:
            return
        uv = self.to_pixels(track)
        self.draw_lines(np.stack([uv[:-1, 0], uv[1:, 0]], -1), np.stack([uv[:-1, 1], uv[1:, 1]], -1),
                        colors=colour, line_styles=style, line_widths=line_width)
        if dots:
            self.draw_points(uv[1:], colors=[colour] * (len(uv) - 1), sizes=np.full(len(uv) - 1, 4.0))  # one each

    def _draw_ground_truth(self, gt: dict) -> None:
        boxes = gt['boxes']
        for i in range(len(boxes)):
            centre = boxes[i, :2][None]
            past, past_mask = gt['past'], gt['past_mask']
            if past is not None and past_mask[i].any():
                self._draw_track(np.concatenate([past[i][past_mask[i]], centre]), GT_PAST_COLOUR, 1.0, '--')
            future, future_mask = gt['future'], gt['future_mask']
            if future is not None and future_mask[i].any():
                self._draw_track(np.concatenate([centre, future[i][future_mask[i]]]), GT_COLOUR, 1.0, dots=True)
        self._draw_boxes(boxes, GT_COLOUR)

    def _draw_predictions(self, pred: dict, matched: np.ndarray) -> None:
        boxes, scores, trajs, traj_scores = pred['boxes'], pred['scores'], pred['trajs'], pred['traj_scores']
        colours = [TP_COLOUR if m >= 0 else FP_COLOUR for m in matched]
        for i in range(len(boxes)):
            if trajs is None:
                break
            order = np.arange(trajs.shape[1]) if traj_scores is None else np.argsort(-traj_scores[i], kind='stable')
            for rank, mode in enumerate(order[:self.max_modes]):
                track = np.concatenate([boxes[i, :2][None], trajs[i, mode]])
                self._draw_track(track, colours[i], 1.4 if rank == 0 else 0.7, dots=rank == 0)
        for i in range(len(boxes)):
            self._draw_boxes(boxes[i:i + 1], colours[i], line_width=1.5)
        anchors = self.to_pixels(boxes[:, :2] + np.array([0.0, 0.5]) + np.stack(
            [np.zeros(len(boxes)), np.maximum(boxes[:, 3], boxes[:, 4]) / 2], -1)).reshape(-1, 2)
        # a score is written only where it lands on the picture (a far-off glyph overflows the font rasteriser)
        inside = np.nonzero((anchors[:, 0] >= 0) & (anchors[:, 0] < self.width) & (anchors[:, 1] >= 0)
                            & (anchors[:, 1] < self.height))[0]
        if len(inside):
            self.draw_texts([f'{scores[i]:.2f}' for i in inside], anchors[inside], colors=[colours[i] for i in inside],
                            font_sizes=max(int(self._default_font_size * 0.7), 6),
                            vertical_alignments='bottom', horizontal_alignments='center')

    def _draw_agents(self, data_input: dict, data_sample, frames_per_agent: List[int]) -> List[Tuple[str, Colour]]:
        """Agent markers (position and heading at t0) and their legend lines."""
        meta = {} if data_sample is None else data_sample.metainfo
        agent_ids = list(meta.get('agent_ids', range(len(frames_per_agent))))
        poses = _numpy(data_input.get('agent_poses'), np.float64)
        valid = _numpy(data_input.get('agent_frame_valid'), bool)
        in_ego_frame = meta.get('coop_points_frame', 'agent') == 'ego'  # early fusion: M = I, no agent pose left
        history = 0 if poses is None else poses.shape[1]
        legend = []
        for a, agent_id in enumerate(agent_ids):
            colour = AGENT_COLOURS[a % len(AGENT_COLOURS)]
            kind = 'rsu' if int(agent_id) < 0 else 'veh'
            at_t0 = poses is not None and valid is not None and bool(valid[a, -1])
            frames = frames_per_agent[a] if a < len(frames_per_agent) else 0
            legend.append((f'{"ego " if a == 0 else ""}{kind} {agent_id}: {frames}/{history} frames'
                           f'{"" if at_t0 else ", missing at t0"}', colour))
            if not at_t0 or (in_ego_frame and a > 0):
                continue
            pose = poses[a, -1]
            position, heading = pose[:2, 3], pose[:2, 0] / max(np.linalg.norm(pose[:2, 0]), 1e-9)
            centre = self.to_pixels(position)
            self.draw_circles(centre, np.array([1.0 / self.resolution]), edge_colors=colour, line_widths=2,
                              alpha=1.0)
            tip = self.to_pixels(position + 4.0 * heading)
            self.draw_lines(np.array([centre[0], tip[0]]), np.array([centre[1], tip[1]]), colors=colour,
                            line_widths=2)
            self.draw_texts(f'{"ego" if a == 0 else kind} {agent_id}', centre + np.array([1.3, 1.3]) / self.resolution,
                            colors=colour, font_sizes=max(int(self._default_font_size * 0.8), 6),
                            vertical_alignments='top')
        return legend

    def _draw_legend(self, lines: List[Tuple[str, Colour]]) -> None:
        size = self._default_font_size * 0.8
        step = size * self.dpi / 72 * 1.35
        for k, (text, colour) in enumerate(lines):
            self.draw_texts(text, np.array([6.0, 6.0 + k * step]), colors=colour, font_sizes=int(size),
                            bboxes=dict(facecolor='black', alpha=0.55, pad=1.0, edgecolor='none'))

    # ------------------------------------------------------------------ sample fields
    @staticmethod
    def ground_truth_of(data_sample: Any) -> dict:
        """``boxes (G, 7)``, ``labels (G,)``, ``past (G, H, 2)``/``past_mask``, ``future (G, F, 2)``/``future_mask``
        (ego frame at t0) from ``eval_ann_info`` (test/val) or ``gt_instances_3d`` (train); labels outside the
        classes (< 0) are dropped as the metric drops them."""
        ann = None if data_sample is None else _get(data_sample, 'eval_ann_info')
        gt = None if data_sample is None else _get(data_sample, 'gt_instances_3d')
        if ann:
            fields = dict(boxes=ann.get('gt_bboxes_3d'), labels=ann.get('gt_labels_3d'),
                          past=ann.get('gt_past_traj'), past_mask=ann.get('gt_past_mask'),
                          future=ann.get('gt_future_traj'), future_mask=ann.get('gt_future_mask'))
        elif gt is not None and 'bboxes_3d' in gt:
            fields = dict(boxes=gt.bboxes_3d, labels=gt.labels_3d, past=_get(gt, 'past_traj'),
                          past_mask=_get(gt, 'past_mask'), future=_get(gt, 'future_traj'),
                          future_mask=_get(gt, 'future_mask'))
        else:
            fields = dict(boxes=None, labels=None, past=None, past_mask=None, future=None, future_mask=None)
        boxes = to_box_array(fields['boxes'])
        labels = _numpy(fields['labels'], np.int64)
        labels = np.zeros(len(boxes), np.int64) if labels is None else labels.reshape(-1)
        out = dict(boxes=boxes, labels=labels)
        for key in ('past', 'future'):
            track, mask = _numpy(fields[key], np.float64), _numpy(fields[f'{key}_mask'], bool)
            if track is None or track.size == 0:
                out[key], out[f'{key}_mask'] = None, None
                continue
            track = track.reshape(len(boxes), -1, 2)
            out[key] = track
            out[f'{key}_mask'] = np.ones(track.shape[:2], bool) if mask is None else mask.reshape(track.shape[:2])
        keep = labels >= 0
        return {k: (v[keep] if v is not None else None) for k, v in out.items()}

    @staticmethod
    def predictions_of(data_sample: Any, score_thr: float) -> dict:
        """Predictions of score >= ``score_thr``, by decreasing score: ``boxes (D, 7)``, ``scores``, ``labels``,
        ``trajs (D, M, F, 2)`` or None, ``traj_scores (D, M)`` or None."""
        pred = None if data_sample is None else _get(data_sample, 'pred_instances_3d')
        boxes = to_box_array(_get(pred, 'bboxes_3d'))
        scores = _numpy(_get(pred, 'scores_3d'), np.float64)
        scores = np.ones(len(boxes)) if scores is None else scores.reshape(-1)
        labels = _numpy(_get(pred, 'labels_3d'), np.int64)
        labels = np.zeros(len(boxes), np.int64) if labels is None else labels.reshape(-1)
        trajs = _numpy(_get(pred, 'trajs'), np.float64)
        traj_scores = _numpy(_get(pred, 'traj_scores'), np.float64)
        if trajs is not None and trajs.size and len(boxes):
            trajs = trajs.reshape(len(boxes), -1, trajs.shape[-2], 2) if trajs.ndim >= 3 else None
        else:
            trajs = None
        if traj_scores is not None and (trajs is None or traj_scores.size != trajs.shape[0] * trajs.shape[1]):
            traj_scores = None
        elif traj_scores is not None:
            traj_scores = traj_scores.reshape(trajs.shape[:2])
        finite = np.isfinite(boxes[:, :7]).all(1) & np.isfinite(scores)
        if trajs is not None:
            trajs = np.where(np.isfinite(trajs), trajs, np.nan)  # a non-finite waypoint breaks its line only
        keep = np.nonzero(finite & (scores >= score_thr))[0]
        keep = keep[np.argsort(-scores[keep], kind='stable')]
        return dict(boxes=boxes[keep], scores=scores[keep], labels=labels[keep],
                    trajs=None if trajs is None else trajs[keep],
                    traj_scores=None if traj_scores is None else traj_scores[keep])

    # ------------------------------------------------------------------ public API
    def draw_bev(self,
                 data_input: Optional[dict],
                 data_sample: Any = None,
                 draw_gt: bool = True,
                 draw_pred: bool = True,
                 pred_score_thr: Optional[float] = None) -> np.ndarray:
        """Draw one sample; returns the ``(H, W, 3)`` uint8 RGB picture (``H, W`` = :meth:`canvas_shape`).

        Args:
            data_input: the packed sample's ``inputs`` (``points`` list of A·H ``(N, 4)``, ``agent_poses``
                ``(A, H, 4, 4)``, ``agent_frame_valid`` ``(A, H)``); None draws no points.
            data_sample: ``Det3DDataSample`` with metainfo, ground truth (``eval_ann_info`` or
                ``gt_instances_3d``) and/or ``pred_instances_3d`` (``bboxes_3d``, ``scores_3d``, ``labels_3d``,
                optional ``trajs`` ``(N, F, 2)`` or ``(N, M, F, 2)`` and ``traj_scores`` ``(N, M)``).
            draw_gt, draw_pred: draw the ground truth / the predictions.
            pred_score_thr: lowest drawn score (default ``score_thr``).
        """
        self._range = self.range_of(data_sample)
        height, width = self.canvas_shape(self._range)
        canvas = np.empty((height, width, 3), np.uint8)
        canvas[:] = BACKGROUND
        self._raster_grid(canvas)
        frames_per_agent = self._raster_points(canvas, data_input or {})
        self.set_image(canvas)
        thr = self.score_thr if pred_score_thr is None else float(pred_score_thr)
        gt = self.ground_truth_of(data_sample)
        pred = self.predictions_of(data_sample, thr)
        matched = match_predictions(pred['boxes'], pred['scores'], pred['labels'], gt['boxes'], gt['labels'],
                                    self.match_iou_thr)
        meta = {} if data_sample is None else data_sample.metainfo
        with warnings.catch_warnings():
            warnings.filterwarnings('ignore', message=_OUT_OF_BOUNDS)
            if draw_gt:
                self._draw_ground_truth(gt)
            if draw_pred:
                self._draw_predictions(pred, matched)
            agents = self._draw_agents(data_input or {}, data_sample, frames_per_agent)
            tp = int((matched >= 0).sum())
            title = (f'{meta.get("scenario", "")} frame {meta.get("frame", "")} ego {meta.get("ego_id", "")}, '
                     f'ego frame at t0, {self.resolution:g} m/px')
            lines = [(title, TEXT_COLOUR)]
            if draw_gt:
                lines.append((f'ground truth: {len(gt["boxes"])} boxes, past (dashed), future (dots)', GT_COLOUR))
            if draw_pred:
                lines.append((f'true positives: {tp} (IoU >= {self.match_iou_thr:g}, score >= {thr:g}); '
                              f'missed: {len(gt["boxes"]) - tp}', TP_COLOUR))
                lines.append((f'false positives: {len(matched) - tp}', FP_COLOUR))
            self._draw_legend(lines + agents)
        # scatter() autoscales the view to markers outside the picture: pin it back to the raster
        self.ax_save.set_xlim(0, self.width)
        self.ax_save.set_ylim(self.height, 0)
        return self.get_image()

    @master_only
    def add_datasample(self,
                       name: str,
                       data_input: Optional[dict],
                       data_sample: Any = None,
                       draw_gt: bool = True,
                       draw_pred: bool = True,
                       show: bool = False,
                       wait_time: float = 0.,
                       out_file: Optional[str] = None,
                       pred_score_thr: Optional[float] = None,
                       step: int = 0) -> np.ndarray:
        """Draw one sample (:meth:`draw_bev`) and show it, write it to ``out_file`` (PNG, GIF, ... by suffix), or
        else hand it to the vis backends under ``name`` at ``step``. Returns the picture."""
        image = self.draw_bev(data_input, data_sample, draw_gt, draw_pred, pred_score_thr)
        if show:
            self.show(image, win_name=name, wait_time=wait_time)
        if out_file is not None:
            write_image(image, out_file)
        else:
            self.add_image(name, image, step)
        return image


def write_image(image: np.ndarray, path: str) -> None:
    """Write an ``(H, W, 3)`` uint8 RGB picture (format from the suffix, PNG optimised), creating its folder."""
    from PIL import Image
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    Image.fromarray(np.ascontiguousarray(image)).save(path, optimize=True)


def write_animation(images: Sequence[np.ndarray], path: str, fps: float = 5.0) -> None:
    """Write ``images`` (each ``(H, W, 3)`` uint8 RGB, same size) as an animated GIF that loops."""
    from PIL import Image
    if not images:
        raise ValueError(f'{path}: no frames to write')
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    frames = [Image.fromarray(np.ascontiguousarray(image)) for image in images]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=int(round(1000 / fps)), loop=0,
                   optimize=True)
