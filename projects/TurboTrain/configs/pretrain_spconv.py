# Backbone swap for the masked pretraining: pretrain.py with finetune_spconv.py's sparse-conv trunk.
#   tools/dist_train.sh projects/TurboTrain/configs/pretrain_spconv.py 8
# BEV-column masking drops points before the encoder, so it masks voxels exactly as it masks pillars; the trunk's
# output grid (128×128, 0.8 m cells) is the pillar trunk's, so the mask column size and the reconstruction head
# are pretrain.py's. MAEPretrainHook exports <work_dir>/trunk_pretrained.pth, which
# finetune_spconv_from_pretrain.py loads (both take the swap from configs/_base_/models/spconv_trunk.py).
_base_ = ['./pretrain.py', '../../../configs/_base_/models/spconv_trunk.py']

model = dict(trunk={{_base_.spconv_trunk}})
