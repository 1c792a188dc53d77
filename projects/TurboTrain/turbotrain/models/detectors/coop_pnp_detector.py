"""Cooperative perception-and-prediction detector: shared trunk + detection head + trajectory head."""
import copy
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.utils import is_list_of
from torch import Tensor

from mmdet3d.models.detectors import Base3DDetector
from mmdet3d.registry import MODELS
from mmdet3d.structures import Det3DDataSample
from ..freezing import freeze_modules, keep_frozen_in_eval


@MODELS.register_module()
class CoopPnPDetector(Base3DDetector):
    """V2XPnP-style intermediate-fusion model: ``trunk`` (all shared parameters) → ``bbox_head`` and ``traj_head``.

    Losses are returned with task prefixes (``det.loss_heatmap``, ``det.loss_bbox``, ``pred.loss_traj``);
    :meth:`parse_losses` sums them per task and attaches ``loss.task_losses`` (an ``OrderedDict`` task → loss, each
    still attached to the graph) to the returned total, for gradient-balancing optimizer wrappers.

    Input ablations (honest: the dropped agent-frames are marked invalid before encoding, so their points are never
    seen): ``ego_only=True`` keeps agent 0 only; ``current_frame_only=True`` keeps frame ``T-1`` only. Read from
    ``test_cfg`` at predict time and from ``train_cfg`` at training time (to train the matching baselines).

    Args:
        trunk (dict): ``CoopTrunk`` config.
        bbox_head (dict): mmdet3d detection head on ``[bev]`` (e.g. ``NoVelocityCenterHead``); it receives
            ``train_cfg['det']`` / ``test_cfg['det']``.
        traj_head (dict): ``TrajectoryHead`` config.
        train_cfg (dict, optional): ``det`` (head train config), ``ego_only``, ``current_frame_only``.
        test_cfg (dict, optional): ``det`` (head test config), ``ego_only``, ``current_frame_only``.
        data_preprocessor (dict, optional): ``CoopDataPreprocessor`` config.
        frozen_modules (list[str], optional): dotted names of submodules to freeze (e.g. ``'trunk.backbone'``,
            ``'bbox_head'``): no gradient, norm statistics kept (eval mode), see ``models/freezing.py``. Used by
            the staged (manual) training recipe.
    """

    def __init__(self,
                 trunk: dict,
                 bbox_head: dict,
                 traj_head: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 frozen_modules: Sequence[str] = (),
                 init_cfg=None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.train_cfg = train_cfg or {}
        self.test_cfg = test_cfg or {}
        self.trunk = MODELS.build(trunk)
        bbox_head = copy.deepcopy(bbox_head)
        bbox_head.update(train_cfg=self.train_cfg.get('det'), test_cfg=self.test_cfg.get('det'))
        self.bbox_head = MODELS.build(bbox_head)
        self.traj_head = MODELS.build(traj_head) if traj_head is not None else None
        self.frozen_module_names = list(frozen_modules)
        self._frozen = freeze_modules(self, self.frozen_module_names)

    def train(self, mode: bool = True) -> 'CoopPnPDetector':
        """``nn.Module.train``, leaving the frozen submodules in eval mode."""
        super().train(mode)
        keep_frozen_in_eval(self._frozen)
        return self

    # ------------------------------------------------------------------ inputs
    @staticmethod
    def drop_agent_frames(inputs: dict, ego_only: bool = False,
                          current_frame_only: bool = False) -> dict:
        """Copy of the batched ``inputs`` with cooperators (agents ≥ 1) and/or past frames (t < T-1) invalid."""
        if not (ego_only or current_frame_only):
            return inputs
        inputs = dict(inputs)
        frame_valid = inputs['agent_frame_valid'].clone()
        if ego_only:
            frame_valid[:, 1:] = False
            agent_valid = inputs.get('agent_valid', torch.ones_like(frame_valid[..., 0])).clone()
            agent_valid[:, 1:] = False
            inputs['agent_valid'] = agent_valid
        if current_frame_only:
            frame_valid[:, :, :-1] = False
        inputs['agent_frame_valid'] = frame_valid
        return inputs

    def _ablated(self, inputs: dict, cfg: dict) -> dict:
        return self.drop_agent_frames(inputs, bool(cfg.get('ego_only', False)),
                                      bool(cfg.get('current_frame_only', False)))

    def extract_feat(self, batch_inputs_dict: dict) -> Dict[str, Tensor]:
        """Trunk output: ``bev`` ``(B, C, H, W)`` in the ego frame at t0 (+ masks)."""
        return self.trunk(batch_inputs_dict)

    # ------------------------------------------------------------------ modes
    def loss(self, batch_inputs_dict: dict, batch_data_samples: List[Det3DDataSample],
             **kwargs) -> Dict[str, Tensor]:
        """Task-prefixed losses: ``det.*`` from the detection head, ``pred.*`` from the trajectory head."""
        feats = self.extract_feat(self._ablated(batch_inputs_dict, self.train_cfg))
        losses = OrderedDict()
        det_losses = self.bbox_head.loss([feats['bev']], batch_data_samples)
        single_task = len(getattr(self.bbox_head, 'task_heads', [None])) == 1
        for name, value in det_losses.items():
            if single_task and name.startswith('task0.'):
                name = name[len('task0.'):]
            losses[f'det.{name}'] = value
        if self.traj_head is not None:
            for name, value in self.traj_head.loss(feats['bev'], batch_data_samples).items():
                losses[f'pred.{name}'] = value
        return losses

    def predict(self, batch_inputs_dict: dict, batch_data_samples: List[Det3DDataSample],
                **kwargs) -> List[Det3DDataSample]:
        """Detections (``bboxes_3d``, ``scores_3d``, ``labels_3d``) with ``trajs`` ``(N, F, 2)`` attached
        (absolute (x, y), ego frame at t0), and the sample's communication at t0 (see :meth:`communication`)."""
        feats = self.extract_feat(self._ablated(batch_inputs_dict, self.test_cfg))
        results = self.bbox_head.predict([feats['bev']], batch_data_samples)
        for result in results:
            result.labels_3d = result.labels_3d.long()  # CenterHead returns int32; ground truth is int64
        if self.traj_head is not None:
            results = self.traj_head.predict(feats['bev'], results)
        samples = self.add_pred_to_datasample(batch_data_samples, results)
        if 'message_bytes' in feats:
            for sample, (num_bytes, senders) in zip(samples, self.communication(feats['message_bytes'])):
                sample.comm_bytes, sample.comm_senders = num_bytes, senders
        return samples

    @staticmethod
    def communication(message_bytes: Tensor) -> List[Tuple[int, int]]:
        """Per sample, (bytes received by the ego at t0, cooperators that sent them).

        At each frame a cooperator transmits only its newest map (the current history slot ``T-1``); its older
        history maps were transmitted at their own frames and are kept by the receiver. So the traffic of one frame
        is ``message_bytes[b, 1:, T-1]``: one message per cooperator whose current frame exists.

        Args:
            message_bytes: ``(B, A, T)`` int64 bytes per agent-frame (``CoopTrunk.encode_agent_frames``).
        """
        current = message_bytes[:, 1:, -1]
        return [(int(row.sum()), int((row > 0).sum())) for row in current]

    def _forward(self, batch_inputs_dict: dict, batch_data_samples=None, **kwargs) -> Tuple:
        """Raw outputs: (trunk output dict, detection head outputs, trajectory offset map or None)."""
        feats = self.extract_feat(self._ablated(batch_inputs_dict, self.test_cfg))
        det_out = self.bbox_head([feats['bev']])
        traj_out = self.traj_head(feats['bev']) if self.traj_head is not None else None
        return feats, det_out, traj_out

    # ------------------------------------------------------------------ losses
    @staticmethod
    def task_of(loss_name: str) -> str:
        """Task of a loss key: the prefix before the first dot (``'det.loss_bbox'`` → ``'det'``)."""
        return loss_name.split('.', 1)[0] if '.' in loss_name else 'misc'

    def parse_losses(self, losses: Dict[str, Tensor]) -> Tuple[Tensor, Dict[str, Tensor]]:
        """Sum the losses per task and in total.

        Returns:
            tuple[Tensor, OrderedDict]: the total loss, carrying ``total.task_losses`` = ``OrderedDict(task → summed
            loss of its keys containing 'loss')`` (graph attached; the total is exactly their sum), and the log
            variables: ``loss``, ``loss_<task>`` per task, and every input key (mean-reduced).
        """
        values = OrderedDict()
        for name, value in losses.items():
            if isinstance(value, Tensor):
                values[name] = value.mean()
            elif is_list_of(value, Tensor):
                values[name] = sum(item.mean() for item in value)
            else:
                raise TypeError(f'{name} is not a tensor or list of tensors')
        task_losses = OrderedDict()
        for name, value in values.items():
            if 'loss' not in name:
                continue
            task = self.task_of(name)
            task_losses[task] = task_losses[task] + value if task in task_losses else value
        total = sum(task_losses.values()) if task_losses else next(iter(self.parameters())).sum() * 0.0
        total.task_losses = task_losses
        log_vars = OrderedDict(loss=total)
        for task, value in task_losses.items():
            log_vars[f'loss_{task}'] = value
        log_vars.update(values)
        return total, log_vars
