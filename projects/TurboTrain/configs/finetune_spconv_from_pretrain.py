# Fine-tuning the sparse-conv trunk that pretrain_spconv.py exported.
#   tools/dist_train.sh projects/TurboTrain/configs/pretrain_spconv.py 8 --work-dir work_dirs/pretrain_spconv
#   tools/dist_train.sh projects/TurboTrain/configs/finetune_spconv_from_pretrain.py 8
_base_ = ['./finetune_spconv.py']
pretrained_trunk = 'work_dirs/pretrain_spconv/trunk_pretrained.pth'
model = dict(init_cfg=dict(type='PretrainedTrunk', checkpoint=pretrained_trunk))
