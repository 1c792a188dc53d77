# Cooperative perception + prediction fine-tuning (detection + trajectories, plain summed losses).
#   tools/dist_train.sh projects/TurboTrain/configs/finetune.py 8
# Full-size model for GPUs; see demo_finetune.py for the CPU demo. Start from a pretrained trunk with
#   --cfg-options model.trunk.init_cfg.checkpoint=work_dirs/pretrain/trunk_pretrained.pth
# (or use finetune_from_pretrain.py).
_base_ = [
    '../../../configs/_base_/datasets/v2xpnp_seq.py',
    '../../../configs/_base_/models/coop_pnp_pillars.py',
    '../../../configs/_base_/schedules/adamw_onecycle.py',
    '../../../configs/_base_/default_runtime.py',
]
custom_imports = dict(imports=['projects.TurboTrain.turbotrain'], allow_failed_imports=False)

default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3, save_best='v2xpnp/mAP@0.5',
                    rule='greater'))

# Samples have 1-4 agents: batch them with the cooperative collate (per-sample dicts, padded by the preprocessor).
train_dataloader = dict(collate_fn=dict(type='coop_collate'))
val_dataloader = dict(collate_fn=dict(type='coop_collate'))
test_dataloader = dict(collate_fn=dict(type='coop_collate'))
