# CPU demo of fine-tuning with the motion prediction head: every detection gets a learned velocity (trained on the
# least-squares constant velocity of its annotated future) and a learned residual over that constant-velocity
# extrapolation (MotionTrajectoryHead). The existing dense waypoint head stays the default (demo_finetune.py).
#   python tools/train.py projects/TurboTrain/configs/demo_finetune_motion.py
#
# Horizons (set here, in one place, for the data and the model): 3 history frames (t0-0.2 s … t0) and 10 future
# steps (1 s at 10 Hz), as the demo: the history is what a 2-core CPU can encode per sample (4 agents x 3 frames),
# the future is the horizon the prediction figures are quoted at.
# The test evaluator reports, on the same matched detections, the head's trajectories, constant velocity from the
# head's own velocity (no ground truth) and constant velocity from the ground-truth past (oracle).
_base_ = ['./demo_finetune.py']

history_frames = 3
future_frames = 10
horizon = dict(history_frames=history_frames, future_frames=future_frames)

model = dict(
    trunk=dict(fusion_neck=dict(temporal_fusion=dict(max_history=history_frames))),
    traj_head=dict(type='MotionTrajectoryHead', num_future=future_frames, residual=True))

train_dataloader = dict(dataset=horizon)
val_dataloader = dict(dataset=horizon)
test_dataloader = dict(dataset=horizon)

# EPA thresholds: the validation pass sweeps a per-class score threshold (EPA_best_thr/* in its JSON); pass that
# JSON to the test evaluator as epa_score_thr_file to apply them (never chosen on the test scenarios).
val_evaluator = dict(compare_sources=('detected_velocity', 'constant_velocity'),
                     epa_score_thr_grid=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7))
test_evaluator = dict(compare_sources=('detected_velocity', 'constant_velocity'))
