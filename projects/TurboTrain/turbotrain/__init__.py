"""TurboTrain: cooperative perception-and-prediction training for MMDetection3D.

Importing this package registers every component (datasets, transforms, models, optimizer wrappers, hooks,
metrics, visualiser) in the mmdet3d/mmengine registries; configs load it with
``custom_imports = dict(imports=['projects.TurboTrain.turbotrain'], allow_failed_imports=False)``.
"""
from . import utils  # noqa: F401  (first: compatibility patches)
from . import datasets, engine, evaluation, models, visualization  # noqa: F401

__version__ = '0.1.0'
