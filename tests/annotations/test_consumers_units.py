"""The consumers' pure helpers: parsing a drag, limiting its rate."""

from annotations.consumers import RateLimit, drag_parse


def test_drag_parse_keeps_only_a_well_formed_drag():
    assert drag_parse({"box": None, "x_min": 0, "y_min": 0, "x_max": 1, "y_max": 2, "label": 3, "extra": "x"}) == {
        "box": None,
        "x_min": 0.0,
        "y_min": 0.0,
        "x_max": 1.0,
        "y_max": 2.0,
        "label": 3,
    }
    assert drag_parse({"box": 1, "x_min": float("nan"), "y_min": 0, "x_max": 1, "y_max": 1}) is None
    assert drag_parse({"box": True, "x_min": 0, "y_min": 0, "x_max": 1, "y_max": 1}) is None
    assert drag_parse({"box": 1, "x_min": 0, "y_min": 0, "x_max": 1}) is None
    assert drag_parse({"box": 2**64, "x_min": 0, "y_min": 0, "x_max": 1, "y_max": 1}) is None


def test_the_rate_limit_allows_a_burst_then_refills_with_time():
    now = [100.0]
    limit = RateLimit(4, clock=lambda: now[0])
    assert [limit.allow() for _ in range(6)] == [True] * 4 + [False] * 2
    now[0] += 0.5  # two tokens back
    assert [limit.allow() for _ in range(3)] == [True, True, False]
