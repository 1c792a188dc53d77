from .agent_type_embedding import AgentTypeEmbedding
from .bev_warp import BEVWarp, bev_affine_theta, affine_inverse
from .channel_compressor import ChannelCompressor, message_bytes
from .coop_fusion_neck import CoopFusionNeck
from .masked_attention import masked_cell_attention
from .spatial_fusion import AgentAttentionFusion
from .temporal_conv_fusion import TemporalConvFusion
from .temporal_fusion import TemporalAttentionFusion

__all__ = [
    'AgentTypeEmbedding', 'BEVWarp', 'ChannelCompressor', 'message_bytes', 'bev_affine_theta', 'affine_inverse',
    'CoopFusionNeck',
    'masked_cell_attention', 'AgentAttentionFusion', 'TemporalAttentionFusion',
    'TemporalConvFusion'
]
