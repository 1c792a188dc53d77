# The demo TurboTrain recipe with a learned channel compressor on what the cooperators transmit: a 1x1 convolution
# 32 -> 8 channels sent as float16 (8x fewer bytes than the 32-channel float32 map), decoded by the receiver
# (docs/evaluation.md, "Channel compressor"). Learned in fine-tuning; the pretrained trunk has no compressor.
#   python tools/train.py projects/TurboTrain/configs/demo_turbotrain_compress4.py
_base_ = ['./demo_turbotrain.py']
model = dict(trunk=dict(compressor=dict(type='ChannelCompressor', channels=32, ratio=4, transmit_dtype='float16')))
