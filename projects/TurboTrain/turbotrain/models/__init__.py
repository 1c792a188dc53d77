from . import (data_preprocessors, detectors, heads, necks, pretrain, trunks,  # noqa: F401
               voxel_encoders)
