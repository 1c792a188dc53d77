"""mmengine's early stopping, resumable and harmless outside training.

The manual pipeline's stages stop at the first validation that does not improve their metric. mmengine's
``EarlyStoppingHook`` keeps its best score and wait count in memory only, so a stage resumed after a stop starts
again from ``best_score = ±inf``: the first validation after the resume always counts as an improvement and the stage
can train longer than the same stage run without a stop. Its ``before_run`` also reads ``runner.train_loop``, which
builds the training loop (and the training set) even for ``tools/test.py``.

This hook keeps mmengine's rule and adds:

- after every validation (rank 0) it appends its state to ``<work_dir>/early_stopping.json``, stamped with the
  iteration validated. A checkpoint cannot hold it: mmengine saves the epoch's checkpoint before that epoch's
  validation runs. On ``--resume`` from a checkpoint of iteration ``i`` it restores the state of the last
  validation at or before ``i`` (not when a later stage ``load_from``-s it: a new stage starts its own count);
- ``before_run`` checks the loop only when training built one.
"""
import json
import os
import os.path as osp
from typing import List, Optional

from mmengine.dist import master_only
from mmengine.hooks import EarlyStoppingHook
from mmengine.runner.base_loop import BaseLoop

from mmdet3d.registry import HOOKS

STATE_FILE = 'early_stopping.json'


@HOOKS.register_module()
class ResumableEarlyStoppingHook(EarlyStoppingHook):
    """``EarlyStoppingHook`` (same arguments) whose ``best_score`` / ``wait_count`` survive ``--resume``."""

    @staticmethod
    def training(runner) -> bool:
        """Whether ``runner`` is training: Runner.train() builds its loop before ``before_run``; test() and val()
        leave the config dict unbuilt (reading ``runner.train_loop`` would build it, the training set included)."""
        return isinstance(getattr(runner, '_train_loop', None), BaseLoop)

    def before_run(self, runner) -> None:
        if self.training(runner):
            super().before_run(runner)

    def state(self) -> dict:
        """What the stopping rule has seen so far (``monitor`` names the metric it belongs to)."""
        return dict(monitor=self.monitor, best_score=float(self.best_score), wait_count=int(self.wait_count))

    def after_val_epoch(self, runner, metrics) -> None:
        super().after_val_epoch(runner, metrics)
        if self.monitor in metrics and self.training(runner):
            self._append(runner.work_dir, dict(iter=int(runner.iter), epoch=int(runner.epoch), **self.state()))

    @master_only
    def _append(self, work_dir: str, entry: dict) -> None:
        entries = [e for e in read_states(work_dir) if e['iter'] < entry['iter']] + [entry]
        path = osp.join(work_dir, STATE_FILE)
        with open(path + '.tmp', 'w') as f:
            json.dump(entries, f, indent=1)
        os.replace(path + '.tmp', path)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if not getattr(runner, '_resume', False):  # load_from: a new run starts its own count
            return
        resumed_iter = int((checkpoint.get('meta') or {}).get('iter', -1))
        saved = latest_state(read_states(runner.work_dir), self.monitor, resumed_iter)
        if saved is not None:
            self.best_score = float(saved['best_score'])
            self.wait_count = int(saved['wait_count'])


def read_states(work_dir: str) -> List[dict]:
    """The states written in ``work_dir`` (empty if none)."""
    path = osp.join(work_dir, STATE_FILE)
    if not osp.isfile(path):
        return []
    with open(path) as f:
        return json.load(f)


def latest_state(entries: List[dict], monitor: str, max_iter: int) -> Optional[dict]:
    """The last entry for ``monitor`` validated at or before iteration ``max_iter`` (None if there is none)."""
    kept = [e for e in entries if e.get('monitor') == monitor and e['iter'] <= max_iter]
    return max(kept, key=lambda e: e['iter']) if kept else None
