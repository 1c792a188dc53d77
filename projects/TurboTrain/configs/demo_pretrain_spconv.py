# CPU demo of the masked pretraining with the sparse-conv trunk: demo_pretrain.py with demo_finetune_spconv.py's
# backbone swap (both take it from configs/_base_/models/spconv_trunk_demo.py).
#   python tools/train.py projects/TurboTrain/configs/demo_pretrain_spconv.py --work-dir work_dirs/demo_pretrain_spconv
# Masking drops points by BEV column before the encoder, so it works unchanged for voxels; the trunk's output grid
# is the pillar demo's 64×64, so the mask column size (one output cell) and the reconstruction head are unchanged.
_base_ = ['./demo_pretrain.py', '../../../configs/_base_/models/spconv_trunk_demo.py']

model = dict(trunk={{_base_.spconv_trunk}})
