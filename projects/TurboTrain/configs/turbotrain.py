# Full TurboTrain fine-tuning: the pretrained trunk (pretrain.py) + balanced multi-task fine-tuning.
#   tools/dist_train.sh projects/TurboTrain/configs/pretrain.py 8 --work-dir work_dirs/pretrain
#   tools/dist_train.sh projects/TurboTrain/configs/turbotrain.py 8
_base_ = ['./finetune_balanced.py']
pretrained_trunk = 'work_dirs/pretrain/trunk_pretrained.pth'
model = dict(init_cfg=dict(type='PretrainedTrunk', checkpoint=pretrained_trunk))
# the full recipe: no conflict-suppressing update in the first 100 updates, while the untrained detection heatmap's
# loss dominates the trunk gradient (see TurboTrainStrategy); magnitudes re-balanced by the
# tasks' loss-decrease rates (rebalance='loss_rate', as demo_turbotrain.py). The clip norm stays the schedule's 10:
# the demo's 4 was chosen against the demo model's gradient norms, which this model's need not share.
optim_wrapper = dict(strategy=dict(warmup=100, rebalance='loss_rate'))
