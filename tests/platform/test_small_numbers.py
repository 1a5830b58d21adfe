"""Small-number suppression: one or two people are "fewer than 3"; a small group's share is withheld."""

from app.platform import FEWER_THAN, is_small, people_count, percent_of_people, share_of_people


def test_one_or_two_people_read_fewer_than_3():
    assert [people_count(n) for n in range(5)] == ["0", FEWER_THAN, FEWER_THAN, "3", "4"]
    assert FEWER_THAN == "fewer than 3"
    assert [is_small(n) for n in range(4)] == [False, True, True, False]


def test_a_share_of_a_small_group_is_not_given():
    # "SENCO 100% (1 of 1)" is one person's record.
    assert share_of_people(1, 1) == "not shown: fewer than 3 people"
    assert percent_of_people(1, 1) is None
    assert percent_of_people(0, 2) is None
    assert percent_of_people(0, 0) is None
    assert share_of_people(2, 10) == "fewer than 3 of 10"
    assert share_of_people(7, 10) == "7 of 10"
    assert percent_of_people(7, 10) == 70
