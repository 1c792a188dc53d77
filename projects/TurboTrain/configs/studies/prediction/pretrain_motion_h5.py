# Study row `pretrain_motion_h5`: `pretrain_motion` (masked pretraining, motion-aware temporal fusion) with 5 history
# frames (t0-0.4 s … t0) instead of 3, for `pred_motion_h5_from_pretrain_clip4`: the temporal fusion's first
# convolution reads one slot per history frame, so a 5-frame model needs a 5-frame trunk.
# Why 5: at the demo's 1.0 m cells, constant velocity read from 3 frames at cell level predicts vehicles 1 s ahead
# no better than the goal allows, from 5 frames about at it (the motion-resolution table of
# projects/TurboTrain/docs/experiments/prediction.md, training labels only).
_base_ = ['../../demo_pretrain.py']

history_frames = 5
model = dict(trunk=dict(fusion_neck=dict(temporal_fusion=dict(type='TemporalConvFusion',
                                                              max_history=history_frames))))
train_dataloader = dict(dataset=dict(history_frames=history_frames))
val_dataloader = dict(dataset=dict(history_frames=history_frames))
test_dataloader = val_dataloader
