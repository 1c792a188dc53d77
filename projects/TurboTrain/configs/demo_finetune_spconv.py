# CPU demo of the backbone swap: demo_finetune.py with a small SECOND sparse-conv 3-D backbone (spconv CPU build +
# turbotrain's compat patch) instead of the pillar encoder.
#   python tools/train.py projects/TurboTrain/configs/demo_finetune_spconv.py
# Only model.trunk.bev_encoder and model.trunk.backbone.layer_strides change. The trunk's output BEV map stays the
# pillar demo's 64×64 over ±32 m (1.0 m cells), so the fusion neck, heads and their train/test cfg are unchanged:
#   pillars:  0.5 m pillars (128×128 canvas, 16 ch) → SECOND strides [2, 2] → SECONDFPN → 64×64×32
#   sparse:   0.25×0.25×0.5 m voxels (sparse grid 25×256×256) → HardSimpleVFE → SparseEncoder (3 stages, BEV
#             stride 4, height compression: 8 ch × 2 z-cells = 16 ch at 64×64) → SECOND strides [1, 2] → 64×64×32
# The swap itself (shared with demo_pretrain_spconv.py) is configs/_base_/models/spconv_trunk_demo.py.
# Cost on 2 CPU cores: see docs/scaling.md (tools/benchmarks/benchmark_backbones.py).
_base_ = ['./demo_finetune.py', '../../../configs/_base_/models/spconv_trunk_demo.py']

model = dict(trunk={{_base_.spconv_trunk}})
