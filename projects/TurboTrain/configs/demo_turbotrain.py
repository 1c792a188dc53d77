# CPU demo of the full TurboTrain recipe: demo pretrained trunk + balanced fine-tuning.
#   python tools/train.py projects/TurboTrain/configs/demo_pretrain.py --work-dir work_dirs/demo_pretrain
#   python tools/train.py projects/TurboTrain/configs/demo_turbotrain.py
_base_ = ['./demo_finetune_balanced.py']
pretrained_trunk = 'work_dirs/demo_pretrain/trunk_pretrained.pth'
model = dict(init_cfg=dict(type='PretrainedTrunk', checkpoint=pretrained_trunk))
# the full recipe: no conflict-suppressing update in the first 100 updates, while the detection heatmap's initial
# loss makes its trunk gradient 30-1000x the prediction's (see TurboTrainStrategy); a task re-balanced only when its
# trunk gradient is over twice the other's (tau = 2); gradients clipped at norm 4 (the demo's gradient norms are 3-4).
# The recipe as measured in the README ("Motion-aware temporal fusion"); until 2026-12-02 it was tau = 1, norm 10.
optim_wrapper = dict(clip_grad=dict(max_norm=4), strategy=dict(warmup=100, max_norm_ratio=2.0))
