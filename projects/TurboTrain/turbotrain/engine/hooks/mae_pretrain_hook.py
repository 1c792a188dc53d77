"""``MAEPretrainHook``: schedule, monitoring and trunk export of ``CoopMAE`` pretraining.

* Mask-ratio schedule: sets ``model.masking.ratio`` before every train iteration from the iteration count
  (``constant`` / ``linear`` / ``cosine`` between ``start`` and ``end`` over ``[begin_iter, end_iter)``), so it
  follows ``--resume`` with no extra state.
* Reconstruction quality: every ``val_interval`` train iterations and at the end of training, the first
  ``num_val_batches`` batches of a held-out dataloader (``val_dataloader`` given to the hook, else the runner's
  validation dataloader) are reconstructed with fixed masks (``val_seed``); Chamfer distance, occupancy precision /
  recall and masked-cell recall are logged and sent to the visualizer backends as ``recon_val/*``.
* BEV picture: every ``vis_interval`` iterations (and at the end), ``work_dir/<vis_dir>/iter_XXXXXXX.png`` shows
  for the first held-out sample, in the ego frame at t0, the current-frame points of all agents (input), what the
  encoder kept vs. what was masked, and the points reconstructed in the masked cells.
* Export: after training, rank 0 writes the trunk-only checkpoint ``work_dir/<export_filename>`` (loaded by the
  fine-tune config with ``init_cfg=dict(type='PretrainedTrunk', checkpoint=...)``).
"""
import math
import os
import os.path as osp
from typing import Dict, List, Optional, Union

import numpy as np
import torch
from mmengine.dist import master_only
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmdet3d.registry import HOOKS
from ...models.pretrain.reconstruction_metric import summarise_reconstruction
from ...models.pretrain.trunk_checkpoint import export_trunk_checkpoint

DATA_BATCH = Optional[Union[dict, tuple, list]]


def scheduled_mask_ratio(iteration: int, schedule: dict, max_iters: int) -> float:
    """Mask ratio at ``iteration`` (0-based) for ``schedule``.

    Args:
        iteration: current train iteration.
        schedule: dict(mode='constant'|'linear'|'cosine', start=float, end=float, begin_iter=0, end_iter=None);
            ``end_iter=None`` means ``max_iters``. Before ``begin_iter`` the ratio is ``start``, from ``end_iter`` on
            it is ``end``. ``constant`` uses ``end`` (or ``ratio``) throughout.
        max_iters: the run's total iterations.
    """
    mode = schedule.get('mode', 'linear')
    if mode == 'constant':
        return float(schedule.get('ratio', schedule.get('end')))
    start, end = float(schedule['start']), float(schedule['end'])
    begin = int(schedule.get('begin_iter', 0))
    finish = schedule.get('end_iter')
    finish = int(max_iters if finish is None else finish)
    if finish <= begin:
        return end
    progress = min(max((iteration - begin) / (finish - begin), 0.0), 1.0)
    if mode == 'linear':
        return start + (end - start) * progress
    if mode == 'cosine':
        return end + (start - end) * 0.5 * (1.0 + math.cos(math.pi * progress))
    raise ValueError(f'unknown mask-ratio schedule mode "{mode}" (constant, linear, cosine)')


@HOOKS.register_module()
class MAEPretrainHook(Hook):
    """Owns the ``CoopMAE`` pretraining schedule, its monitoring and the trunk export.

    Args:
        mask_ratio_schedule: see :func:`scheduled_mask_ratio`; None keeps the masking's configured ratio.
        val_interval: train iterations between reconstruction-quality checks (0: only at the end of training).
        num_val_batches: held-out batches per check.
        val_dataloader: dataloader config (or object) of the held-out data; None uses the runner's
            ``val_dataloader`` (needs ``val_cfg``); with neither, checks are skipped with a warning.
        val_seed: seed of the masks used for checks (batch i uses ``val_seed + i``).
        vis_interval: train iterations between BEV pictures (0: only at the end of training).
        vis_dir: folder under ``work_dir`` for the pictures.
        max_vis_points: points drawn per layer (random subset, fixed seed) to keep pictures small.
        export_filename: trunk-only checkpoint written under ``work_dir`` after training (None: no export).
    """

    priority = 'NORMAL'

    def __init__(self,
                 mask_ratio_schedule: Optional[dict] = None,
                 val_interval: int = 0,
                 num_val_batches: int = 2,
                 val_dataloader: Optional[Union[dict, object]] = None,
                 val_seed: int = 0,
                 vis_interval: int = 0,
                 vis_dir: str = 'recon_vis',
                 max_vis_points: int = 30000,
                 export_filename: Optional[str] = 'trunk_pretrained.pth') -> None:
        if mask_ratio_schedule is not None:
            scheduled_mask_ratio(0, mask_ratio_schedule, 1)  # validate early
        self.mask_ratio_schedule = mask_ratio_schedule
        self.val_interval = int(val_interval)
        self.num_val_batches = int(num_val_batches)
        self._val_dataloader_cfg = val_dataloader
        self._val_dataloader = None
        self.val_seed = int(val_seed)
        self.vis_interval = int(vis_interval)
        self.vis_dir = vis_dir
        self.max_vis_points = int(max_vis_points)
        self.export_filename = export_filename
        self.last_quality: Optional[Dict[str, float]] = None
        self.exported_path: Optional[str] = None
        self._drawn_step = -1
        self._checked_step = -1

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _model(runner):
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if not (hasattr(model, 'masking') and hasattr(model, 'reconstruct')):
            raise TypeError(f'MAEPretrainHook needs a CoopMAE-like model (with `masking` and `reconstruct`), '
                            f'got {type(model).__name__}')
        return model

    def _held_out(self, runner):
        if self._val_dataloader is None:
            if self._val_dataloader_cfg is not None:
                cfg = self._val_dataloader_cfg
                self._val_dataloader = runner.build_dataloader(cfg) if isinstance(cfg, dict) else cfg
            else:
                loop = runner.val_loop
                self._val_dataloader = None if loop is None else loop.dataloader
        return self._val_dataloader

    # ------------------------------------------------------------------ hook points
    def before_train(self, runner) -> None:
        model = self._model(runner)
        runner.logger.info(f'MAEPretrainHook: masking {model.masking}, schedule {self.mask_ratio_schedule}')

    def before_train_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None) -> None:
        model = self._model(runner)
        if self.mask_ratio_schedule is not None:
            model.masking.ratio = scheduled_mask_ratio(runner.iter, self.mask_ratio_schedule, runner.max_iters)
        runner.message_hub.update_scalar('train/mask_ratio', model.masking.ratio)

    def after_train_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None, outputs=None) -> None:
        check = self.every_n_train_iters(runner, self.val_interval) if self.val_interval > 0 else False
        draw = self.every_n_train_iters(runner, self.vis_interval) if self.vis_interval > 0 else False
        if check or draw:
            self.evaluate(runner, draw=draw, log_quality=check, step=runner.iter + 1)

    def after_train(self, runner) -> None:
        # runner.iter is now the number of iterations done; skip what the last iteration already did
        self.evaluate(runner, draw=self._drawn_step != runner.iter, log_quality=self._checked_step != runner.iter,
                      step=runner.iter)
        if self.export_filename:
            self._export(runner)

    # ------------------------------------------------------------------ work
    @torch.no_grad()
    def evaluate(self, runner, draw: bool = False, log_quality: bool = True,
                 step: Optional[int] = None) -> Optional[Dict[str, float]]:
        """Reconstruct held-out batches with fixed masks; log quality and/or draw the first sample.

        Args:
            runner: the runner.
            draw: write the BEV picture of the first held-out sample.
            log_quality: compute and log the reconstruction quality over ``num_val_batches`` batches.
            step: iteration count the results are filed under (default ``runner.iter``).

        Returns:
            The quality dict (see ``summarise_reconstruction``), or None when not computed.
        """
        if not (draw or log_quality):
            return None
        step = runner.iter if step is None else int(step)
        dataloader = self._held_out(runner)
        if dataloader is None:
            runner.logger.warning('MAEPretrainHook: no held-out dataloader (give `val_dataloader` to the hook or '
                                  'set val_cfg); reconstruction quality is not checked')
            return None
        model = self._model(runner)
        was_training = model.training
        model.eval()
        counts: List[Dict[str, float]] = []
        try:
            for i, data_batch in enumerate(dataloader):
                if i >= max(self.num_val_batches, 1):
                    break
                data = model.data_preprocessor(data_batch, False)
                generator = torch.Generator().manual_seed(self.val_seed + i)
                with model.evaluation_masking():
                    result = model.reconstruct(data['inputs'], generator=generator)
                counts.extend(model.reconstruction_counts(result))
                if draw and i == 0:
                    self._draw(runner, model, result, step)
                    self._drawn_step = step
                if not log_quality:
                    break
        finally:
            model.train(was_training)
        if not log_quality or not counts:
            return None
        quality = summarise_reconstruction(counts)
        self.last_quality = quality
        self._checked_step = step
        runner.logger.info(f'MAEPretrainHook: held-out reconstruction at iter {step}: '
                           + ', '.join(f'{k}={v:.4f}' for k, v in quality.items()))
        runner.visualizer.add_scalars({f'recon_val/{k}': v for k, v in quality.items()}, step=step)
        return quality

    @master_only
    def _draw(self, runner, model, result, step: int) -> None:
        try:
            import matplotlib
            matplotlib.use('Agg')
            import matplotlib.pyplot as plt
        except ImportError:  # pragma: no cover
            runner.logger.warning('MAEPretrainHook: matplotlib missing, no BEV picture')
            return
        targets = result.targets
        points = targets.current_points[0].detach().cpu().numpy()
        masked = targets.current_point_masked[0].detach().cpu().numpy()
        in_sample = (targets.cell_index[:, 0] == 0).cpu()
        centres = targets.cell_centres()[in_sample.to(targets.cell_index.device)]
        recon = (result.pred_points[in_sample.to(result.pred_points.device)] + centres[:, None, :].to(
            result.pred_points.device)).reshape(-1, 3).detach().cpu().numpy()
        rng = np.random.default_rng(0)

        def subset(xyz: np.ndarray) -> np.ndarray:
            if len(xyz) <= self.max_vis_points:
                return xyz
            return xyz[rng.choice(len(xyz), self.max_vis_points, replace=False)]

        x_min, y_min, _, x_max, y_max, _ = model.target_builder.point_cloud_range
        fig, axes = plt.subplots(1, 3, figsize=(18, 6 * (y_max - y_min) / (x_max - x_min) + 0.8))
        panels = [
            ('input: current frame, all agents', [(points, 'k', 0.5)]),
            (f'masked (red, {int(masked.sum())} points) / kept (grey, {int((~masked).sum())})',
             [(points[~masked], '0.6', 0.5), (points[masked], 'tab:red', 0.5)]),
            (f'reconstructed in {int(in_sample.sum())} masked cells (blue) / kept (grey)',
             [(points[~masked], '0.6', 0.5), (recon, 'tab:blue', 1.5)]),
        ]
        for ax, (title, layers) in zip(axes, panels):
            for xyz, colour, size in layers:
                xyz = subset(xyz)
                ax.scatter(xyz[:, 0], xyz[:, 1], s=size, c=colour, linewidths=0)
            ax.set_title(title, fontsize=9)
            ax.set_xlim(x_min, x_max)
            ax.set_ylim(y_min, y_max)
            ax.set_aspect('equal')
            ax.set_xlabel('x (m, ego frame at t0)')
        axes[0].set_ylabel('y (m)')
        out_dir = osp.join(runner.work_dir, self.vis_dir)
        os.makedirs(out_dir, exist_ok=True)
        ratio = model.masking.ratio if getattr(model, 'val_mask_ratio', None) is None else model.val_mask_ratio
        fig.suptitle(f'iter {step}, mask ratio {ratio:.2f} (ego frame at t0)', fontsize=10)
        fig.tight_layout()
        fig.savefig(osp.join(out_dir, f'iter_{step:07d}.png'), dpi=120)
        plt.close(fig)

    @master_only
    def _export(self, runner) -> None:
        model = self._model(runner)
        path = osp.join(runner.work_dir, self.export_filename)
        meta = dict(iter=runner.iter, epoch=runner.epoch, mask_ratio=model.masking.ratio,
                    source_model=type(model).__name__)
        if getattr(runner, 'cfg', None) is not None and getattr(runner.cfg, 'filename', None):
            meta['config'] = runner.cfg.filename
        export_trunk_checkpoint(model, path, meta=meta)
        self.exported_path = path
        runner.logger.info(f'MAEPretrainHook: trunk-only checkpoint written to {path}; fine-tune with '
                           f"init_cfg=dict(type='PretrainedTrunk', checkpoint='{path}')")
