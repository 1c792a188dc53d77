# Study row `pred_dense_motion_clip4`: dense waypoint head (TrajectoryHead), motion-aware trunk, `sum`, clipped at
# norm 4, from scratch; its test also reports constant velocity from the ground-truth past on the same matches (the
# dense head has no velocity, so there is no own-velocity baseline for it).
# Written out as the row ran, settings equal to a base default included.
_base_ = ['../../demo_finetune.py']

model = dict(trunk=dict(fusion_neck=dict(temporal_fusion=dict(type='TemporalConvFusion'))))
optim_wrapper = dict(clip_grad=dict(max_norm=4))
test_evaluator = dict(compare_sources=['constant_velocity'])
