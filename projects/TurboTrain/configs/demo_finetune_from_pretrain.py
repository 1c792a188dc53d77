# CPU demo of fine-tuning from the demo pretraining's trunk.
#   python tools/train.py projects/TurboTrain/configs/demo_pretrain.py --work-dir work_dirs/demo_pretrain
#   python tools/train.py projects/TurboTrain/configs/demo_finetune_from_pretrain.py
_base_ = ['./demo_finetune.py']
pretrained_trunk = 'work_dirs/demo_pretrain/trunk_pretrained.pth'
model = dict(init_cfg=dict(type='PretrainedTrunk', checkpoint=pretrained_trunk))
