"""Cumulative training cost of a recipe, carried from stage to stage, and stamped on every validation.

A recipe is a chain of training runs (pretraining → fine-tuning, or the manual pipeline's four stages). Each run
counts its own iterations, epochs (iterations / batches per epoch), samples (batch × world size per iteration) and
training wall seconds (rank 0, from ``before_train`` to ``after_train`` less the time spent in validation, so the
validation interval does not change the cost), and adds the cumulative cost of the run it started from.

Where the earlier cost comes from (``previous='auto'``):

1. a run that ``load_from``-s a checkpoint (not resuming): that checkpoint's ``meta['training_cost']``, else the
   ``cost.json`` in the checkpoint's folder;
2. else a run whose model (or trunk) ``init_cfg`` is a ``PretrainedTrunk``: the ``cost.json`` in the trunk file's
   folder (pretraining's work dir);
3. else nothing: the run starts the recipe. A start checkpoint without any cost record is logged as a warning and
   the record says ``previous.unknown = true``.

A resumed run restores its own counters from the checkpoint's ``meta['training_cost']`` (the iterations that led
to that checkpoint; those redone after it are not counted twice).

Written (rank 0) to ``<work_dir>/cost.json`` at every validation and at the end of training (``complete: true``),
and into every checkpoint's ``meta['training_cost']`` (``complete: false``)::

    {"complete": bool, "config": str, "work_dir": str,
     "run": {"iters", "epochs", "samples", "wall_seconds"},            # this run only
     "total": {...same keys...},                                        # cumulative, earlier runs included
     "previous": {"source": path | null, "unknown": bool, "total": {...}},
     "stages": [{"work_dir", "config", "run": {...}}, ...],             # earlier runs, then this one
     "validations": [{"stage", "epoch", "iter", "total": {...}, "metrics": {...}}, ...]}  # earlier runs' too

Each validation also puts ``cost/iters``, ``cost/epochs``, ``cost/samples``, ``cost/wall_seconds`` (cumulative)
into the message hub under ``val/``, so they appear on the validation line of the log and in ``scalars.json``.
"""
import copy
import json
import math
import os
import os.path as osp
import time
from typing import Dict, List, Optional

from mmengine.dist import get_world_size, master_only
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmdet3d.registry import HOOKS

COST_FILE = 'cost.json'
META_KEY = 'training_cost'
COST_KEYS = ('iters', 'epochs', 'samples', 'wall_seconds')


def zero_cost() -> Dict[str, float]:
    return dict(iters=0, epochs=0.0, samples=0, wall_seconds=0.0)


def add_costs(a: Dict[str, float], b: Dict[str, float]) -> Dict[str, float]:
    return {key: a.get(key, 0) + b.get(key, 0) for key in COST_KEYS}


def read_cost_record(path: str) -> dict:
    """A ``cost.json`` (a file, or a work dir holding one); a ValueError naming the file if it is not one."""
    path = osp.join(path, COST_FILE) if osp.isdir(path) else path
    try:
        with open(path) as f:
            record = json.load(f)
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f'{path}: not a readable training-cost record ({error})') from error
    if not isinstance(record, dict) or not isinstance(record.get('total'), dict):
        raise ValueError(f'{path}: not a training-cost record (no "total")')
    return record


def _scalar(value) -> Optional[float]:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


@HOOKS.register_module()
class TrainingCostHook(Hook):
    """Counts the training cost of a recipe across its runs (see the module docstring).

    Args:
        previous: ``'auto'`` (find the earlier run's cost from the start checkpoint), a path to a ``cost.json`` or
            to the work dir holding it, or None (this run starts the recipe).
        filename: the record's name in the work dir.
    """

    priority = 'NORMAL'  # after RuntimeInfoHook, before LoggerHook (so the val line shows the cost)

    def __init__(self, previous: Optional[str] = 'auto', filename: str = COST_FILE) -> None:
        self.previous = previous
        self.filename = filename
        self.run_cost = zero_cost()
        self.previous_record: dict = dict(source=None, unknown=False, total=zero_cost())
        self.stages: List[dict] = []
        self.validations: List[dict] = []
        self._resumed = False
        self._wall_before = 0.0  # wall seconds restored from a resumed checkpoint
        self._start: Optional[float] = None
        self._val_start: Optional[float] = None
        self._val_seconds = 0.0
        self._batches_per_epoch = 1

    # ------------------------------------------------------------------ state
    def total(self) -> Dict[str, float]:
        return add_costs(self.previous_record['total'], self.run_cost)

    def _take_previous(self, record: dict, source: str) -> None:
        # an earlier run that itself lacked its start's cost leaves the whole chain under-counted
        unknown = bool((record.get('previous') or {}).get('unknown'))
        self.previous_record = dict(source=source, unknown=unknown,
                                    total={k: record['total'].get(k, 0) for k in COST_KEYS})
        self.stages = copy.deepcopy(record.get('stages', []))
        self.validations = copy.deepcopy(record.get('validations', []))

    # ------------------------------------------------------------------ where the earlier cost is
    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        meta = checkpoint.get('meta', {}) or {}
        saved = meta.get(META_KEY)
        if getattr(runner, '_resume', False):  # this run's own checkpoint: restore the counters
            if saved is not None:
                self.run_cost = {k: saved['run'].get(k, 0) for k in COST_KEYS}
                self._wall_before = float(self.run_cost['wall_seconds'])
                self.previous_record = copy.deepcopy(saved['previous'])
                self.stages = copy.deepcopy(saved['stages'][:-1])  # the last entry is this run
                self.validations = copy.deepcopy(saved['validations'])
                self._resumed = True
            return
        if self.previous != 'auto':
            return
        load_from = getattr(runner, '_load_from', None)
        if saved is not None:
            self._take_previous(saved, f'{load_from} (checkpoint meta)')
            if load_from and saved.get('stages'):
                # the validation right after that checkpoint was saved is only in its folder's cost.json
                stage = osp.basename(osp.normpath(saved['stages'][-1]['work_dir']))
                self._merge_validations(osp.join(osp.dirname(load_from), self.filename), stage,
                                        int(meta.get('iter', 0)))
        elif load_from and osp.isfile(osp.join(osp.dirname(load_from), self.filename)):
            path = osp.join(osp.dirname(load_from), self.filename)
            self._take_previous(read_cost_record(path), path)
        else:
            self.previous_record = dict(source=load_from, unknown=True, total=zero_cost())

    @staticmethod
    def _trunk_checkpoint(runner) -> Optional[str]:
        """The checkpoint of a ``PretrainedTrunk`` init_cfg of the model or of its trunk (config, else the built
        model's ``init_cfg``), None if there is none."""
        model_cfg = runner.cfg.get('model') if getattr(runner, 'cfg', None) is not None else None
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        candidates = [getattr(model, 'init_cfg', None), getattr(getattr(model, 'trunk', None), 'init_cfg', None)]
        if isinstance(model_cfg, dict):
            candidates = [model_cfg.get('init_cfg'), (model_cfg.get('trunk') or {}).get('init_cfg')] + candidates
        for init_cfg in candidates:
            if isinstance(init_cfg, dict) and init_cfg.get('type') == 'PretrainedTrunk':
                return init_cfg.get('checkpoint')
        return None

    def before_train(self, runner) -> None:
        self._batches_per_epoch = max(1, len(runner.train_dataloader))
        loaded = getattr(runner, '_load_from', None) and not getattr(runner, '_resume', False)
        if self._resumed:
            self._merge_validations(osp.join(runner.work_dir, self.filename), self._stage_name(runner), runner.iter)
        elif isinstance(self.previous, str) and self.previous != 'auto':
            self._take_previous(read_cost_record(self.previous), self.previous)
        elif self.previous == 'auto' and not loaded:
            trunk = self._trunk_checkpoint(runner)
            if trunk:
                path = osp.join(osp.dirname(trunk), self.filename)
                if osp.isfile(path):
                    self._take_previous(read_cost_record(path), path)
                else:
                    self.previous_record = dict(source=trunk, unknown=True, total=zero_cost())
        if self.previous_record.get('unknown'):
            runner.logger.warning(f'TrainingCostHook: no training-cost record for the start checkpoint '
                                  f'{self.previous_record["source"]} or one of the runs before it; that cost is '
                                  'not counted')
        elif self.previous_record['source']:
            runner.logger.info(f'TrainingCostHook: carrying {self._describe(self.previous_record["total"])} from '
                               f'{self.previous_record["source"]}')
        self._start = time.perf_counter()
        self._val_seconds = 0.0

    def _merge_validations(self, path: str, stage: str, max_iter: int) -> None:
        """Add the validations of ``stage`` up to iteration ``max_iter`` that the cost.json at ``path`` holds and
        the restored record lacks: the loop validates *after* saving a checkpoint, so a checkpoint's record misses
        the validation of its own epoch."""
        if not osp.isfile(path):
            return
        try:
            record = read_cost_record(path)
        except ValueError:
            return
        seen = {(v['stage'], v['iter']) for v in self.validations}
        for entry in record.get('validations', []):
            if entry.get('stage') == stage and entry['iter'] <= max_iter and (stage, entry['iter']) not in seen:
                self.validations.append(entry)
        self.validations.sort(key=lambda v: v['total']['iters'])

    # ------------------------------------------------------------------ counting
    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        samples = data_batch.get('data_samples') if isinstance(data_batch, dict) else None
        batch = len(samples) if samples is not None else 1
        self.run_cost['iters'] += 1
        self.run_cost['samples'] += batch * get_world_size()
        self.run_cost['epochs'] = self.run_cost['iters'] / self._batches_per_epoch
        self.run_cost['wall_seconds'] = self._wall()

    def _wall(self) -> float:
        if self._start is None:
            return float(self.run_cost['wall_seconds'])
        return self._wall_before + time.perf_counter() - self._start - self._val_seconds

    def before_val(self, runner) -> None:
        self._val_start = time.perf_counter() if self._start is not None else None

    def after_val(self, runner) -> None:
        if self._val_start is not None:
            self._val_seconds += time.perf_counter() - self._val_start
            self._val_start = None

    def after_val_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        if self._start is None:  # a validation outside training (runner.val())
            return
        total = self.total()
        for key in COST_KEYS:
            runner.message_hub.update_scalar(f'val/cost/{key}', total[key])
        scalars = {key: value for key, value in ((k, _scalar(v)) for k, v in (metrics or {}).items())
                   if value is not None}
        entry = dict(stage=self._stage_name(runner), epoch=runner.epoch, iter=runner.iter, total=total,
                     metrics=scalars)
        self.validations = [v for v in self.validations
                            if (v['stage'], v['iter']) != (entry['stage'], entry['iter'])] + [entry]
        runner.logger.info(f'TrainingCostHook: validation at {self._describe(total)} (cumulative)')
        self._write(runner, complete=False)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        self.run_cost['wall_seconds'] = self._wall()
        checkpoint.setdefault('meta', {})[META_KEY] = self.record(runner, complete=False)

    def after_train(self, runner) -> None:
        self.run_cost['wall_seconds'] = self._wall()
        runner.logger.info(f'TrainingCostHook: this run {self._describe(self.run_cost)}; recipe total '
                           f'{self._describe(self.total())}; written to {osp.join(runner.work_dir, self.filename)}')
        self._write(runner, complete=True)
        self._start = None

    # ------------------------------------------------------------------ output
    @staticmethod
    def _stage_name(runner) -> str:
        return osp.basename(osp.normpath(runner.work_dir))

    @staticmethod
    def _describe(cost: Dict[str, float]) -> str:
        return (f"{int(cost['iters'])} iterations, {cost['epochs']:.2f} epochs, {int(cost['samples'])} samples, "
                f"{cost['wall_seconds']:.1f} s")

    def record(self, runner, complete: bool) -> dict:
        """The ``cost.json`` content (see the module docstring)."""
        config = getattr(getattr(runner, 'cfg', None), 'filename', None)
        this_stage = dict(work_dir=runner.work_dir, config=config, run=dict(self.run_cost))
        return dict(complete=complete, config=config, work_dir=runner.work_dir, run=dict(self.run_cost),
                    total=self.total(), previous=copy.deepcopy(self.previous_record),
                    stages=copy.deepcopy(self.stages) + [this_stage], validations=copy.deepcopy(self.validations))

    @master_only
    def _write(self, runner, complete: bool) -> None:
        path = osp.join(runner.work_dir, self.filename)
        tmp = path + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(self.record(runner, complete), f, indent=1)
        os.replace(tmp, path)  # a reader never sees a half-written record


__all__ = ['TrainingCostHook', 'read_cost_record', 'COST_FILE', 'COST_KEYS', 'META_KEY']
