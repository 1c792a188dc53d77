import math

import pytest
import torch

from projects.TurboTrain.turbotrain.models.pretrain import BEVColumnMasking

RANGE = [-8.0, -8.0, -3.0, 8.0, 8.0, 1.0]


def columns_cloud(columns, points_per_column=3, column=0.8, x_min=-8.0, y_min=-8.0):
    """Points at known columns ``[(ix, iy), ...]`` (agent frame): ``points_per_column`` per column, inside it."""
    pts = []
    for ix, iy in columns:
        for k in range(points_per_column):
            pts.append([x_min + (ix + 0.2 + 0.2 * k) * column, y_min + (iy + 0.5) * column, -1.0, 0.5])
    return torch.tensor(pts)


def test_column_ids_in_agent_frame():
    masking = BEVColumnMasking(RANGE, column_size=(0.8, 0.8))
    assert masking.grid_shape == (20, 20)
    pts = torch.tensor([[-8.0, -8.0, 0.0, 0], [-7.21, -8.0, 0.0, 0], [-7.19, -7.19, 0.0, 0], [0.0, 0.0, 0.0, 0],
                        [8.0, 0.0, 0.0, 0], [0.0, 0.0, 1.5, 0]])
    # col = floor((x+8)/0.8), row = floor((y+8)/0.8); x = 8 and z = 1.5 are outside the half-open range
    assert masking.column_ids(pts).tolist() == [0, 0, 1 * 20 + 1, 10 * 20 + 10, -1, -1]


@pytest.mark.parametrize('num_columns,ratio,expected', [(10, 0.7, 7), (5, 0.7, 4), (7, 0.5, 4), (3, 0.0, 0),
                                                        (4, 1.0, 4), (1, 0.7, 1)])
def test_mask_ratio_exact_count(num_columns, ratio, expected):
    columns = [(i, (3 * i) % 20) for i in range(num_columns)]
    cloud = columns_cloud(columns)
    outside = torch.tensor([[20.0, 0.0, 0.0, 0.1]])  # outside the range: never masked, kept
    cloud = torch.cat([cloud, outside])
    masking = BEVColumnMasking(RANGE, column_size=(0.8, 0.8), ratio=ratio, seed=1)
    result = masking([cloud])
    assert expected == math.floor(ratio * num_columns + 0.5)
    assert int(result.num_occupied[0]) == num_columns
    assert len(result.masked_columns[0]) == expected
    # whole columns go: 3 points per masked column, the rest (incl. the out-of-range point) are kept
    assert result.masked_points[0].shape[0] == 3 * expected
    assert result.kept_points[0].shape[0] == 3 * (num_columns - expected) + 1
    assert any(torch.equal(p, outside[0]) for p in result.kept_points[0])
    kept_ids = masking.column_ids(result.kept_points[0])
    masked_ids = masking.column_ids(result.masked_points[0])
    assert set(masked_ids.tolist()) == set(result.masked_columns[0].tolist())
    assert not set(kept_ids.tolist()) & set(masked_ids.tolist())
    # kept + masked is a partition of the input
    assert torch.equal(result.point_is_masked[0].sum(), torch.tensor(3 * expected))


def test_each_cloud_masked_independently_and_invalid_untouched():
    gen = torch.Generator().manual_seed(0)
    clouds = [torch.cat([(torch.rand(500, 2, generator=gen) - 0.5) * 15, torch.zeros(500, 2)], 1) for _ in range(3)]
    masking = BEVColumnMasking(RANGE, ratio=0.7, seed=3)
    result = masking(clouds, cloud_valid=torch.tensor([True, True, False]))
    for i in range(2):
        assert len(result.masked_columns[i]) == math.floor(0.7 * int(result.num_occupied[i]) + 0.5)
    assert not torch.equal(result.masked_columns[0], result.masked_columns[1])
    assert len(result.masked_columns[2]) == 0 and torch.equal(result.kept_points[2], clouds[2])


def test_same_seed_same_mask_other_seed_other_mask():
    gen = torch.Generator().manual_seed(0)
    clouds = [torch.cat([(torch.rand(800, 2, generator=gen) - 0.5) * 15, torch.zeros(800, 2)], 1) for _ in range(2)]
    first = BEVColumnMasking(RANGE, ratio=0.7, seed=7)(clouds)
    again = BEVColumnMasking(RANGE, ratio=0.7, seed=7)(clouds)
    other = BEVColumnMasking(RANGE, ratio=0.7, seed=8)(clouds)
    for i in range(2):
        assert torch.equal(first.masked_columns[i], again.masked_columns[i])
        assert torch.equal(first.kept_points[i], again.kept_points[i])
    assert any(not torch.equal(first.masked_columns[i], other.masked_columns[i]) for i in range(2))
    # an explicit generator overrides the internal one and is reproducible
    a = BEVColumnMasking(RANGE, seed=1)(clouds, generator=torch.Generator().manual_seed(5))
    b = BEVColumnMasking(RANGE, seed=2)(clouds, generator=torch.Generator().manual_seed(5))
    assert all(torch.equal(x, y) for x, y in zip(a.masked_columns, b.masked_columns))


def test_ratio_validation_and_empty_cloud():
    masking = BEVColumnMasking(RANGE, ratio=0.7, seed=0)
    with pytest.raises(ValueError):
        masking.ratio = 1.5
    result = masking([torch.zeros(0, 4)])
    assert result.kept_points[0].shape == (0, 4) and int(result.num_occupied[0]) == 0
