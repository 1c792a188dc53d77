from .no_velocity_center_head import NoVelocityCenterHead
from .trajectory_head import TrajectoryHead

__all__ = ['NoVelocityCenterHead', 'TrajectoryHead']
