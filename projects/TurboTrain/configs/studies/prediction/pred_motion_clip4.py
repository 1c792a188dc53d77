# Study row `pred_motion_clip4`: learned velocity + residual over constant velocity (MotionTrajectoryHead), the same
# training as `pred_dense_motion_clip4`; its test evaluator (demo_finetune_motion.py) reports constant velocity from
# the head's own velocity (no ground truth) and from the ground-truth past on the same matches.
_base_ = ['../../demo_finetune_motion.py']

model = dict(trunk=dict(fusion_neck=dict(temporal_fusion=dict(type='TemporalConvFusion'))))
optim_wrapper = dict(clip_grad=dict(max_norm=4))
