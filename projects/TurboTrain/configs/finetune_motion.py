# Full-size (GPU) fine-tuning with the motion prediction head (MotionTrajectoryHead: learned velocity + residual over
# its constant-velocity extrapolation); demo_finetune_motion.py is the CPU demo.
#   tools/dist_train.sh projects/TurboTrain/configs/finetune_motion.py 8
#
# Horizons: 3 history frames (t0-0.2 s … t0) and 10 future steps (1 s at 10 Hz), the dataset base's. The future is
# the 1 s at which the project's prediction figures are quoted (the demo's as well, so figures compare); the history
# is kept at the demo's because the model sees motion only through it and every frame is a full BEV encoding per
# agent (4 agents x H frames per sample). Longer horizons are one setting here (history_frames, future_frames); the
# model follows them. How well the velocity can be read from H frames of these cells at all (whatever the head): the
# motion-resolution table of projects/TurboTrain/docs/experiments/prediction.md (tools/analysis/motion_resolution.py);
# a longer history is the first setting to raise where prediction matters more than encoder cost.
_base_ = ['./finetune.py']

history_frames = 3
future_frames = 10
horizon = dict(history_frames=history_frames, future_frames=future_frames)

model = dict(
    trunk=dict(fusion_neck=dict(temporal_fusion=dict(max_history=history_frames))),
    traj_head=dict(type='MotionTrajectoryHead', num_future=future_frames, residual=True))

train_dataloader = dict(dataset=horizon)
val_dataloader = dict(dataset=horizon)
test_dataloader = dict(dataset=horizon)

val_evaluator = dict(compare_sources=('detected_velocity', 'constant_velocity'),
                     epa_score_thr_grid=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7))
test_evaluator = dict(compare_sources=('detected_velocity', 'constant_velocity'))
