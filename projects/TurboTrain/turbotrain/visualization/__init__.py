from .coop_bev_visualizer import (CoopBEVVisualizer, bev_box_corners, match_predictions, write_animation,
                                  write_image)

__all__ = ['CoopBEVVisualizer', 'bev_box_corners', 'match_predictions', 'write_animation', 'write_image']
