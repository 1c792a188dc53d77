import numpy as np

from projects.TurboTrain.turbotrain.evaluation.functional.constant_velocity import \
    constant_velocity_trajectories


def test_constant_velocity_cases():
    # row 0: full history, 1 m/step along x; row 1: valid at 0 and 2 only, v = (1, 1)/step, last
    # seen at t0-Δ; row 2: a single valid position, stays; row 3: none valid, fallback position.
    past = np.array([[[0, 0], [1, 0], [2, 0], [3, 0]], [[0, 0], [9, 9], [2, 2], [9, 9]],
                     [[9, 9], [9, 9], [5, -1], [9, 9]], [[9, 9], [9, 9], [9, 9], [9, 9]]], float)
    mask = np.array([[1, 1, 1, 1], [1, 0, 1, 0], [0, 0, 1, 0], [0, 0, 0, 0]], bool)
    fallback = np.array([[0, 0], [0, 0], [0, 0], [7, 8]], float)
    out = constant_velocity_trajectories(past, mask, 2, fallback_position=fallback)
    assert out.shape == (4, 2, 2)
    np.testing.assert_allclose(out[0], [[4, 0], [5, 0]])
    np.testing.assert_allclose(out[1], [[4, 4], [5, 5]])  # from index 2: k + (H-1-j) = k + 1 steps
    np.testing.assert_allclose(out[2], [[5, -1], [5, -1]])
    np.testing.assert_allclose(out[3], [[7, 8], [7, 8]])


def test_empty():
    assert constant_velocity_trajectories(np.zeros((0, 3, 2)), np.zeros((0, 3), bool),
                                          5).shape == (0, 5, 2)


def test_velocity_trajectories_exact_on_straight_lines():
    from projects.TurboTrain.turbotrain.evaluation.functional.constant_velocity import velocity_trajectories
    # centre columns beyond x, y (a full box row) are ignored
    centres = np.array([[1.0, 2.0, -1.0, 4.0, 2.0, 1.5, 0.3], [0.0, 0.0, 0, 1, 1, 1, 0]])
    velocities = np.array([[0.5, -1.0], [0.0, 0.0]])
    out = velocity_trajectories(centres, velocities, 3)
    np.testing.assert_allclose(out[0], [[1.5, 1.0], [2.0, 0.0], [2.5, -1.0]])
    np.testing.assert_allclose(out[1], np.zeros((3, 2)))
    assert velocity_trajectories(np.zeros((0, 7)), np.zeros((0, 2)), 4).shape == (0, 4, 2)
