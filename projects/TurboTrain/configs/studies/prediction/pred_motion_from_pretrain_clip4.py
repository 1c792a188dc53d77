# Study row `pred_motion_from_pretrain_clip4`: the learned velocity + residual head (MotionTrajectoryHead) fine-tuned
# from the pretrained motion-aware trunk on summed losses, clipped at norm 4: `from_pretrain_motion_clip4` (and the
# paper comparison's "TurboTrain pretraining" recipe, paper_comparison/demo_turbotrain_sum.py, at --epochs 3) with
# this head instead of the dense one, so that the pair differs only in the prediction head.
# The trunk is `pretrain_motion`'s export; run_experiments.py passes its own work root's (--cfg-options
# model.init_cfg.checkpoint=<work root>/pretrain_motion/trunk_pretrained.pth).
_base_ = ['../../demo_finetune_motion.py']

model = dict(
    trunk=dict(fusion_neck=dict(temporal_fusion=dict(type='TemporalConvFusion'))),
    init_cfg=dict(type='PretrainedTrunk', checkpoint='work_dirs/experiments/pretrain_motion/trunk_pretrained.pth'))
optim_wrapper = dict(clip_grad=dict(max_norm=4))
train_cfg = dict(val_interval=1)
