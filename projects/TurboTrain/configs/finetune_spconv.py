# Backbone swap: finetune.py with a SECOND sparse-conv 3-D backbone (spconv) instead of the pillar encoder.
#   tools/dist_train.sh projects/TurboTrain/configs/finetune_spconv.py 8
# Only the backbone part of the trunk changes (model.trunk.bev_encoder and two keys of model.trunk.backbone);
# the fusion neck, both heads, their train/test cfg, data and schedule are finetune.py's. The trunk's output BEV
# map stays 128×128 over ±51.2 m (0.8 m cells), exactly the pillar path's, so nothing downstream changes:
#   pillars:  0.4 m pillars (256×256 canvas, 64 ch) → SECOND strides [2, 2, 2] → SECONDFPN → 128×128×384
#   sparse:   0.1×0.1×0.3 m voxels (sparse grid 41×1024×1024) → HardSimpleVFE → SparseEncoder (4 stages, BEV
#             stride 8, height compression: 128 ch × 2 z-cells = 256 ch at 128×128)
#             → SECOND strides [1, 2, 2] → the same SECONDFPN → 128×128×384
# The swap itself (shared with pretrain_spconv.py) is configs/_base_/models/spconv_trunk.py.
# Full size is for GPUs (spconv-cu120 + mmcv CUDA ops, tools/install.sh); see demo_finetune_spconv.py for CPU.
_base_ = ['./finetune.py', '../../../configs/_base_/models/spconv_trunk.py']

model = dict(trunk={{_base_.spconv_trunk}})
