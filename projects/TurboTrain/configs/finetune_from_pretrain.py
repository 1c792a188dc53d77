# Fine-tuning from the trunk that pretrain.py exported (TurboTrain stage 2 input).
#   tools/dist_train.sh projects/TurboTrain/configs/finetune_from_pretrain.py 8
# Another checkpoint: --cfg-options model.init_cfg.checkpoint=PATH. A trunk that does not match is refused.
_base_ = ['./finetune.py']
pretrained_trunk = 'work_dirs/pretrain/trunk_pretrained.pth'
model = dict(init_cfg=dict(type='PretrainedTrunk', checkpoint=pretrained_trunk))
