# Manual 4-stage pipeline, stage 2 of 4 (CPU demo): temporal prediction. Starts from stage 1's checkpoint
# (tools/train_chain.py sets load_from; alone: --cfg-options load_from=work_dirs/.../stage1_.../epoch_N.pth).
# Still the ego vehicle alone, now with its history frames and the (new) prediction head.
# Frozen (model.frozen_modules): the per-agent encoder (pillar encoder, backbone, FPN neck, agent-type embedding)
# and the detection head, i.e. the single-agent detector stage 1 trained, so that learning the temporal fusion and
# the prediction head cannot undo it. Trained: the fusion neck (temporal + spatial fusion) and the prediction head.
# Both losses stay on: the prediction loss trains the prediction head and the fusion neck; the detection loss only
# reaches the fusion neck (the head is frozen), keeping the fused features usable by the frozen detector.
# Budget: at most 3 epochs, stopped at the first validation that does not improve EPA (this stage's own metric,
# end-to-end prediction); see demo_stage1_single_agent_det.py.
_base_ = ['../demo_finetune.py']

max_epochs = 3
lr = 2e-3
model = dict(frozen_modules=['trunk.bev_encoder', 'trunk.backbone', 'trunk.neck', 'trunk.agent_type_embedding',
                             'bbox_head'],
             train_cfg=dict(ego_only=True),
             test_cfg=dict(ego_only=True))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=lr * 1e-2, by_epoch=True, begin=0,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=1)
# clipped at norm 4 as demo_turbotrain.py: every recipe of the paper
# comparison shares the optimizer settings, so only the recipe differs
optim_wrapper = dict(clip_grad=dict(max_norm=4))
custom_hooks = [dict(type='ResumableEarlyStoppingHook',
                     monitor='v2xpnp/EPA', rule='greater', min_delta=0.0, patience=1)]
