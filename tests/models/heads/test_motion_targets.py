import torch

from projects.TurboTrain.turbotrain.models.heads.motion_targets import last_valid_index, velocity_targets


def targets(centres, future, future_mask, past, past_mask):
    return velocity_targets(torch.tensor(centres, dtype=torch.float64), torch.tensor(future, dtype=torch.float64),
                            torch.tensor(future_mask), torch.tensor(past, dtype=torch.float64),
                            torch.tensor(past_mask))


def test_straight_line_future_gives_its_velocity():
    # centre (1, 1), moving (0.5, -1) per step; 3 future steps, 3 past steps
    future = [[[1 + 0.5 * k, 1 - k] for k in (1, 2, 3)]]
    past = [[[0.0, 3.0], [0.5, 2.0], [1.0, 1.0]]]
    velocity, valid = targets([[1.0, 1.0]], future, [[True] * 3], past, [[True] * 3])
    assert valid.tolist() == [True]
    assert torch.allclose(velocity, torch.tensor([[0.5, -1.0]], dtype=torch.float64))


def test_missing_future_steps_least_squares_by_hand():
    # valid only at k = 2 (x = 4) and k = 3 (x = 5), centre 0: v = (2*4 + 3*5) / (2^2 + 3^2) = 23 / 13;
    # step 1 (masked) holds garbage that must not count
    future = [[[100.0, 100.0], [4.0, 0.0], [5.0, 0.0]]]
    velocity, valid = targets([[0.0, 0.0]], future, [[False, True, True]], [[[0.0, 0.0]] * 3],
                              [[True] * 3])
    assert valid.tolist() == [True]
    assert torch.allclose(velocity, torch.tensor([[23.0 / 13.0, 0.0]], dtype=torch.float64))


def test_no_future_falls_back_to_the_last_two_valid_past_positions():
    future = [[[9.0, 9.0]] * 2] * 4
    past = [[[0.0, 0.0], [9.0, 9.0], [3.0, 3.0]],  # valid 0 and 2: (3, 3) / 2 steps
            [[0.0, 0.0], [1.0, 0.0], [9.0, 9.0]],  # t0 missing, valid 0 and 1: (1, 0)
            [[9.0, 9.0], [9.0, 9.0], [2.0, 2.0]],  # a single past position: no target
            [[9.0, 9.0]] * 3]  # nothing: no target
    past_mask = [[True, False, True], [True, True, False], [False, False, True], [False] * 3]
    velocity, valid = targets([[3.0, 3.0], [1.0, 0.0], [2.0, 2.0], [0.0, 0.0]], future, [[False] * 2] * 4, past,
                              past_mask)
    assert valid.tolist() == [True, True, False, False]
    assert torch.allclose(velocity, torch.tensor([[1.5, 1.5], [1.0, 0.0], [0.0, 0.0], [0.0, 0.0]],
                                                 dtype=torch.float64))


def test_last_valid_index():
    index, has = last_valid_index(torch.tensor([[True, False, True, False], [False] * 4, [True, True, True, True]]))
    assert index[has].tolist() == [2, 3] and has.tolist() == [True, False, True]


def test_empty():
    velocity, valid = velocity_targets(torch.zeros(0, 2), torch.zeros(0, 4, 2), torch.zeros(0, 4, dtype=torch.bool),
                                       torch.zeros(0, 3, 2), torch.zeros(0, 3, dtype=torch.bool))
    assert velocity.shape == (0, 2) and valid.shape == (0, )
