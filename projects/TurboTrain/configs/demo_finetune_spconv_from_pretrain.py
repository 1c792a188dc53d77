# CPU demo of fine-tuning the sparse-conv trunk from demo_pretrain_spconv.py's export.
#   python tools/train.py projects/TurboTrain/configs/demo_pretrain_spconv.py --work-dir work_dirs/demo_pretrain_spconv
#   python tools/train.py projects/TurboTrain/configs/demo_finetune_spconv_from_pretrain.py
_base_ = ['./demo_finetune_spconv.py']
pretrained_trunk = 'work_dirs/demo_pretrain_spconv/trunk_pretrained.pth'
model = dict(init_cfg=dict(type='PretrainedTrunk', checkpoint=pretrained_trunk))
