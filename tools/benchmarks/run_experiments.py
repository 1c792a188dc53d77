"""Train and test the study configs under one budget and print their metrics side by side.

A study row is a config, ``projects/TurboTrain/configs/studies/<suite>/<row>.py``: a child of the user config it
trains (``_base_``) with the row's settings written out, so it can also be run alone with ``tools/train.py``. This
script lists the rows of each suite and runs them, seed by seed: ``tools/train.py`` on the row's config, then
``tools/test.py`` on its last checkpoint. Runs shared by several suites (the plain cooperative model is the
``scratch`` and ``sum`` baseline too) are trained once and reused.

    python tools/benchmarks/run_experiments.py cooperation   # full coop vs ego only vs single frame vs CV
    python tools/benchmarks/run_experiments.py pretraining   # from the pretrained trunk vs from scratch
    python tools/benchmarks/run_experiments.py balancing     # sum vs pcgrad vs famo vs turbotrain
    python tools/benchmarks/run_experiments.py loss_scale    # the same with the trajectory loss ×10
    python tools/benchmarks/run_experiments.py balancing_from_pretrain  # the same on the pretrained trunk
    python tools/benchmarks/run_experiments.py recipe_clip4  # the same, gradients clipped at norm 4, TurboTrain τ = 2
    python tools/benchmarks/run_experiments.py motion        # motion-aware temporal fusion; recipe_clip4 on its trunk
    python tools/benchmarks/run_experiments.py prediction    # dense waypoint head vs learned velocity + residual head
    python tools/benchmarks/run_experiments.py balancing_torchjd  # torchjd's UPGrad, CAGrad, Nash-MTL on that trunk
    python tools/benchmarks/run_experiments.py all --epochs 3 --data-root data/v2xpnp_synth
    python tools/benchmarks/run_experiments.py all --epochs 3 --split val   # the same checkpoints, another split
    python tools/benchmarks/run_experiments.py balancing --seeds 0 1 2 --only cooperative turbotrain_balancing
    python tools/benchmarks/run_experiments.py balancing --test-data-root data/v2xpnp_heldout  # other scenarios
    python tools/benchmarks/run_experiments.py balancing_torchjd --trained \
        'pretrain_motion=work_dirs/paper_comparison/seed{seed}/pretrain/epoch_2.pth'  # reuse a run with the same config

On top of its config a run gets only the data root, the epoch budget, the seed and, for a row fine-tuned from a
pretrained trunk, the trunk its pretraining row exported in the same work root
(``model.init_cfg.checkpoint=<work root>/<pretraining row>/trunk_pretrained.pth``).

Work dirs go to ``--work-root/<row>`` for seed 0 and ``<work-root>_seed<N>/<row>`` for seed N; a row whose metrics
file exists is not run again unless ``--rerun`` is given, and a training that was interrupted resumes from its last
checkpoint (``tools/train.py --resume``). With several seeds each cell is the mean ± sample
standard deviation over the seeds. Results are also written as JSON and Markdown to ``--work-root``.
``archive_results.py`` copies the runs' metrics to ``projects/TurboTrain/docs/experiments/records/`` (in the
repository), from which ``--report-only --work-root projects/TurboTrain/docs/experiments/records/experiments``
prints the tables without the work dirs.
"""
import argparse
import glob
import json
import os
import os.path as osp
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Union

sys.path.append(osp.dirname(osp.dirname(osp.abspath(__file__))))  # tools/ (last: shadows nothing), for _cli
import _cli  # noqa: E402  (puts the repo root on sys.path)

REPO_ROOT = _cli.REPO_ROOT
STUDIES = 'projects/TurboTrain/configs/studies'
# the trunk a pretraining run exports (MAEPretrainHook's export_filename in the pretraining configs)
TRUNK_FILE = 'trunk_pretrained.pth'
# last-epoch training losses of a run whose train.log is gone (archive_results.py's record)
TRAIN_LOSSES_FILE = 'train_losses.json'
# --balance without keys: the loss weights (carried by free updates), the trunk coefficients of the combining updates,
# the task gradients' cosine and norms
BALANCE_KEYS = ('weight_det', 'weight_pred', 'shared_coeff_det', 'shared_coeff_pred', 'cos', 'grad_norm_det',
                'grad_norm_pred')
BALANCE_LOGS_FILE = 'balance_logs.json'  # archived means of the balance/* scalars (archive_results.py)


@dataclass(frozen=True)
class Row:
    """One row of a results table: a study config and how it is run.

    Attributes:
        config: the row's config under :data:`STUDIES`, ``<suite>/<row>.py``; its file name is the row's name and
            work-dir name.
        trunk_from: the pretraining row whose exported trunk the config loads; it runs first, and its
            ``<work root>/<row>/trunk_pretrained.pth`` is passed as ``model.init_cfg.checkpoint``.
        test_only_on: the row whose checkpoint this config is tested with (a test-time variant: no training).
        pretrain: a pretraining run: the ``--pretrain-epochs`` budget, and no ``tools/test.py`` (it logs its own
            reconstruction figures).
    """
    config: str
    trunk_from: Optional[str] = None
    test_only_on: Optional[str] = None
    pretrain: bool = False

    @property
    def name(self) -> str:
        return osp.splitext(osp.basename(self.config))[0]

    @property
    def path(self) -> str:
        """The config path relative to the repository root."""
        return f'{STUDIES}/{self.config}'

    @property
    def needs(self) -> List[str]:
        """The rows that must have run first."""
        return [name for name in (self.trunk_from, self.test_only_on) if name is not None]

    def options(self, work_root: str) -> List[str]:
        """``--cfg-options`` of this row's training and test in ``work_root``: the trunk, if it loads one."""
        if self.trunk_from is None:
            return []
        return [f'model.init_cfg.checkpoint={osp.join(work_root, self.trunk_from, TRUNK_FILE)}']


# torchjd's aggregators in the balancing_torchjd suite: row-name prefix → aggregator
TORCHJD_STUDY = {'upgrad': 'UPGrad', 'cagrad': 'CAGrad', 'nashmtl': 'NashMTL'}
_ROWS = [
    Row('cooperation/cooperative.py'),
    Row('cooperation/ego_only.py'),
    Row('cooperation/single_frame.py'),
    Row('cooperation/cv_baseline.py', test_only_on='cooperative'),
    Row('cooperation/ego_only_from_pretrain.py', trunk_from='pretrain'),
    Row('pretraining/pretrain.py', pretrain=True),
    Row('pretraining/from_pretrain.py', trunk_from='pretrain'),
    Row('balancing/pcgrad.py'),
    Row('balancing/famo.py'),
    Row('balancing/turbotrain_balancing.py'),
    Row('balancing/turbotrain_power05.py'),
    Row('balancing/turbotrain_momentum09.py'),
    Row('balancing/turbotrain_momentum09_nowarmup.py'),
    Row('balancing_from_pretrain/pcgrad_from_pretrain.py', trunk_from='pretrain'),
    Row('balancing_from_pretrain/famo_from_pretrain.py', trunk_from='pretrain'),
    Row('balancing_from_pretrain/turbotrain_full.py', trunk_from='pretrain'),
    Row('loss_scale/cooperative_pred_x10.py'),
    Row('loss_scale/pcgrad_pred_x10.py'),
    Row('loss_scale/famo_pred_x10.py'),
    Row('loss_scale/turbotrain_pred_x10.py'),
    Row('loss_scale/turbotrain_pred_x10_noclip.py'),
    Row('loss_scale/turbotrain_warmup_pred_x10.py'),
    Row('clipping/cooperative_clip4.py'),
    Row('clipping/turbotrain_clip4.py'),
    Row('dominance/turbotrain_as_sum_clip4.py'),
    Row('dominance/pcgrad_clip4.py'),
    Row('dominance/famo_clip4.py'),
    Row('dominance/turbotrain_ratio2_clip4.py'),
    Row('dominance/cooperative_pred_x10_clip4.py'),
    Row('dominance/turbotrain_pred_x10_clip4.py'),
    Row('dominance/turbotrain_ratio2_pred_x10_clip4.py'),
    Row('dominance/turbotrain_full_ratio2.py', trunk_from='pretrain'),
    Row('dominance/turbotrain_full_project_only.py', trunk_from='pretrain'),
    Row('dominance/turbotrain_full_warmup1ep.py', trunk_from='pretrain'),
    Row('recipe_clip4/from_pretrain_clip4.py', trunk_from='pretrain'),
    Row('recipe_clip4/pcgrad_from_pretrain_clip4.py', trunk_from='pretrain'),
    Row('recipe_clip4/famo_from_pretrain_clip4.py', trunk_from='pretrain'),
    Row('recipe_clip4/turbotrain_full_ratio2_clip4.py', trunk_from='pretrain'),
    Row('recipe_clip4/turbotrain_full_as_sum_clip4.py', trunk_from='pretrain'),
    Row('recipe_clip4/turbotrain_full_ratio2_conflict_clip4.py', trunk_from='pretrain'),
    Row('motion/cooperative_motion_clip4.py'),
    Row('motion/pretrain_motion.py', pretrain=True),
    Row('motion/from_pretrain_motion_clip4.py', trunk_from='pretrain_motion'),
    Row('motion/pcgrad_from_pretrain_motion_clip4.py', trunk_from='pretrain_motion'),
    Row('motion/famo_from_pretrain_motion_clip4.py', trunk_from='pretrain_motion'),
    Row('motion/turbotrain_full_motion_ratio2_clip4.py', trunk_from='pretrain_motion'),
    Row('motion/turbotrain_full_motion_as_sum_clip4.py', trunk_from='pretrain_motion'),
    Row('motion/turbotrain_full_motion_lossrate_clip4.py', trunk_from='pretrain_motion'),
    Row('motion/turbotrain_full_motion_lossrate_i3_clip4.py', trunk_from='pretrain_motion'),
    Row('prediction/pred_dense_motion_clip4.py'),
    Row('prediction/pred_motion_clip4.py'),
    Row('prediction/pred_motion_k3_clip4.py'),
    Row('prediction/pred_motion_from_pretrain_clip4.py', trunk_from='pretrain_motion'),
    Row('prediction/pretrain_motion_h5.py', pretrain=True),
    Row('prediction/pred_motion_h5_from_pretrain_clip4.py', trunk_from='pretrain_motion_h5'),
    *[Row(f'balancing_torchjd/{name}{suffix}_from_pretrain_motion_clip4.py', trunk_from='pretrain_motion')
      for name in TORCHJD_STUDY for suffix in ('', '_i10')],
]
ROWS: Dict[str, Row] = {row.name: row for row in _ROWS}


SUITES = {
    'cooperation': ['cooperative', 'ego_only', 'single_frame', 'cv_baseline', 'from_pretrain',
                    'ego_only_from_pretrain'],
    'pretraining': ['cooperative', 'pretrain', 'from_pretrain'],
    'balancing': ['cooperative', 'pcgrad', 'famo', 'turbotrain_balancing', 'turbotrain_power05',
                  'turbotrain_momentum09', 'turbotrain_momentum09_nowarmup'],
    # the same comparison fine-tuning from the pretrained trunk, as the TurboTrain recipe does
    'balancing_from_pretrain': ['pretrain', 'from_pretrain', 'pcgrad_from_pretrain', 'famo_from_pretrain',
                                'turbotrain_full'],
    'turbotrain': ['cooperative', 'pretrain', 'from_pretrain', 'turbotrain_balancing', 'turbotrain_full'],
    # the same methods with the trajectory loss ×10: which results depend on a hand-tuned loss scale
    'loss_scale': ['cooperative', 'turbotrain_balancing', 'cooperative_pred_x10', 'pcgrad_pred_x10',
                   'famo_pred_x10', 'turbotrain_pred_x10', 'turbotrain_pred_x10_noclip', 'turbotrain_warmup_pred_x10'],
    # gradient clipping: ×10 without it, ×1 with a tighter one
    'clipping': ['cooperative', 'turbotrain_balancing', 'cooperative_clip4', 'turbotrain_clip4', 'turbotrain_pred_x10',
                 'turbotrain_pred_x10_noclip'],
    # a tolerance for the norm ratio (re-balance only a dominating task), at both loss scales, clipped at norm 4
    'dominance': ['cooperative_clip4', 'turbotrain_as_sum_clip4', 'pcgrad_clip4', 'famo_clip4', 'turbotrain_clip4',
                  'turbotrain_ratio2_clip4',
                  'cooperative_pred_x10_clip4', 'turbotrain_pred_x10_clip4', 'turbotrain_ratio2_pred_x10_clip4',
                  'pretrain', 'turbotrain_full_ratio2', 'turbotrain_full_project_only',
                  'turbotrain_full_warmup1ep'],
    # the full recipe against its baselines, every method from the same trunk, clipped at norm 4
    'recipe_clip4': ['pretrain', 'from_pretrain_clip4', 'pcgrad_from_pretrain_clip4', 'famo_from_pretrain_clip4',
                     'turbotrain_full_ratio2_clip4', 'turbotrain_full_as_sum_clip4',
                     'turbotrain_full_ratio2_conflict_clip4'],
    # the motion-aware temporal fusion against the per-cell attention (from scratch and from each one's pretrained
    # trunk), then the recipe_clip4 rows on its trunk
    'motion': ['cooperative_clip4', 'cooperative_motion_clip4', 'pretrain_motion', 'from_pretrain_clip4',
               'turbotrain_full_ratio2_clip4', 'from_pretrain_motion_clip4', 'turbotrain_full_motion_ratio2_clip4',
               'turbotrain_full_motion_as_sum_clip4', 'pcgrad_from_pretrain_motion_clip4',
               'famo_from_pretrain_motion_clip4', 'turbotrain_full_motion_lossrate_clip4',
               'turbotrain_full_motion_lossrate_i3_clip4'],
    # prediction heads (docs/experiments/prediction.md)
    'prediction': ['pred_motion_clip4', 'pred_dense_motion_clip4', 'pred_motion_k3_clip4', 'pretrain_motion',
                   'from_pretrain_motion_clip4', 'pred_motion_from_pretrain_clip4', 'pretrain_motion_h5',
                   'pred_motion_h5_from_pretrain_clip4'],
    # torchjd's UPGrad, CAGrad and Nash-MTL, every update and at interval 10, beside FAMO and the recipe (same trunk)
    'balancing_torchjd': ['pretrain_motion', 'famo_from_pretrain_motion_clip4', 'turbotrain_full_motion_lossrate_clip4',
                          *[f'{name}{suffix}_from_pretrain_motion_clip4' for name in TORCHJD_STUDY
                            for suffix in ('', '_i10')]],
}
# Most informative rows first, so a run cut short still fills the main tables.
# (the full recipe, pretraining + balancing, is what tools/quickstart.sh runs and reports.)
SUITES['all'] = ['cooperative', 'ego_only', 'single_frame', 'cv_baseline', 'pretrain', 'from_pretrain',
                 'turbotrain_balancing', 'pcgrad', 'ego_only_from_pretrain']
ROW_LABELS = {
    'cooperative': 'full cooperation (sum of losses, from scratch)',
    'ego_only': 'ego only (cooperators dropped)',
    'single_frame': 'single frame (history dropped)',
    'cv_baseline': 'constant velocity (oracle past, same detections)',
    'from_pretrain': 'fine-tuned from the pretrained trunk',
    'ego_only_from_pretrain': 'ego only, fine-tuned from the pretrained trunk',
    'pcgrad': 'PCGrad every step',
    'famo': 'FAMO',
    'turbotrain_balancing': 'TurboTrain balancing (interval 10, warm-up 100)',
    'turbotrain_power05': 'TurboTrain balancing, balance power 0.5',
    'turbotrain_momentum09': 'TurboTrain balancing, weight momentum 0.9',
    'turbotrain_momentum09_nowarmup': 'TurboTrain balancing, weight momentum 0.9, no warm-up',
    'cooperative_pred_x10': '`sum`, trajectory loss ×10',
    'pcgrad_pred_x10': 'PCGrad every step, trajectory loss ×10',
    'famo_pred_x10': 'FAMO, trajectory loss ×10',
    'turbotrain_pred_x10': 'TurboTrain balancing, trajectory loss ×10',
    'turbotrain_pred_x10_noclip': 'TurboTrain balancing, trajectory loss ×10, no gradient clipping',
    'turbotrain_warmup_pred_x10': 'TurboTrain balancing, warm-up with prediction weight 10 (loss ×1)',
    'cooperative_clip4': '`sum`, gradients clipped at norm 4 (not 10)',
    'turbotrain_clip4': 'TurboTrain balancing, gradients clipped at norm 4 (not 10)',
    'turbotrain_ratio2_clip4': 'TurboTrain balancing, norm ratio up to 2 tolerated, clipped at norm 4',
    'pcgrad_clip4': 'PCGrad every step, gradients clipped at norm 4',
    'famo_clip4': 'FAMO, gradients clipped at norm 4',
    'turbotrain_as_sum_clip4': 'control: TurboTrain path, no re-weighting or projection (= `sum`), clipped at norm 4',
    'cooperative_pred_x10_clip4': '`sum`, trajectory loss ×10, clipped at norm 4',
    'turbotrain_pred_x10_clip4': 'TurboTrain balancing, trajectory loss ×10, clipped at norm 4',
    'turbotrain_ratio2_pred_x10_clip4': 'TurboTrain balancing, norm ratio up to 2 tolerated, trajectory loss ×10, '
                                        'clipped at norm 4',
    'turbotrain_full': 'TurboTrain: pretrained trunk + balancing',
    'turbotrain_full_ratio2': 'TurboTrain: pretrained trunk + balancing, norm ratio up to 2 tolerated',
    'turbotrain_full_project_only': 'TurboTrain: pretrained trunk + conflict projection only (no re-balancing)',
    'turbotrain_full_warmup1ep': 'TurboTrain: pretrained trunk + balancing after a one-epoch warm-up',
    'pcgrad_from_pretrain': 'pretrained trunk + PCGrad every step',
    'famo_from_pretrain': 'pretrained trunk + FAMO',
    'from_pretrain_clip4': 'pretrained trunk + `sum`, clipped at norm 4',
    'pcgrad_from_pretrain_clip4': 'pretrained trunk + PCGrad every step, clipped at norm 4',
    'famo_from_pretrain_clip4': 'pretrained trunk + FAMO, clipped at norm 4',
    'turbotrain_full_ratio2_clip4': 'TurboTrain: pretrained trunk + balancing, norm ratio up to 2 tolerated, '
                                    'clipped at norm 4',
    'turbotrain_full_as_sum_clip4': 'control: pretrained trunk + TurboTrain path, no re-weighting or projection '
                                    '(= `sum`), clipped at norm 4',
    'turbotrain_full_ratio2_conflict_clip4': 'TurboTrain: pretrained trunk + balancing, norm ratio up to 2 '
                                             'tolerated, re-balanced only on conflict, clipped at norm 4',
    'cooperative_motion_clip4': '`sum`, motion-aware temporal fusion, clipped at norm 4 (from scratch)',
    'pretrain_motion': 'masked pretraining of the trunk with the motion-aware temporal fusion',
    'from_pretrain_motion_clip4': 'motion-aware trunk, pretrained + `sum`, clipped at norm 4',
    'pcgrad_from_pretrain_motion_clip4': 'motion-aware trunk, pretrained + PCGrad every step, clipped at norm 4',
    'famo_from_pretrain_motion_clip4': 'motion-aware trunk, pretrained + FAMO, clipped at norm 4',
    'pred_dense_motion_clip4': 'dense waypoint head (TrajectoryHead), motion-aware trunk, `sum`, clipped at norm 4',
    'pred_motion_clip4': 'learned velocity + residual over constant velocity (MotionTrajectoryHead), same training',
    'pred_motion_k3_clip4': 'the same with 3 modes (winner-takes-all), the most likely one scored',
    'pred_motion_from_pretrain_clip4': 'learned velocity + residual head, pretrained motion-aware trunk + sum',
    'pred_motion_h5_from_pretrain_clip4': 'the same with 5 history frames (its own 5-frame pretrained trunk)',
    **{f'{name}_from_pretrain_motion_clip4': f'motion-aware trunk, pretrained + torchjd {aggregator} every update, '
                                             'clipped at norm 4'
       for name, aggregator in TORCHJD_STUDY.items()},
    **{f'{name}_i10_from_pretrain_motion_clip4': f'motion-aware trunk, pretrained + torchjd {aggregator} every 10 '
                                                 'updates (free updates carry its weights), clipped at norm 4'
       for name, aggregator in TORCHJD_STUDY.items()},
    'turbotrain_full_motion_ratio2_clip4': 'TurboTrain: motion-aware pretrained trunk + balancing, norm ratio up to '
                                           '2 tolerated, clipped at norm 4',
    'turbotrain_full_motion_as_sum_clip4': 'control: motion-aware pretrained trunk + TurboTrain path, no '
                                           're-weighting or projection (= `sum`), clipped at norm 4',
    'turbotrain_full_motion_lossrate_clip4': 'TurboTrain: motion-aware pretrained trunk + balancing, magnitudes '
                                             'from the loss-decrease rates, clipped at norm 4',
    'turbotrain_full_motion_lossrate_i3_clip4': 'TurboTrain: motion-aware pretrained trunk + balancing, magnitudes '
                                                'from the loss-decrease rates, conflict step every 3 updates, '
                                                'clipped at norm 4',
}


def data_options(data_root: str) -> List[str]:
    loaders = ('train_dataloader', 'val_dataloader', 'test_dataloader')
    return [f'data_root={data_root}'] + [f'{loader}.dataset.data_root={data_root}' for loader in loaders]


def budget_options(epochs: int) -> List[str]:
    """Train for ``epochs`` with the cosine schedule (``param_scheduler[1]``) annealing over exactly that budget;
    validation is left to ``tools/test.py``."""
    return [f'train_cfg.max_epochs={epochs}', f'train_cfg.val_interval={epochs + 1}',
            f'param_scheduler.1.T_max={epochs}', f'param_scheduler.1.end={epochs}']


def run_logged(cmd: List[str], log_path: str) -> float:
    """Run ``cmd`` from the repo root with output to ``log_path``; return the wall time; raise on failure."""
    start = time.perf_counter()
    with open(log_path, 'w') as log:
        proc = subprocess.run(cmd, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        raise SystemExit(f'error: {" ".join(cmd)} failed (exit {proc.returncode}); see {log_path}')
    return time.perf_counter() - start


def last_checkpoint(work_dir: str) -> str:
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


def seed_work_root(work_root: str, seed: int) -> str:
    """Where the runs of ``seed`` live: ``work_root`` itself for seed 0 (the default), ``<work_root>_seed<N>``
    otherwise."""
    return work_root if seed == 0 else f'{work_root.rstrip(os.sep)}_seed{seed}'


def test_data_root(args) -> str:
    """The data root the checkpoints are tested on: ``--test-data-root``, or the training data root."""
    return args.test_data_root or args.data_root


def result_suffix(args) -> str:
    """``''`` for the training data's test split (``result.json``); otherwise ``_<split>`` and, for another test
    data root, ``_<its folder name>`` (``result_test_v2xpnp_heldout.json``)."""
    other_root = args.test_data_root
    if not other_root:
        return '' if args.split == 'test' else f'_{args.split}'
    return f'_{args.split}_{osp.basename(osp.normpath(other_root))}'


def training_dir(row: Row, work_root: str) -> str:
    """The work dir that holds ``row``'s training (train.log, logs, checkpoint): its own, or that of the row a
    test-only row tests."""
    return osp.join(work_root, row.test_only_on or row.name)


def run_experiment(row: Row, args, work_root: str, seed: int = 0) -> dict:
    """Train ``row`` on ``args.data_root`` (unless its results or its training exist) and test its last checkpoint
    on ``args.split`` of :func:`test_data_root`; results are cached in ``result.json`` (``result<suffix>.json``,
    see :func:`result_suffix`), the training in ``trained.json``."""
    work_dir = osp.join(work_root, row.name)
    suffix = result_suffix(args)
    result_file = osp.join(work_dir, f'result{suffix}.json')
    trained_dir = training_dir(row, work_root)
    if not args.rerun:
        cached = cached_result(row, args, work_root)
        if cached is not None:
            return cached
    os.makedirs(work_dir, exist_ok=True)
    epochs = args.pretrain_epochs if row.pretrain else args.epochs
    row_options = row.options(work_root)
    result = dict(name=row.name, config=row.path, options=row_options, epochs=epochs, split=args.split, seed=seed,
                  test_data_root=test_data_root(args))
    if row.test_only_on is not None:
        checkpoint = last_checkpoint(trained_dir)
    elif not args.rerun and training_record(work_dir) is not None:
        trained = training_record(work_dir)
        result.update(epochs=trained['epochs'], train_seconds=trained.get('train_seconds'))
        checkpoint = trained['checkpoint']
    else:
        train_options = data_options(args.data_root) + row_options + budget_options(epochs) + [
            f'randomness.seed={seed}']
        cmd = [sys.executable, 'tools/train.py', row.path, '--work-dir', work_dir, '--cfg-options'] + train_options
        if not args.rerun and osp.isfile(osp.join(work_dir, 'last_checkpoint')):
            # an interrupted training continues from its last epoch (bit-identical to an uninterrupted one)
            cmd.insert(cmd.index('--cfg-options'), '--resume')
        print(f'[{row.name}] training {epochs} epoch(s): {row.path}' + (' (resumed)' if '--resume' in cmd else ''),
              flush=True)
        result['train_seconds'] = round(run_logged(cmd, osp.join(work_dir, 'train.log')), 1)
        checkpoint = last_checkpoint(work_dir)
        with open(osp.join(work_dir, 'trained.json'), 'w') as f:
            json.dump({key: result[key] for key in ('name', 'config', 'options', 'epochs', 'seed', 'train_seconds')}
                      | dict(checkpoint=checkpoint), f, indent=1)
    result['checkpoint'] = checkpoint
    if not row.pretrain:
        test_dir = osp.join(work_dir, f'test{suffix}')
        split_options = [] if args.split == 'test' else [
            f'test_dataloader.dataset.ann_file=v2xpnp_infos_{args.split}.pkl']
        test_options = data_options(test_data_root(args)) + row_options + split_options
        cmd = [sys.executable, 'tools/test.py', row.path, checkpoint, '--work-dir', test_dir,
               '--cfg-options'] + test_options
        print(f'[{row.name}] testing {checkpoint} on the {args.split} split of {test_data_root(args)}', flush=True)
        result['test_seconds'] = round(run_logged(cmd, osp.join(work_dir, f'test{suffix}.log')), 1)
        metric_files = sorted(glob.glob(osp.join(test_dir, '*', 'v2xpnp_metrics.json')))
        with open(metric_files[-1]) as f:
            result['metrics'] = json.load(f)['metrics']
    result.update(last_epoch_train_losses(trained_dir))
    with open(result_file, 'w') as f:
        json.dump(result, f, indent=1)
    return result


def with_needs(names: Sequence[str]) -> set:
    """``names`` and the rows they need (:attr:`Row.needs`)."""
    return {name for row in names for name in [row] + ROWS[row].needs}


def parse_trained(values: Sequence[str], names: Sequence[str]) -> Dict[str, str]:
    """``{row: checkpoint template}`` from ``--trained ROW=CHECKPOINT`` values; ValueError naming a bad one."""
    trained = {}
    for value in values:
        name, sep, checkpoint = value.partition('=')
        if not sep or not checkpoint:
            raise ValueError(f'--trained {value!r}: expected ROW=CHECKPOINT')
        if name not in names:
            raise ValueError(f'--trained: {name!r} is not a row of this suite ({", ".join(names)})')
        trained[name] = checkpoint
    return trained


def adopt_training(row: Row, checkpoint: str, work_root: str, seed: int, epochs: int) -> None:
    """Record ``checkpoint`` as ``row``'s training in ``work_root`` (``trained.json`` with ``reused_from``; for a
    pretraining row the exported trunk beside the checkpoint is linked in, so the rows fine-tuned from it load it;
    the source's ``train.log`` is linked for the last-epoch losses). A row that has a training record keeps it.

    Raises:
        FileNotFoundError: the checkpoint, or a pretraining row's trunk file beside it, does not exist.
    """
    work_dir = osp.join(work_root, row.name)
    if training_record(work_dir) is not None:
        return
    source_dir = osp.dirname(osp.abspath(checkpoint))
    trunk = [TRUNK_FILE] if row.pretrain else []
    missing = [path for path in [checkpoint] + [osp.join(source_dir, name) for name in trunk] if not osp.isfile(path)]
    if missing:
        raise FileNotFoundError(f'--trained {row.name}: no such file: {", ".join(missing)}')
    os.makedirs(work_dir, exist_ok=True)
    for name in trunk + ['train.log']:
        if osp.isfile(osp.join(source_dir, name)):
            os.symlink(osp.join(source_dir, name), osp.join(work_dir, name))
    with open(osp.join(work_dir, 'trained.json'), 'w') as f:
        json.dump(dict(name=row.name, config=row.path, options=row.options(work_root), epochs=epochs, seed=seed,
                       train_seconds=None, checkpoint=osp.abspath(checkpoint), reused_from=source_dir), f, indent=1)


def training_record(work_dir: str) -> Optional[dict]:
    """What the run that trained in ``work_dir`` recorded (``epochs``, ``train_seconds``, ``checkpoint``): its
    ``trained.json``, or the ``result.json`` of work dirs older than that file; None if it has not trained."""
    for name in ('trained.json', 'result.json'):
        path = osp.join(work_dir, name)
        if osp.isfile(path):
            with open(path) as f:
                return json.load(f)
    return None


def cached_result(row: Row, args, work_root: str) -> Optional[dict]:
    """The stored result of ``row`` on ``args.split`` (of :func:`test_data_root`) with its training losses, or None
    if it has not run."""
    result_file = osp.join(work_root, row.name, f'result{result_suffix(args)}.json')
    if not osp.isfile(result_file):
        return None
    with open(result_file) as f:
        result = json.load(f)
    return {**result, **last_epoch_train_losses(training_dir(row, work_root))}


def last_epoch_train_losses(work_dir: str) -> Dict[str, float]:
    """Mean ``loss_det`` / ``loss_pred`` over the logged iterations of the last training epoch (train.log), or, in
    an archived run without its log, the stored figures (``TRAIN_LOSSES_FILE``); empty if neither exists."""
    pattern = re.compile(r'Epoch\(train\)\s*\[(\d+)\].*?loss_det: ([0-9.]+)\s+loss_pred: ([0-9.]+)')
    rows = []
    log = osp.join(work_dir, 'train.log')
    if osp.isfile(log):
        with open(log) as f:
            rows = [(int(m.group(1)), float(m.group(2)), float(m.group(3))) for m in map(pattern.search, f) if m]
    if not rows:
        stored = osp.join(work_dir, TRAIN_LOSSES_FILE)
        if not osp.isfile(stored):
            return {}
        with open(stored) as f:
            return json.load(f)
    last = max(epoch for epoch, _, _ in rows)
    det = [d for epoch, d, _ in rows if epoch == last]
    pred = [p for epoch, _, p in rows if epoch == last]
    return dict(train_loss_det=sum(det) / len(det), train_loss_pred=sum(pred) / len(pred))


def fmt(value, scale: float = 1.0, digits: int = 3) -> str:
    """``value`` × ``scale`` with ``digits`` decimals; a list of per-seed values as ``mean ± sample sd`` (missing
    or NaN values are left out; ``n/a`` if none is left)."""
    values = value if isinstance(value, list) else [value]
    values = [v * scale for v in values if v is not None and v == v]
    if not values:
        return 'n/a'
    mean = sum(values) / len(values)
    text = f'{mean:.{digits}f}'
    if text.startswith('-') and float(text) == 0:  # a mean that rounds to zero prints as 0, not -0
        text = text[1:]
    if not isinstance(value, list) or len(value) == 1:
        return text
    sd = (sum((v - mean) ** 2 for v in values) / (len(values) - 1)) ** 0.5 if len(values) > 1 else float('nan')
    return f'{text} ± {sd:.{digits}f}'


def fmt_seconds(value) -> str:
    """A training time (s, 1 decimal; per-seed lists as mean ± sd); ``—`` for a test-only row."""
    values = [v for v in (value if isinstance(value, list) else [value]) if v is not None]
    if not values:
        return '—'
    return fmt(values, digits=1)


def merge_seeds(rows: List[dict]) -> dict:
    """One row from the rows of the same experiment under several seeds: every metric, loss and time becomes the
    list of its per-seed values (for :func:`fmt`)."""
    merged = dict(name=rows[0]['name'], seeds=[row.get('seed', 0) for row in rows])
    for key in ('train_loss_det', 'train_loss_pred', 'train_seconds'):
        merged[key] = [row.get(key) for row in rows]
    if all('metrics' in row for row in rows):
        keys = set().union(*(row['metrics'] for row in rows))
        merged['metrics'] = {k: [row['metrics'].get(k) for row in rows] for k in keys}
    return merged


def table(rows: List[dict], suite: str) -> str:
    """Markdown table: AP in % (vehicle, the class OpenCOOD-style V2X benchmarks report, then the mean over the
    classes), distances in metres, EPA as a fraction; the last columns are the mean training loss (detection /
    prediction) over the last epoch's logged iterations, a fit measure independent of the test split, and the
    training wall time."""
    lines = [f'| {suite} | vehicle AP@0.5 | vehicle AP@0.7 | mAP@0.5 | mAP@0.7 | ADE (m) | FDE (m) | MR | EPA | '
             'train loss det / pred | train (s) |',
             '|---|---|---|---|---|---|---|---|---|---|---|']
    for row in rows:
        if 'metrics' not in row:
            continue
        m = row['metrics']
        ap = [fmt(m.get(k), scale=100) for k in ('AP@0.5/vehicle', 'AP@0.7/vehicle', 'mAP@0.5', 'mAP@0.7')]
        label = ROW_LABELS.get(row['name'], row['name'])
        if 'seeds' in row:  # merged over seeds
            label += f" ({len(row['seeds'])} seed{'s' if len(row['seeds']) > 1 else ''})"
        lines.append(f"| {label} | {' | '.join(ap)} | {fmt(m.get('ADE'))} | "
                     f"{fmt(m.get('FDE'))} | {fmt(m.get('MR'))} | {fmt(m.get('EPA'))} | "
                     f"{fmt(row.get('train_loss_det'))} / {fmt(row.get('train_loss_pred'))} | "
                     f"{fmt_seconds(row.get('train_seconds'))} |")
    return '\n'.join(lines)


TRAJECTORY_SOURCE_LABELS = (('', 'learned head'), ('detected_velocity/', 'constant velocity, own velocity (no GT)'),
                            ('constant_velocity/', 'constant velocity, oracle past'))


def prediction_table(rows: List[dict]) -> str:
    """Markdown table, one line per run and trajectory source on that run's matches (learned head, constant
    velocity from the model's own velocity, constant velocity from the ground-truth past): vehicle and pedestrian
    ADE/FDE/MR (m), vehicle EPA, the class-mean EPA and, for multi-modal heads, vehicle minADE/minFDE over the
    modes; sources a run did not report are left out."""
    lines = ['| run | trajectories | veh ADE | veh FDE | veh MR | ped ADE | ped FDE | ped MR | veh EPA | mean EPA | '
             'veh minADE / minFDE |', '|---|---|---|---|---|---|---|---|---|---|---|']
    for row in rows:
        m = row.get('metrics')
        if not m:
            continue
        for prefix, source in TRAJECTORY_SOURCE_LABELS:
            reported = m.get(f'{prefix}ADE')
            if reported is None or (isinstance(reported, list) and all(v is None for v in reported)):
                continue
            cells = [fmt(m.get(f'{prefix}{key}/{cls}')) for cls in ('vehicle', 'pedestrian')
                     for key in ('ADE', 'FDE', 'MR')]
            cells += [fmt(m.get(f'{prefix}EPA/vehicle')), fmt(m.get(f'{prefix}EPA')),
                      f"{fmt(m.get(f'{prefix}minADE/vehicle'))} / {fmt(m.get(f'{prefix}minFDE/vehicle'))}"]
            lines.append(f"| {row['name']} | {source} | {' | '.join(cells)} |")
    return '\n'.join(lines)


PAIRED_KEYS = (('AP@0.5/vehicle', 100), ('mAP@0.5', 100), ('ADE', 1), ('FDE', 1), ('EPA', 1))


def seed_baselines(runs: Dict[str, List[dict]], baselines: Sequence[str]) -> Dict[int, Dict[str, float]]:
    """``{seed: metrics}`` of the baseline per seed: the mean of the ``baselines`` rows' :data:`PAIRED_KEYS`
    metrics, over the seeds in which every one of them ran (a metric missing from any of them is left out)."""
    per_row = [{row.get('seed', 0): row['metrics'] for row in runs.get(name, []) if 'metrics' in row}
               for name in baselines]
    seeds = set.intersection(*(set(metrics) for metrics in per_row)) if per_row else set()
    return {seed: {key: sum(metrics[seed][key] for metrics in per_row) / len(per_row) for key, _ in PAIRED_KEYS
                   if all(metrics[seed].get(key) is not None for metrics in per_row)}
            for seed in sorted(seeds)}


def paired_table(runs: Dict[str, List[dict]], baselines: Union[str, Sequence[str]]) -> str:
    """Markdown table of per-seed differences ``row − baseline`` (mean ± sample sd over the seeds both ran).

    Runs of the same seed share the initial weights and the data order, so the seed's own effect (up to 5 points
    of AP here) largely cancels in the difference. AP in points (%), ADE/FDE in metres, EPA as a fraction;
    higher is better for AP and EPA, lower for ADE and FDE. The last column counts the seeds in which the row's
    vehicle AP@0.5 and EPA are both at least the baseline's. With several baseline rows (e.g. `sum` and its
    control, which differ only by rounding) the baseline of a seed is their mean, which halves the variance one
    run's noise adds to every difference; each baseline row then gets its own line (its distance from the mean,
    half their spread for two).
    """
    baselines = [baselines] if isinstance(baselines, str) else list(baselines)
    base = seed_baselines(runs, baselines)
    title = (ROW_LABELS.get(baselines[0], baselines[0]) if len(baselines) == 1 else
             'the mean of ' + ' and '.join(ROW_LABELS.get(name, name) for name in baselines))
    lines = [f'| Δ against {title} | seeds | Δ vehicle AP@0.5 | Δ mAP@0.5 | Δ ADE (m) | '
             'Δ FDE (m) | Δ EPA | seeds with AP and EPA ≥ |', '|---|---|---|---|---|---|---|---|']
    for name, rows in runs.items():
        pairs = [(row['metrics'], base[row.get('seed', 0)]) for row in rows
                 if baselines != [name] and 'metrics' in row and row.get('seed', 0) in base]
        if not pairs:
            continue
        cells = []
        for key, scale in PAIRED_KEYS:
            diffs = [m[key] - b[key] for m, b in pairs if m.get(key) is not None and b.get(key) is not None]
            cells.append(fmt(diffs, scale=scale))
        no_worse = sum(m['AP@0.5/vehicle'] >= b['AP@0.5/vehicle'] and m['EPA'] >= b['EPA'] for m, b in pairs)
        lines.append(f"| {ROW_LABELS.get(name, name)} | {len(pairs)} | {' | '.join(cells)} | {no_worse} of "
                     f'{len(pairs)} |')
    return '\n'.join(lines)


def scalar_logs(run_dir: str) -> List[str]:
    """The run's mmengine scalar logs, ``<run_dir>/<timestamp>/vis_data/scalars.json``, oldest first (one per
    start of training in that work dir; a test run's log, under ``<run_dir>/test/``, is not one of them)."""
    return sorted(glob.glob(osp.join(run_dir, '*', 'vis_data', 'scalars.json')))


def read_scalar_windows(path: str) -> List[dict]:
    """The windows of a ``scalars.json`` (one JSON object per non-blank line: mmengine's means over one logging
    window, ``step`` = its last iteration, or the epoch for a validation line); a broken line is a ValueError
    naming the file and line."""
    with open(path) as f:
        lines = [line for line in f if line.strip()]
    windows = []
    for number, line in enumerate(lines, 1):
        try:
            windows.append(json.loads(line))
        except json.JSONDecodeError as error:
            raise ValueError(f'{path}: line {number} is not valid JSON ({error})') from error
    return windows


def _balance_scalars(window: dict) -> Dict[str, float]:
    return {key[len('balance/'):]: float(value) for key, value in window.items() if key.startswith('balance/')}


def balance_log_means(run_dir: str) -> dict:
    """Means of the ``balance/*`` scalars over the run's training logs (``<timestamp>/vis_data/scalars.json``).

    Each line of such a file is one logging window (mmengine's mean over its iterations, ``step`` = the window's
    last iteration); a scalar logged only on conflict-suppressing updates appears in the windows that had one. The
    newest log counts whole. A run resumed (``--resume``) or restarted into the same work dir leaves older logs: an
    older log's balance windows count only below the first balance window step of every newer log (iterations
    after the checkpoint it resumed from were trained again; a restart from scratch starts at the first window, so
    nothing older counts). Returns ``{'windows': windows counted (all lines of the newest log + the counted older
    ones), 'means': {key: mean over the windows that have it}, 'counts': {key: such windows}}`` without the
    ``balance/`` prefix, or ``{}`` when no log has a ``balance/*`` scalar (no balancing wrapper) or there is no log.
    """
    counted: List[Dict[str, float]] = []  # the balance scalars of each counted window ({} where it has none)
    first_step = float('inf')  # the first balance window step of the logs read so far (newer ones)
    for age, path in enumerate(reversed(scalar_logs(run_dir))):
        windows = [(window.get('step', 0), _balance_scalars(window))
                   for window in read_scalar_windows(path)]
        balance_steps = [step for step, scalars in windows if scalars]
        if age == 0:
            counted.extend(scalars for _, scalars in windows)
        else:
            counted.extend(scalars for step, scalars in windows if scalars and step < first_step)
        first_step = min([first_step] + balance_steps)
    sums: Dict[str, float] = {}
    counts: Dict[str, int] = {}
    for scalars in counted:
        for name, value in scalars.items():
            sums[name] = sums.get(name, 0.0) + value
            counts[name] = counts.get(name, 0) + 1
    if not counts:
        return {}
    return dict(windows=len(counted), means={name: sums[name] / counts[name] for name in sorted(sums)},
                counts={name: counts[name] for name in sorted(counts)})


def balance_logs(run_dir: str) -> Dict[str, float]:
    """Means of the run's ``balance/*`` scalars over its training (:func:`balance_log_means`), or, in an archived run
    without its logs, the stored ones (``BALANCE_LOGS_FILE``); empty if neither exists."""
    means = balance_log_means(run_dir).get('means')
    stored = osp.join(run_dir, BALANCE_LOGS_FILE)
    if means is None and osp.isfile(stored):
        with open(stored) as f:
            means = json.load(f).get('means')
    return means or {}


def balance_table(runs: Dict[str, List[dict]], keys: Sequence[str]) -> str:
    """Markdown table of the balancing scalars ``keys`` (without ``balance/``), each the mean over a run's logged
    training windows, then mean ± sd over the seeds (``n/a`` where no run logged it); rows that logged none of them
    (pretraining, no balancing wrapper, training taken from another run's checkpoint) are left out."""
    lines = ['| balancing, mean over training | seeds | ' + ' | '.join(keys) + ' |',
             '|---|---|' + '---|' * len(keys)]
    for name, results in runs.items():
        cells = [fmt([r.get('balance', {}).get(key) for r in results]) for key in keys]
        if all(cell == 'n/a' for cell in cells):  # not run yet, no balancing, or trained elsewhere
            continue
        lines.append(f"| {ROW_LABELS.get(name, name)} | {len(results)} | {' | '.join(cells)} |")
    return '\n'.join(lines)


def pretrain_summary(work_root: str) -> Optional[str]:
    """The reconstruction figures MAEPretrainHook logged last (Chamfer, occupancy precision/recall)."""
    logs = scalar_logs(osp.join(work_root, 'pretrain'))
    if not logs:
        return None
    last = {}
    for record in read_scalar_windows(logs[-1]):
        last.update({k: v for k, v in record.items() if k.startswith('recon')})
    return ', '.join(f'{k} = {v:.4f}' for k, v in sorted(last.items()) if isinstance(v, float))


def has_info_file(data_root: str, split: str) -> bool:
    """Whether ``v2xpnp_infos_<split>.pkl`` exists in ``data_root`` (relative to the repo root or the cwd)."""
    name = f'v2xpnp_infos_{split}.pkl'
    return osp.isfile(osp.join(REPO_ROOT, data_root, name)) or osp.isfile(osp.join(data_root, name))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('suite', choices=sorted(SUITES))
    parser.add_argument('--data-root', default='data/v2xpnp_synth/')
    parser.add_argument('--work-root', default='work_dirs/experiments')
    parser.add_argument('--epochs', type=int, default=3, help='fine-tuning budget (epochs) of every run')
    parser.add_argument('--pretrain-epochs', type=int, default=2,
                        help='pretraining budget (epochs); 2 as in demo_pretrain.py')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0],
                        help='training seeds; seed 0 runs in --work-root, seed N in <work-root>_seed<N>; with several '
                             'seeds each cell is the mean ± sample standard deviation')
    parser.add_argument('--only', nargs='+', metavar='EXPERIMENT',
                        help='run and report only these experiments of the suite (and what they need)')
    parser.add_argument('--rerun', action='store_true', help='run again even if results exist')
    parser.add_argument('--report-only', action='store_true',
                        help='run nothing: tabulate the cached results, leaving out the seeds not run yet')
    parser.add_argument('--split', default='test',
                        help='info split the checkpoints are tested on (v2xpnp_infos_<split>.pkl); for a split other '
                             'than test, runs already trained (result.json) are only tested')
    parser.add_argument('--paired-with', metavar='EXPERIMENT', nargs='+',
                        help='also print each row\'s per-seed difference from this row of the suite (same seed: '
                             'same initial weights and data order); with several rows, from their per-seed mean '
                             '(e.g. `sum` and its rounding control)')
    parser.add_argument('--trained', nargs='+', default=[], metavar='ROW=CHECKPOINT',
                        help='take ROW\'s training from CHECKPOINT (`{seed}` in it is the seed) instead of training '
                             'it, e.g. a run of the paper comparison with the same config, data and seed: its work '
                             'dir gets a trained.json naming it (and, for a pretraining row, the trunk file beside '
                             'it); a row already trained in the work root keeps its own training')
    parser.add_argument('--balance', nargs='*', metavar='KEY',
                        help='also print the means of these balance/* scalars over each run\'s training (mean ± sd '
                             'over the seeds; default: ' + ' '.join(BALANCE_KEYS) + ')')
    parser.add_argument('--test-data-root',
                        help='test on this data root (its --split) instead of --data-root, e.g. held-out scenarios '
                             'from another generator seed; runs already trained are only tested')
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.report_only and not has_info_file(args.data_root, 'train'):
        parser.error(f'no info files in {args.data_root}: run tools/make_synthetic_v2xpnp.py and '
                     'tools/create_data.py first')
    names = SUITES[args.suite]
    if args.test_data_root and not args.report_only and not has_info_file(args.test_data_root, args.split):
        parser.error(f'--test-data-root: no v2xpnp_infos_{args.split}.pkl in {args.test_data_root}')
    unpaired = [name for name in args.paired_with or [] if name not in names]
    if unpaired:
        parser.error(f'--paired-with: {", ".join(unpaired)} not in suite {args.suite!r} ({", ".join(names)})')
    if args.only:
        unknown = sorted(set(args.only) - set(names))
        if unknown:
            parser.error(f'--only: {", ".join(unknown)} not in suite {args.suite!r} ({", ".join(names)})')
        names = [name for name in names if name in args.only]
        missing = [name for name in args.paired_with or [] if name not in names]
        if missing:
            parser.error(f'--paired-with: {", ".join(missing)} not among the --only rows; add it there')
    try:
        trained = parse_trained(args.trained, sorted(with_needs(SUITES[args.suite])))
    except ValueError as error:
        parser.error(str(error))
    needed = with_needs(names)  # rows --only leaves out are not touched
    trained = {name: checkpoint for name, checkpoint in trained.items() if name in needed}
    work_root = osp.abspath(args.work_root)
    runs: Dict[str, List[dict]] = {name: [] for name in names}
    for seed in args.seeds:
        seed_root = seed_work_root(work_root, seed)
        for name, checkpoint in trained.items() if not args.report_only else ():
            row = ROWS[name]
            try:
                adopt_training(row, checkpoint.format(seed=seed), seed_root, seed,
                               args.pretrain_epochs if row.pretrain else args.epochs)
            except FileNotFoundError as error:
                parser.error(str(error))
        for name in names:
            row = ROWS[name]
            if args.report_only:
                result = cached_result(row, args, seed_root)
            else:
                for dependency in row.needs:
                    run_experiment(ROWS[dependency], args, seed_root, seed)
                result = run_experiment(row, args, seed_root, seed)
            if result is None:  # --report-only: this seed has not run
                continue
            if args.balance is not None:  # read only when asked for: every scalar log of the run
                result['balance'] = balance_logs(training_dir(row, seed_root))
            runs[name].append(result)
    rows = [runs[name][0] if len(args.seeds) == 1 else merge_seeds(runs[name]) for name in names if runs[name]]
    seeds = ', '.join(map(str, args.seeds))
    text = (f'Suite `{args.suite}`: {args.epochs} fine-tuning epoch(s), {args.pretrain_epochs} pretraining '
            f'epoch(s), data {args.data_root}, seed(s) {seeds}, tested on the {args.split} split'
            + (f' of {args.test_data_root}' if args.test_data_root else '') + '\n\n'
            + table(rows, args.suite))
    if args.paired_with:
        text += '\n\n' + paired_table(runs, args.paired_with)
    if args.balance is not None:
        text += '\n\n' + balance_table(runs, args.balance or BALANCE_KEYS)
    if args.suite == 'prediction':
        text += '\n\n' + prediction_table(rows)
    recon = pretrain_summary(seed_work_root(work_root, args.seeds[0])) if 'pretrain' in names else None
    if recon:
        text += (f'\n\nPretraining reconstruction (last values MAEPretrainHook logged: recon/ on training batches, '
                 f'recon_val/ on the val split of {args.data_root}; seed {args.seeds[0]}): {recon}')
    print(text)
    stem = args.suite + result_suffix(args)
    stem += '' if args.seeds == [0] else '_seeds' + '-'.join(map(str, args.seeds))
    stem += '' if not (args.only or args.report_only) else '_partial'
    os.makedirs(work_root, exist_ok=True)
    with open(osp.join(work_root, f'{stem}.md'), 'w') as f:
        f.write(text + '\n')
    with open(osp.join(work_root, f'{stem}.json'), 'w') as f:
        json.dump(rows if len(args.seeds) == 1 else [run for name in names for run in runs[name]], f, indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
