# Study row `pred_motion_from_pretrain_clip4`: the learned velocity + residual head (MotionTrajectoryHead) fine-tuned
# from the pretrained motion-aware trunk on summed losses, clipped at norm 4, 3 epochs: the paper comparison's
# "TurboTrain pretraining" recipe with this head instead of the dense one, so that the pair differs only in the
# prediction head (the dense row: `from_pretrain_motion_clip4`, or that recipe's run of the same seed).
# The trunk is `pretrain_motion`'s export; run_experiments.py passes its own work root's (--cfg-options
# model.init_cfg.checkpoint=<work root>/pretrain_motion/trunk_pretrained.pth).
_base_ = ['../../paper_comparison/demo_turbotrain_sum.py']

model = dict(traj_head=dict(type='MotionTrajectoryHead', residual=True))
# as demo_finetune_motion.py: both constant-velocity rows on the same matches; per-class EPA thresholds on validation
val_evaluator = dict(compare_sources=('detected_velocity', 'constant_velocity'),
                     epa_score_thr_grid=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7))
test_evaluator = dict(compare_sources=('detected_velocity', 'constant_velocity'))
