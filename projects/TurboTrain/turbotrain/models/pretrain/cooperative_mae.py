"""``CoopMAE``: multi-agent spatiotemporal masked-reconstruction pretraining of the cooperative trunk.

Data flow for a batch (frames as in docs/contract.md)::

    inputs['points'] (B·A·H clouds, agent-frame-at-t)
      └─ BEVColumnMasking: per agent and per history frame, ratio of occupied columns removed
           └─ kept clouds ─ trunk (same config as fine-tuning: encoder → temporal → spatial fusion)
                              └─ bev (B, C, Hb, Wb), ego frame at t0 ─ BEVReconstructionHead
                                   └─ occupancy logits (B, Hb, Wb), K points per cell
    targets: real current-frame points of all agents → ego frame at t0 (ReconstructionTargetBuilder)
    losses:  recon.loss_chamfer (supervised = masked occupied cells), recon.loss_occupancy (all cells)

The model never reads labels: ``data_samples`` are only used for their ``metainfo`` in ``predict``.
"""
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.dist import get_rank
from mmengine.logging import print_log
from mmengine.model import BaseModel
from torch import Tensor

from mmdet3d.registry import MODELS, TASK_UTILS
from mmdet3d.structures import Det3DDataSample
from .bev_column_masking import ColumnMaskResult
from .losses import chamfer_distance
from .reconstruction_targets import ReconstructionTargets


@dataclass
class ReconstructionResult:
    """Everything one reconstruction pass produced (see :meth:`CoopMAE.reconstruct`).

    Attributes:
        mask: the masking of the input clouds.
        bev: ``(B, C, Hb, Wb)`` fused trunk output, ego frame at t0.
        occupancy_logits: ``(B, Hb, Wb)``.
        raw_points: ``(B, 3K, Hb, Wb)`` raw point parameters of the head.
        targets: reconstruction targets.
        pred_points: ``(M, K, 3)`` predicted offsets (m) in the supervised cells ``targets.cell_index``.
    """
    mask: ColumnMaskResult
    bev: Tensor
    occupancy_logits: Tensor
    raw_points: Tensor
    targets: ReconstructionTargets
    pred_points: Tensor


@MODELS.register_module()
class CoopMAE(BaseModel):
    """Cooperative masked autoencoder for label-free pretraining of ``trunk``.

    Args:
        trunk: config of the trunk, identical to the fine-tuning detector's ``trunk`` (so ``trunk.*`` keys match).
            Called as ``trunk(inputs) -> dict(bev=(B, C, Hb, Wb))``.
        recon_head: config of :class:`BEVReconstructionHead`.
        masking: config of :class:`BEVColumnMasking` (``TASK_UTILS``). Its ``seed`` (drawn from torch's global
            RNG when None) is offset by the distributed rank so that ranks draw different masks. The masks of the
            n-th training batch come from a generator seeded with (that seed, n); the base seed and n are the
            model's extra state, saved in checkpoints, so a resumed run draws the masks of the uninterrupted run.
        target_builder: config of :class:`ReconstructionTargetBuilder`; defaults to the masking's
            ``point_cloud_range`` and 64 points per cell.
        loss_chamfer: config of :class:`ChamferLoss`.
        loss_occupancy: config of :class:`OccupancyLoss`.
        occupancy_threshold: probability above which a cell counts as predicted occupied (metrics only).
        val_seed: seed of the masks drawn in ``predict`` (the same batch always gets the same masks).
        val_mask_ratio: mask ratio used in ``predict`` and by ``MAEPretrainHook`` checks, so that quality numbers
            stay comparable while a schedule changes the training ratio; None uses the current ratio.
        data_preprocessor: config of the data preprocessor (``CoopDataPreprocessor``).
        init_cfg: mmengine init config.
    """

    def __init__(self,
                 trunk: dict,
                 recon_head: dict,
                 masking: dict,
                 target_builder: Optional[dict] = None,
                 loss_chamfer: dict = dict(type='ChamferLoss', loss_weight=1.0),
                 loss_occupancy: dict = dict(type='OccupancyLoss', loss_weight=1.0),
                 occupancy_threshold: float = 0.5,
                 val_seed: int = 0,
                 val_mask_ratio: Optional[float] = None,
                 data_preprocessor: Optional[Union[dict, torch.nn.Module]] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.trunk = MODELS.build(trunk)
        self.recon_head = MODELS.build(recon_head)
        masking = dict(masking)
        if masking.get('seed') is None:  # from the global RNG, which mmengine seeds from `randomness`
            masking['seed'] = int(torch.randint(0, 2**30, (1, )).item())
        self._mask_seed_base = int(masking['seed'])
        masking['seed'] = self._mask_seed_base + get_rank()  # ranks draw different masks
        self.masking = TASK_UTILS.build(masking)
        self._num_mask_draws = 0  # training batches masked so far (the same count on every rank)
        if target_builder is None:
            target_builder = dict(type='ReconstructionTargetBuilder',
                                  point_cloud_range=self.masking.point_cloud_range, max_points_per_cell=64)
        self.target_builder = TASK_UTILS.build(target_builder)
        self.loss_chamfer = MODELS.build(loss_chamfer)
        self.loss_occupancy = MODELS.build(loss_occupancy)
        self.occupancy_threshold = float(occupancy_threshold)
        self.val_seed = int(val_seed)
        self.val_mask_ratio = None if val_mask_ratio is None else float(val_mask_ratio)
        self._warned_column_size = False

    # ------------------------------------------------------------------ core
    def reconstruct(self, inputs: dict, generator: Optional[torch.Generator] = None) -> ReconstructionResult:
        """Mask, encode, fuse, reconstruct and build targets for a batch.

        Args:
            inputs: the batched model input of docs/contract.md (``points``, ``agent_poses``,
                ``agent_frame_valid``, ``agent_types``, ``agent_valid``).
            generator: CPU generator for the masks and the target subsampling (default: the next training
                batch's, see :meth:`next_mask_generator`).

        Returns:
            :class:`ReconstructionResult`.
        """
        poses = inputs['agent_poses']
        B, A, H = poses.shape[:3]
        cloud_valid = inputs['agent_frame_valid'].bool()
        if inputs.get('agent_valid') is not None:
            cloud_valid = cloud_valid & inputs['agent_valid'].bool()[..., None]
        generator = self.next_mask_generator() if generator is None else generator

        mask = self.masking(inputs['points'], cloud_valid.reshape(-1).cpu(), generator=generator)
        trunk_inputs = dict(inputs)
        trunk_inputs['points'] = mask.kept_points
        bev = self.trunk(trunk_inputs)['bev']
        head_out = self.recon_head(bev)
        self._check_column_size(bev.shape[-2:])

        targets = self.target_builder(inputs['points'], mask.point_is_masked, poses, cloud_valid, bev.shape[-2:],
                                      generator=generator)
        pred_points = self.recon_head.decode_points(head_out['points'], targets.cell_index)
        return ReconstructionResult(mask=mask, bev=bev, occupancy_logits=head_out['occupancy'],
                                    raw_points=head_out['points'], targets=targets, pred_points=pred_points)

    def next_mask_generator(self) -> torch.Generator:
        """The CPU generator of the next training batch: seeded from (this rank's masking seed, the number of
        batches drawn before), which the checkpoint keeps (:meth:`get_extra_state`)."""
        seed = np.random.SeedSequence([self.masking.seed, self._num_mask_draws]).generate_state(1)[0]
        self._num_mask_draws += 1
        return torch.Generator().manual_seed(int(seed))

    def get_extra_state(self) -> Tensor:
        """``[base masking seed (rank 0's), training batches masked so far]``, saved as ``_extra_state``."""
        return torch.tensor([self._mask_seed_base, self._num_mask_draws], dtype=torch.int64)

    def set_extra_state(self, state: Tensor) -> None:
        """Restore :meth:`get_extra_state` on every rank (each offsets the base seed by its own rank again)."""
        if not (isinstance(state, Tensor) and state.shape == (2, )):
            raise ValueError(f'CoopMAE extra state must be a tensor [base seed, draws], got {state!r}')
        self._mask_seed_base, self._num_mask_draws = (int(v) for v in state.tolist())
        self.masking.seed = self._mask_seed_base + get_rank()

    def _check_column_size(self, grid_shape: Sequence[int]) -> None:
        if self._warned_column_size:
            return
        self._warned_column_size = True
        cell = self.recon_head.cell_size(grid_shape)
        column = self.masking.column_size
        if any(abs(c - m) > 1e-6 for c, m in zip(cell, column)):
            print_log(f'CoopMAE: mask column size {column} m differs from the trunk output cell size {cell} m; '
                      'the masking unit is meant to be pillar size × encoder output stride.',
                      logger='current', level=30)

    @contextmanager
    def evaluation_masking(self) -> Iterator[None]:
        """Within this context the masking uses ``val_mask_ratio`` (when set); the training ratio is restored."""
        train_ratio = self.masking.ratio
        if self.val_mask_ratio is not None:
            self.masking.ratio = self.val_mask_ratio
        try:
            yield
        finally:
            self.masking.ratio = train_ratio

    # ------------------------------------------------------------------ modes
    def forward(self, inputs: dict, data_samples: Optional[List[Det3DDataSample]] = None,
                mode: str = 'tensor') -> Union[Dict[str, Tensor], List[Det3DDataSample]]:
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            result = self.reconstruct(inputs)
            return dict(bev=result.bev, occupancy=result.occupancy_logits, points=result.raw_points)
        raise RuntimeError(f'Invalid mode "{mode}"; only "tensor", "predict" and "loss" are supported')

    def loss(self, inputs: dict, data_samples: Optional[List[Det3DDataSample]] = None) -> Dict[str, Tensor]:
        """Losses ``recon.loss_chamfer`` and ``recon.loss_occupancy`` (``data_samples`` are not read)."""
        result = self.reconstruct(inputs)
        targets = result.targets
        return {
            'recon.loss_chamfer': self.loss_chamfer(result.pred_points, targets.cell_points,
                                                    targets.cell_point_valid),
            'recon.loss_occupancy': self.loss_occupancy(result.occupancy_logits, targets.occupancy),
        }

    def parse_losses(self, losses: Dict[str, Tensor]):
        """mmengine's parsing, plus ``loss.task_losses = {'recon': loss}`` (docs/contract.md)."""
        loss, log_vars = super().parse_losses(losses)
        loss.task_losses = dict(recon=loss)
        return loss, log_vars

    @torch.no_grad()
    def predict(self, inputs: dict, data_samples: Optional[List[Det3DDataSample]] = None,
                generator: Optional[torch.Generator] = None) -> List[Det3DDataSample]:
        """Reconstruction quality per sample, with deterministic masks (``val_seed``, ``val_mask_ratio``); labels
        are never read.

        Returns:
            B data samples carrying only the input ``metainfo`` and ``recon_metrics`` = dict(chamfer_sum,
            num_cells, tp, fp, fn, masked_tp, num_masked_cells, chamfer) (see ``reconstruction_metric.py``).
        """
        if generator is None:
            generator = torch.Generator().manual_seed(self.val_seed)
        with self.evaluation_masking():
            result = self.reconstruct(inputs, generator=generator)
        metrics = self.reconstruction_counts(result)
        outputs = []
        for b, counts in enumerate(metrics):
            metainfo = data_samples[b].metainfo if data_samples is not None else {}
            sample = Det3DDataSample(metainfo=metainfo)
            sample.recon_metrics = counts
            outputs.append(sample)
        return outputs

    def reconstruction_counts(self, result: ReconstructionResult) -> List[Dict[str, float]]:
        """Per-sample Chamfer sums and occupancy confusion counts of a :class:`ReconstructionResult`."""
        targets = result.targets
        B = result.occupancy_logits.shape[0]
        per_cell = chamfer_distance(result.pred_points, targets.cell_points, targets.cell_point_valid,
                                    squared=getattr(self.loss_chamfer, 'squared', True))
        cell_batch = targets.cell_index[:, 0]
        chamfer_sum = torch.zeros(B, device=per_cell.device).index_add_(0, cell_batch, per_cell)
        num_cells = torch.bincount(cell_batch, minlength=B)
        predicted = torch.sigmoid(result.occupancy_logits) > self.occupancy_threshold
        occupied, supervised = targets.occupancy, targets.supervised
        dims = (1, 2)
        tp = (predicted & occupied).sum(dims)
        fp = (predicted & ~occupied).sum(dims)
        fn = (~predicted & occupied).sum(dims)
        masked_tp = (predicted & supervised).sum(dims)
        num_masked = supervised.sum(dims)
        out = []
        for b in range(B):
            n = int(num_cells[b])
            out.append(dict(chamfer_sum=float(chamfer_sum[b]), num_cells=n, tp=int(tp[b]), fp=int(fp[b]),
                            fn=int(fn[b]), masked_tp=int(masked_tp[b]), num_masked_cells=int(num_masked[b]),
                            chamfer=float(chamfer_sum[b]) / max(n, 1)))
        return out
