# CPU demo of the full TurboTrain recipe: demo pretrained trunk + balanced fine-tuning.
#   python tools/train.py projects/TurboTrain/configs/demo_pretrain.py --work-dir work_dirs/demo_pretrain
#   python tools/train.py projects/TurboTrain/configs/demo_turbotrain.py
_base_ = ['./demo_finetune_balanced.py']
pretrained_trunk = 'work_dirs/demo_pretrain/trunk_pretrained.pth'
model = dict(init_cfg=dict(type='PretrainedTrunk', checkpoint=pretrained_trunk))
# The full recipe: no conflict-suppressing update in the first 100 updates, while the untrained detection heatmap's
# loss dominates the trunk gradient (see TurboTrainStrategy); then one every 10 updates; magnitudes re-balanced by the
# tasks' loss-decrease rates (rebalance='loss_rate'); gradients clipped at norm 4, chosen against the demo model's
# logged gradient norms. Study rows run with other settings keep theirs in configs/studies/.
optim_wrapper = dict(clip_grad=dict(max_norm=4), strategy=dict(warmup=100, rebalance='loss_rate'))
