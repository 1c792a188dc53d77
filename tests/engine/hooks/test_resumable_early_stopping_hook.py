"""ResumableEarlyStoppingHook on real mmengine Runner runs of a toy model whose validation score is scripted per
epoch: it stops where mmengine's rule says, keeps stopping there across ``--resume`` (where mmengine's own hook
trains on), starts its own count after ``load_from``, and lets ``Runner.test()`` run without building the training
set."""
import glob
import os.path as osp
import time

import pytest
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MessageHub
from mmengine.model import BaseModel

from mmdet3d.registry import METRICS, MODELS
from projects.TurboTrain.turbotrain.engine.hooks import ResumableEarlyStoppingHook
from projects.TurboTrain.turbotrain.engine.hooks.resumable_early_stopping_hook import read_states

# validation score after each epoch (1-based): rises to 0.6 at epoch 2, dips at 3, would rise again at 4
SCORES = {1: 0.5, 2: 0.6, 3: 0.55, 4: 0.7, 5: 0.8}


@MODELS.register_module()
class StopToyModel(BaseModel):

    def __init__(self, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.weight = torch.nn.Linear(1, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.weight(torch.stack(inputs))
        if mode == 'loss':
            return dict(loss=(out ** 2).mean())
        return list(out.detach())


@METRICS.register_module()
class ScriptedScoreMetric(BaseMetric):
    """The score of :data:`SCORES` for the epoch just trained (the message hub's 0-based epoch + 1; epoch 1 when
    testing, where no epoch is set)."""

    def process(self, data_batch, data_samples):
        self.results.append(0)

    def compute_metrics(self, results):
        return dict(score=SCORES[(MessageHub.get_current_instance().get_info('epoch') or 0) + 1])


def make_runner(work_dir, max_epochs, hook_type='ResumableEarlyStoppingHook', train_dataset=None, **kwargs):
    from mmengine.runner import Runner
    data = [dict(inputs=torch.tensor([1.0]), data_samples=torch.tensor([0.0])) for _ in range(2)]
    loader = dict(dataset=data, batch_size=1, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False))
    return Runner(
        model=dict(type='StopToyModel'),
        work_dir=str(work_dir),
        experiment_name=f'stop_{osp.basename(str(work_dir))}_{time.time_ns()}',
        train_dataloader=dict(loader, dataset=train_dataset) if train_dataset is not None else loader,
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs, val_interval=1),
        val_dataloader=loader, val_cfg=dict(), val_evaluator=dict(type='ScriptedScoreMetric', prefix='toy'),
        test_dataloader=loader, test_cfg=dict(), test_evaluator=dict(type='ScriptedScoreMetric', prefix='toy'),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.001)),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1)),
        custom_hooks=[dict(type=hook_type, monitor='toy/score', rule='greater', min_delta=0.0, patience=1)],
        default_scope='mmdet3d', log_level='WARNING', **kwargs)


def epochs_saved(work_dir):
    names = (osp.basename(p) for p in glob.glob(osp.join(work_dir, 'epoch_*.pth')))
    return sorted(int(name[len('epoch_'):-len('.pth')]) for name in names)


def test_stops_at_the_first_validation_without_improvement(tmp_path):
    runner = make_runner(tmp_path, max_epochs=5)
    runner.train()
    assert epochs_saved(tmp_path) == [1, 2, 3]  # 0.5, 0.6, then 0.55 < 0.6: stop
    states = [(e['epoch'], e['iter'], e['best_score'], e['wait_count']) for e in read_states(str(tmp_path))]
    assert states == [(1, 2, 0.5, 0), (2, 4, 0.6, 0), (3, 6, 0.6, 1)]  # 2 iterations per epoch


@pytest.mark.parametrize('hook_type, expected', [('ResumableEarlyStoppingHook', [1, 2, 3]),
                                                 ('EarlyStoppingHook', [1, 2, 3, 4, 5])])
def test_resume_keeps_the_best_score(tmp_path, hook_type, expected):
    make_runner(tmp_path, max_epochs=2, hook_type=hook_type).train()  # stopped (by a crash, say) after epoch 2
    make_runner(tmp_path, max_epochs=5, hook_type=hook_type, resume=True).train()
    # resumed: epoch 3's 0.55 is below the 0.6 of epoch 2, so the stage ends as it would have without the stop;
    # mmengine's hook has forgotten 0.6, counts 0.55 as a gain and trains on (the control of this test)
    assert epochs_saved(tmp_path) == expected


def test_resume_restores_the_state_of_the_resumed_checkpoint(tmp_path):
    make_runner(tmp_path, max_epochs=2).train()
    # a later validation (of a run that went on and was lost) must not leak into a resume from epoch 1
    resumed = make_runner(tmp_path, max_epochs=5, resume=True, load_from=str(tmp_path / 'epoch_1.pth'))
    resumed.train()
    assert epochs_saved(tmp_path) == [1, 2, 3]  # from epoch 1 (best 0.5): 0.6 at epoch 2 is a gain, 0.55 stops
    assert [e['epoch'] for e in read_states(str(tmp_path))] == [1, 2, 3]


def test_load_from_starts_a_new_count(tmp_path):
    first, second = tmp_path / 'first', tmp_path / 'second'
    make_runner(first, max_epochs=2).train()
    hook = make_runner(second, max_epochs=1, load_from=str(first / 'epoch_2.pth'))
    hook.train()
    stopper = [h for h in hook.hooks if isinstance(h, ResumableEarlyStoppingHook)][0]
    assert stopper.best_score == 0.5  # its own first validation, not the 0.6 of the run it started from


def test_test_does_not_build_the_training_set(tmp_path):
    broken = dict(type='DatasetThatDoesNotExist')  # building the train loop would fail on it
    runner = make_runner(tmp_path, max_epochs=1, train_dataset=broken)
    assert runner.test()['toy/score'] == SCORES[1]
    with pytest.raises(KeyError, match='DatasetThatDoesNotExist'):  # the control: mmengine's hook builds it
        make_runner(tmp_path, max_epochs=1, hook_type='EarlyStoppingHook', train_dataset=broken).test()
