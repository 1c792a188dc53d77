from .motion_targets import velocity_targets
from .motion_trajectory_head import MotionTrajectoryHead
from .no_velocity_center_head import NoVelocityCenterHead
from .trajectory_head import TrajectoryHead

__all__ = ['MotionTrajectoryHead', 'NoVelocityCenterHead', 'TrajectoryHead', 'velocity_targets']
