"""engine.plan: the frozen shot plan round-trips through JSON, validates, and rides on the request."""
import json

import pytest

from engine.jobs import GenerationRequest
from engine.plan import (PLACE_KIND_NAMES, Action, Garment, Person, Place, PlanError, PlanWarning, Prop,
                         ShotPlan, Subject, heading_time, words_time)


def sample_plan() -> ShotPlan:
    return ShotPlan(
        place=Place("spiral_stairs", True, "LIGHTHOUSE STAIRS", False), time_of_day="dusk", weather="wind",
        people=(Person(description="keeper", age="old", garments=(Garment("oilskin", "#ffd700", "yellow"),),
                       is_subject=True),
                Person(name="Rey", in_bible=False, facing="away")),
        props=(Prop("lantern", "#008000", "green", held_by=0),),
        actions=(Action("climb", 0, target_prop=0, relation="", direction="up", words="climbs the spiral stairs"),
                 Action("talk", 1, target_person=0, relation="at_each_other")),
        subject=Subject("person", 0, "face"),
        warnings=(PlanWarning("not_in_bible", "Rey is not in the bible", "Rey"),))


def test_round_trip_through_json():
    plan = sample_plan()
    again = ShotPlan.from_dict(json.loads(json.dumps(plan.to_dict())))
    assert again == plan
    assert again.light == "dusk" and again.subject_person.age == "old" and again.people[1].from_behind
    assert "keeper" in plan.summary() and "spiral stairs" in plan.summary()


def test_request_carries_the_plan():
    req = GenerationRequest(job_id="j1", output_dir="/tmp/x", plan=sample_plan())
    back = GenerationRequest.from_dict(json.loads(json.dumps(req.to_dict())))
    assert back.plan == req.plan
    assert GenerationRequest.from_dict(GenerationRequest(job_id="j2", output_dir="/x").to_dict()).plan is None


def test_vocabulary_is_wide_and_values_are_checked():
    required = {"street", "alley", "car_park", "square", "kitchen", "living_room", "bedroom", "bathroom", "office",
                "bar", "diner", "shop", "corridor", "stairwell", "spiral_stairs", "lighthouse", "harbour", "beach",
                "boat_deck", "forest", "field", "desert", "mountain_road", "rooftop", "car_interior",
                "train_carriage", "church", "warehouse", "classroom", "hospital_room", "bank_vault", "neutral"}
    assert required <= set(PLACE_KIND_NAMES) and len(PLACE_KIND_NAMES) >= 31
    assert Place("neutral").neutral and not Place("kitchen", True).neutral
    with pytest.raises(PlanError, match="place kind"):
        Place("moonbase")
    with pytest.raises(PlanError, match="colour"):
        Garment("coat", "red")
    with pytest.raises(PlanError, match="verb"):
        Action("teleport")
    with pytest.raises(PlanError, match="subject"):
        ShotPlan(subject=Subject("prop", 0))
    with pytest.raises(PlanError, match="unknown field"):
        ShotPlan.from_dict({"place": {"kind": "street", "colour": 1}})


def test_time_words_are_whole_words():
    assert heading_time("INT. KNIGHT'S HALL - DAY") == "day"
    assert heading_time("EXT. COVE - MORNING") == "morning"
    assert heading_time("EXT. COVE") is None
    assert words_time("a knight rides out") is None
    assert words_time("they meet at night") == "night"
    assert words_time("in the dark corridor") == "night"
