"""Prompts are atomic nouns: split, cleaned, checked, and named when refused."""

import pytest

from annotations.errors import InvalidInput
from inference.prompts import MAX_PROMPTS, prompts_default, prompts_parse
from tests.factories import LabelFactory


def test_a_comma_separated_string_becomes_separate_clean_prompts():
    assert prompts_parse("Person,  car ,traffic   light", defaults=[]) == ["person", "car", "traffic light"]


def test_a_list_is_split_too_and_duplicates_are_dropped_in_order():
    assert prompts_parse(["person, car", "Car", "x-ray"], defaults=[]) == ["person", "car", "x-ray"]


def test_nothing_given_means_the_defaults():
    assert prompts_parse(None, defaults=["person"]) == ["person"]
    assert prompts_parse("", defaults=["dog"]) == ["dog"]


@pytest.mark.parametrize(
    "raw, named",
    [
        ("person, car2", "car2"),
        ("person, ", "empty"),
        ("a" * 33, "a" * 33),
        ("cat; drop table", "cat; drop table"),
        ("-dash", "-dash"),
    ],
)
def test_an_invalid_prompt_is_refused_naming_it(raw, named):
    with pytest.raises(InvalidInput) as caught:
        prompts_parse(raw, defaults=[])
    assert named in caught.value.detail.lower()


def test_more_than_twenty_prompts_are_refused():
    words = [chr(97 + i // 26) + chr(97 + i % 26) for i in range(MAX_PROMPTS + 1)]
    with pytest.raises(InvalidInput, match="At most 20"):
        prompts_parse(words, defaults=[])
    assert len(prompts_parse(words[:MAX_PROMPTS], defaults=[])) == MAX_PROMPTS


def test_non_text_prompts_are_refused():
    with pytest.raises(InvalidInput):
        prompts_parse([1, 2], defaults=[])
    with pytest.raises(InvalidInput):
        prompts_parse({"a": 1}, defaults=[])


def test_no_prompts_and_no_usable_label_is_refused():
    with pytest.raises(InvalidInput, match="none were sent"):
        prompts_parse(None, defaults=[])


@pytest.mark.django_db
def test_defaults_come_from_label_prompts_skipping_unusable_ones(project):
    labels = [
        LabelFactory(project=project, name="Person"),
        LabelFactory(project=project, name="vehicle", prompt="car"),
        LabelFactory(project=project, name="car 2"),
    ]
    assert prompts_default(labels) == ["person", "car"]
