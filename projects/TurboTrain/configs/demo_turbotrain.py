# CPU demo of the full TurboTrain recipe: demo pretrained trunk + balanced fine-tuning.
#   python tools/train.py projects/TurboTrain/configs/demo_pretrain.py --work-dir work_dirs/demo_pretrain
#   python tools/train.py projects/TurboTrain/configs/demo_turbotrain.py
_base_ = ['./demo_finetune_balanced.py']
pretrained_trunk = 'work_dirs/demo_pretrain/trunk_pretrained.pth'
model = dict(init_cfg=dict(type='PretrainedTrunk', checkpoint=pretrained_trunk))
# the full recipe: no conflict-suppressing update in the first 100 updates, while the detection heatmap's initial
# loss makes its trunk gradient 30-1000x the prediction's (see TurboTrainStrategy); then one every 10 updates;
# magnitudes re-balanced by the tasks' loss-decrease rates (rebalance='loss_rate'); gradients clipped at norm 4 (the
# demo's gradient norms are 3-4). The recipe as measured in the README ("Re-balancing by the loss-decrease rates");
# until 2026-12-02 it was the gradient-norm rule with tau = 1 and norm 10, then tau = 2 and norm 4.
optim_wrapper = dict(clip_grad=dict(max_norm=4), strategy=dict(warmup=100, rebalance='loss_rate'))
