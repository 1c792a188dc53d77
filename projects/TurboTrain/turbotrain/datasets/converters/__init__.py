"""Dataset converters: raw dataset trees → info files (docs/contract.md, "Info files")."""
from .v2xpnp_converter import (DEFAULT_CLASSES, DEFAULT_OBJ_TYPE_TO_CLASS, ConversionReport, EmptyDatasetError,
                               Issue, convert_v2xpnp, info_filename, load_frame_yaml, object_to_box_world)

__all__ = ['convert_v2xpnp', 'ConversionReport', 'EmptyDatasetError', 'Issue', 'info_filename', 'load_frame_yaml',
           'object_to_box_world', 'DEFAULT_CLASSES', 'DEFAULT_OBJ_TYPE_TO_CLASS']
