# CPU demo of the full TurboTrain recipe: demo pretrained trunk + balanced fine-tuning.
#   python tools/train.py projects/TurboTrain/configs/demo_pretrain.py --work-dir work_dirs/demo_pretrain
#   python tools/train.py projects/TurboTrain/configs/demo_turbotrain.py
_base_ = ['./demo_finetune_balanced.py']
pretrained_trunk = 'work_dirs/demo_pretrain/trunk_pretrained.pth'
model = dict(init_cfg=dict(type='PretrainedTrunk', checkpoint=pretrained_trunk))
# the full recipe: no conflict-suppressing update in the first 100 updates, while the detection heatmap's initial
# loss makes its trunk gradient 30-1000x the prediction's (see TurboTrainStrategy)
optim_wrapper = dict(strategy=dict(warmup=100))
