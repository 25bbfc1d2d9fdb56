"""The shot reader against a corpus of the project's own shot lines: each line and the plan it must give.

Keys checked (only those given): place (kind), interior, time, weather, people (labels: a name or the
describing noun, in order), count (of the first person), age, build, garments ({garment: colour name} over
everyone), props (kinds), prop_colours ({kind: colour name}), verbs (in order), relation (of the first
action), target (first action's target: 'person:N' or 'prop:KIND'), subject ('person:N', 'prop:KIND',
'none'), part, facing (of the first person), warn (names offered for the bible), held (prop held by N).
"""
import pytest

from engine.cues import CameraCue, MotionCue
from studio.model import BibleEntry, BibleKind
from studio.shotplan import build_plan

BIBLE = (
    BibleEntry("ch_mara", BibleKind.CHARACTER, "Mara", "A courier: long dark coat, wet black hair.", color="#c0504d"),
    BibleEntry("ch_tomas", BibleKind.CHARACTER, "Tomas", "The harbour watchman, sixties, yellow oilskin.",
               color="#e0a526"),
    BibleEntry("pr_parcel", BibleKind.PROP, "The parcel", "A small parcel tied with red string."),
)

ECU, CU, MS = CameraCue(shot_size="ECU"), CameraCue(shot_size="CU"), CameraCue(shot_size="MS")

# (heading, action, options, expected)
CORPUS = [
    # -- the issue's own shots
    ("", "An old keeper climbs the spiral stairs of a lighthouse at dusk, lantern in hand", {},
     dict(place="spiral_stairs", interior=True, time="dusk", people=["keeper"], age="old", props=["lantern"],
          verbs=["climb"], subject="person:0", held={"lantern": 0})),
    ("", "A woman in a red coat walks down a street at night", {},
     dict(place="street", interior=False, time="night", people=["woman"], garments={"coat": "red"}, verbs=["walk"])),
    ("", "A fisherman in a yellow oilskin mends a net on a beach at noon", {},
     dict(place="beach", time="noon", people=["fisherman"], garments={"oilskin": "yellow"}, props=["net"],
          verbs=["mend"], target="prop:net")),
    ("", "Two men in blue suits argue in a kitchen", {},
     dict(place="kitchen", interior=True, people=["man"], count=2, garments={"suit": "blue"}, verbs=["argue"],
          relation="at_each_other")),
    ("", "A green lantern on a table", {"camera": ECU},
     dict(people=[], props=["lantern", "table"], prop_colours={"lantern": "green"}, subject="prop:lantern",
          part="prop", place="neutral")),
    ("EXT. CAR PARK - NIGHT", "", {}, dict(place="car_park", interior=False, time="night", people=[], subject="none")),
    ("EXT. CAR PARK - DAY", "An empty car park at midday.", {}, dict(place="car_park", time="day", people=[])),
    ("", "An empty car park at midday", {}, dict(place="car_park", time="noon", people=[])),
    # -- headings: times that must not be misread
    ("EXT. COVE - MORNING", "Waves roll in.", {}, dict(place="beach", time="morning")),
    ("INT. KNIGHT'S HALL - DAY", "A knight kneels before the king.", {},
     dict(place="hall", interior=True, time="day", people=["knight", "king"], verbs=["kneel"])),
    ("EXT. NIGHTINGALE LANE - DUSK", "", {}, dict(place="street", time="dusk")),
    ("INT. NIGHTCLUB - NIGHT", "Dancers fill the floor.", {}, dict(place="bar", time="night", people=["dancer"])),
    ("EXT. FOREST - DAWN", "Mist hangs between the trees.", {}, dict(place="forest", time="dawn", weather="fog")),
    ("EXT. BEACH - SUNSET", "", {}, dict(place="beach", time="dusk")),
    ("EXT. ROOFTOP - EVENING", "", {}, dict(place="rooftop", time="evening")),
    ("INT. OFFICE - AFTERNOON", "", {}, dict(place="office", interior=True, time="afternoon")),
    ("EXT. FIELD - NOON", "", {}, dict(place="field", time="noon")),
    ("INT. KITCHEN - CONTINUOUS", "", {}, dict(place="kitchen", time="day")),
    ("EXT. DESERT ROAD", "They drive at night.", {}, dict(place="desert", time="night", verbs=["drive"])),
    ("", "A moonlit field.", {}, dict(place="field", time="night")),
    ("", "A man waits in the dark.", {}, dict(time="night", people=["man"], verbs=["wait"])),
    # -- names
    ("EXT. COVE - MORNING", "Drew opens the door and looks at Rey.", {},
     dict(people=["Drew", "Rey"], props=["door"], verbs=["open_door", "look_at"], warn=["Drew", "Rey"])),
    ("INT. VAULT - NIGHT", "Rey cracks the vault door.", {"subject": "Rey"},
     dict(place="bank_vault", time="night", people=["Rey"], subject="person:0", warn=["Rey"], props=["door"])),
    ("EXT. HARBOUR QUAY - NIGHT", "NELL, an old fisherwoman, waves to Tomas.", {},
     dict(place="harbour", people=["Nell", "Tomas"], age="old", verbs=["wave"], target="person:1", warn=["Nell"])),
    ("EXT. HARBOUR QUAY - NIGHT", "Mara stands under a lamp, collar up, and checks her watch.", {},
     dict(people=["Mara"], props=["lamp", "watch"], warn=[])),
    ("EXT. HARBOUR QUAY - NIGHT", "Tomas walks along the quay towards her, his storm lantern swinging.", {},
     dict(people=["Tomas"], garments={"oilskin": "yellow"}, props=["lantern"], verbs=["walk"])),
    ("EXT. HARBOUR QUAY - NIGHT", "Tomas's eyes drop to the parcel. He steps closer.", {"camera": MS},
     dict(people=["Tomas"], props=["parcel"], verbs=["walk"])),
    ("EXT. HARBOUR QUAY - NIGHT", "Under her coat, her hand tightens on an oilcloth parcel tied with red string.",
     {"camera": ECU, "title": "The parcel", "subject": "Mara"},
     dict(people=["Mara"], props=["parcel"], subject="prop:parcel", part="prop")),
    ("EXT. HARBOUR QUAY - NIGHT", "Mara turns to face him, rain running off her collar.", {"subject": "Mara"},
     dict(people=["Mara"], verbs=["turn"], weather="rain")),
    ("", "Drew sits by the window.", {}, dict(people=["Drew"], verbs=["sit"], props=["window"])),
    ("", "Ellen reads a letter in bed.", {}, dict(people=["Ellen"], verbs=["read"], props=["letter", "bed"],
                                                   target="prop:letter")),
    ("", "Sam and Rey argue at each other across the table.", {},
     dict(people=["Sam", "Rey"], verbs=["argue"], relation="at_each_other", target="person:1")),
    ("", "KAREN points at the map.", {}, dict(people=["Karen"], verbs=["point"], target="prop:map")),
    ("", "Jonah walks into London.", {}, dict(people=["Jonah"], verbs=["walk"])),
    ("", "Mara walks away from camera.", {"bible": True},
     dict(people=["Mara"], verbs=["walk"], relation="away_from", facing="away", warn=[])),
    ("", "We see Mara from behind as she waits.", {"bible": True}, dict(people=["Mara"], facing="away")),
    ("", "Tomas stands with his back to camera.", {"bible": True}, dict(people=["Tomas"], facing="away")),
    ("", "", {"subject": "Mara", "bible": True}, dict(people=["Mara"], subject="person:0", warn=[])),
    ("", "", {"dialogue": "NELL: The boats are late.\nTOMAS: They always are."},
     dict(people=["Nell", "Tomas"], warn=["Nell", "Tomas"])),
    ("", "", {"dialogue": "MARA: Rey, wait for me!", "bible": True}, dict(people=["Mara", "Rey"], warn=["Rey"])),
    # -- described people: counts, ages, builds
    ("", "Three soldiers march across the square.", {},
     dict(place="square", people=["soldier"], count=3, verbs=["walk"], relation="across")),
    ("", "A crowd gathers in the market.", {}, dict(place="square", people=["crowd"], count=12)),
    ("", "A girl runs across the field.", {}, dict(place="field", people=["girl"], age="child", verbs=["run"])),
    ("", "Two boys chase a dog through the park.", {},
     dict(place="park", people=["boy"], count=2, verbs=["run"], props=["dog"])),
    ("", "A tall thin man in a grey hat waits on the platform.", {},
     dict(place="station", people=["man"], build="slim", garments={"hat": "grey"}, verbs=["wait"])),
    ("", "A burly guard blocks the corridor.", {}, dict(place="corridor", people=["guard"], build="broad")),
    ("", "An elderly woman knits by the fire.", {}, dict(people=["woman"], age="old", verbs=["mend"])),
    ("", "A young couple dance in the ballroom.", {},
     dict(place="hall", people=["couple"], count=2, age="young", verbs=["dance"])),
    ("", "People hurry along the pavement in the rain.", {},
     dict(place="street", people=["people"], count=3, verbs=["run"], weather="rain")),
    ("", "A nurse in a white uniform checks the drip in the hospital ward.", {},
     dict(place="hospital_room", people=["nurse"], garments={"uniform": "white"})),
    ("", "Two women in black dresses talk in the church.", {},
     dict(place="church", interior=True, people=["woman"], count=2, garments={"dress": "black"}, verbs=["talk"],
          relation="at_each_other")),
    ("", "A child in a yellow raincoat jumps in puddles.", {}, dict(people=["child"], garments={"raincoat": "yellow"})),
    ("", "A man in a navy jacket and brown boots climbs the mountain road.", {},
     dict(place="mountain_road", people=["man"], garments={"jacket": "navy", "boots": "brown"}, verbs=["climb"])),
    ("", "A stranger in a dark blue coat watches from the alley.", {},
     dict(place="alley", people=["stranger"], garments={"coat": "dark blue"}, verbs=["look_at"])),
    ("", "A teacher writes on the blackboard in the classroom.", {},
     dict(place="classroom", people=["teacher"], verbs=["write"])),
    # -- places
    ("INT. LIVING ROOM - NIGHT", "A man reads on the sofa.", {}, dict(place="living_room", interior=True,
                                                                     verbs=["read"])),
    ("INT. BEDROOM - MORNING", "She sleeps.", {}, dict(place="bedroom", time="morning", verbs=["sleep"])),
    ("INT. BATHROOM - NIGHT", "", {}, dict(place="bathroom")),
    ("INT. BAR - NIGHT", "The barman pours a drink.", {}, dict(place="bar", people=["barman"])),
    ("INT. DINER - DAY", "A waitress carries two cups.", {},
     dict(place="diner", people=["waitress"], verbs=["carry"], props=["cup"], held={"cup": 0})),
    ("INT. SHOP - DAY", "A clerk holds up a red umbrella.", {},
     dict(place="shop", people=["clerk"], verbs=["hold"], prop_colours={"umbrella": "red"})),
    ("INT. STAIRWELL - NIGHT", "He descends the stairs.", {}, dict(place="stairwell", verbs=["descend"])),
    ("INT. LIGHTHOUSE - NIGHT", "The lamp turns.", {}, dict(place="lighthouse", interior=True)),
    ("EXT. HARBOUR - DAWN", "Boats rock at their moorings.", {}, dict(place="harbour", time="dawn")),
    ("EXT. BOAT DECK - DAY", "A sailor coils a rope.", {}, dict(place="boat_deck", people=["sailor"], props=["rope"])),
    ("", "A captain stands on the deck of a trawler in a storm.", {},
     dict(place="boat_deck", weather="storm", people=["captain"])),
    ("", "Snow falls on a mountain pass.", {}, dict(place="mountain_road", weather="snow")),
    ("INT. CAR - NIGHT", "She drives in silence.", {}, dict(place="car_interior", interior=True, verbs=["drive"])),
    ("", "A man sits in the car, waiting.", {}, dict(place="car_interior", people=["man"], verbs=["sit", "wait"])),
    ("", "A man walks to his car.", {}, dict(place="neutral", props=["car"], verbs=["walk"], target="prop:car")),
    ("INT. TRAIN CARRIAGE - DAY", "Passengers read newspapers.", {},
     dict(place="train_carriage", people=["passenger"], count=3, verbs=["read"], props=["newspaper"])),
    ("INT. WAREHOUSE - NIGHT", "Two thieves open a crate.", {},
     dict(place="warehouse", people=["thief"], count=2, props=["crate"])),
    ("INT. BANK VAULT - NIGHT", "", {}, dict(place="bank_vault", interior=True)),
    ("EXT. TRAIN STATION - DAY", "", {}, dict(place="station")),
    ("EXT. MAIN STREET - NIGHT", "Rain lashes the road.", {}, dict(place="street", weather="rain")),
    ("EXT. SOMEWHERE - DAY", "", {}, dict(place="neutral", interior=False)),
    ("INT. THE VOID - NIGHT", "", {}, dict(place="neutral", interior=True)),
    ("EXT. WOODS - NIGHT", "Wind in the trees.", {}, dict(place="forest", weather="wind")),
    ("", "They walk along a winding road through the fog.", {}, dict(place="street", weather="fog")),
    ("", "Inside the old barn, a farmer mends a fence.", {},
     dict(place="warehouse", interior=True, people=["farmer"], verbs=["mend"])),
    ("", "A prisoner paces his cell.", {}, dict(place="prison_cell", verbs=["walk"])),
    ("INT. LIGHTHOUSE STAIRS - DUSK", "", {}, dict(place="stairwell", time="dusk")),
    ("EXT. HARBOUR STREET - DAY", "", {}, dict(place="harbour")),
    ("", "Mara, a tired courier in a grey coat, waits.", {"bible": True},
     dict(people=["Mara"], garments={"coat": "grey"}, verbs=["wait"], warn=[])),
    ("", "Anna in a red coat walks past Ben in a blue jacket. He waits.", {},
     dict(people=["Anna", "Ben"], garments={"coat": "red", "jacket": "blue"}, verbs=["walk", "wait"])),
    ("EXT. HARBOUR QUAY - NIGHT", "Far along the quay a lone figure waits.", {"subject": "Mara", "bible": True},
     dict(people=["Mara"], verbs=["wait"], subject="person:0")),
    ("EXT. HARBOUR QUAY - NIGHT", "A figure waits for Mara.", {"bible": True},
     dict(people=["Mara", "figure"], verbs=["wait"], subject="person:1")),
    # -- verbs and relations
    ("", "A man stands up and waves.", {}, dict(verbs=["stand_up", "wave"])),
    ("", "A woman looks up at the sky.", {}, dict(verbs=["look_up"])),
    ("", "He looks down at the letter.", {}, dict(verbs=["look_down"], props=["letter"])),
    ("", "A boy falls off his bicycle.", {}, dict(people=["boy"], verbs=["fall"], props=["bicycle"])),
    ("", "A soldier kneels beside the wounded man.", {},
     dict(people=["soldier", "man"], verbs=["kneel"], relation="beside", target="person:1")),
    ("", "A woman walks towards the man.", {}, dict(verbs=["walk"], relation="towards", target="person:1")),
    ("EXT. HARBOUR QUAY - NIGHT", "Mara stands under a lamp, collar up, and checks her watch.", {"bible": True},
     dict(people=["Mara"], props=["lamp", "watch"], relation="under", target="prop:lamp")),
    ("", "A boy waits beneath the street lamp.", {}, dict(verbs=["wait"], relation="under", target="prop:lamp")),
    # an animal is a prop in the plan: it does not act, and its verb is nobody else's
    ("", "A dog runs behind the girl.", {}, dict(people=["girl"], props=["dog"], verbs=[])),
    ("", "The lantern smashes on the stones.", {}, dict(people=[], props=["lantern"], verbs=[])),
    ("", "She sleeps in the bedroom.", {}, dict(place="bedroom", people=["woman"], verbs=["sleep"])),
    ("", "A man in a blue shirt carries a suitcase across the street.", {},
     dict(place="street", garments={"shirt": "blue"}, verbs=["carry"], props=["suitcase"], held={"suitcase": 0})),
    ("", "The detective opens the door.", {}, dict(people=["detective"], verbs=["open_door"], target="prop:door")),
    ("", "A man walks left across the frame.", {}, dict(verbs=["walk"], facing="left")),
    ("", "The courier sprints away down the alley.", {}, dict(place="alley", verbs=["run"], facing="away")),
    ("", "An old man sits on a bench and feeds the birds.", {}, dict(people=["man"], age="old", verbs=["sit"],
                                                                     props=["bench"])),
    ("", "He signs the letter.", {}, dict(verbs=["write"], props=["letter"])),
    ("", "She drinks from a white cup.", {}, dict(verbs=["eat"], prop_colours={"cup": "white"})),
    ("", "Two men hug at the station.", {}, dict(place="station", verbs=["embrace"], relation="at_each_other")),
    ("", "The doctor hides behind the curtain.", {}, dict(people=["doctor"], verbs=["hide"])),
    ("", "A woman in a green dress reads a book, still.", {}, dict(garments={"dress": "green"}, verbs=["read"],
                                                                    props=["book"])),
    ("", "A phone rings on the desk.", {"camera": CU}, dict(people=[], props=["phone", "desk"],
                                                            subject="prop:phone")),
    ("", "Her eyes widen.", {"camera": ECU, "subject": "Mara", "bible": True},
     dict(people=["Mara"], subject="person:0", part="eyes")),
    ("", "His hand grips the gun.", {"camera": ECU, "subject": "Tomas", "bible": True},
     dict(subject="person:0", part="hand", props=["gun"])),
    ("", "Mara's face in the lamp light.", {"camera": CU, "bible": True}, dict(subject="person:0", part="face")),
    ("", "Insert: a brass key on the table.", {"camera": MS}, dict(props=["key", "table"], subject="prop:key")),
    ("", "A figure walks through the rain, a black umbrella in hand.", {},
     dict(people=["figure"], prop_colours={"umbrella": "black"}, held={"umbrella": 0}, weather="rain")),
]


def _label(p):
    return p.name or p.description


def _check(plan, expected):
    got = {}
    if "place" in expected:
        got["place"] = plan.place.kind
    if "interior" in expected:
        got["interior"] = plan.place.interior
    if "time" in expected:
        got["time"] = plan.time_of_day
    if "weather" in expected:
        got["weather"] = plan.weather
    if "people" in expected:
        got["people"] = [_label(p) for p in plan.people]
    if "count" in expected:
        got["count"] = plan.people[0].count
    if "age" in expected:
        got["age"] = plan.people[0].age
    if "build" in expected:
        got["build"] = plan.people[0].build
    if "garments" in expected:
        got["garments"] = {g.kind: g.colour_name for p in plan.people for g in p.garments
                           if g.kind in expected["garments"]}
    if "props" in expected:
        got["props"] = [p.kind for p in plan.props if p.kind in expected["props"]] \
            if expected["props"] else [p.kind for p in plan.props]
    if "prop_colours" in expected:
        got["prop_colours"] = {p.kind: p.colour_name for p in plan.props if p.kind in expected["prop_colours"]}
    if "verbs" in expected:
        got["verbs"] = [a.verb for a in plan.actions][:len(expected["verbs"])] if expected["verbs"] else \
            [a.verb for a in plan.actions]
    if "relation" in expected:
        got["relation"] = plan.actions[0].relation if plan.actions else None
    if "target" in expected:
        a = plan.actions[0] if plan.actions else None
        got["target"] = None if a is None else (f"person:{a.target_person}" if a.target_person is not None else
                                                (f"prop:{plan.props[a.target_prop].kind}"
                                                 if a.target_prop is not None else None))
    if "subject" in expected:
        s = plan.subject
        got["subject"] = "none" if s.kind == "none" else (f"person:{s.index}" if s.kind == "person" else
                                                          f"prop:{plan.props[s.index].kind}")
    if "part" in expected:
        got["part"] = plan.subject.part
    if "facing" in expected:
        got["facing"] = plan.people[0].facing
    if "warn" in expected:
        got["warn"] = [w.name for w in plan.warnings if w.kind == "not_in_bible"]
    if "held" in expected:
        got["held"] = {p.kind: p.held_by for p in plan.props if p.kind in expected["held"]}
    want = {k: (v if k != "people" else list(v)) for k, v in expected.items()}
    assert got == want


def test_the_corpus_is_big_enough():
    assert len(CORPUS) >= 80


@pytest.mark.parametrize("heading, action, options, expected", CORPUS,
                         ids=[f"{i:02d}-{(a or h or o.get('dialogue', ''))[:30]}" for i, (h, a, o, _e) in
                              enumerate(CORPUS)])
def test_shot_line(heading, action, options, expected):
    options = dict(options)
    bible = BIBLE if options.pop("bible", False) or "Mara" in action or "Tomas" in action else ()
    plan = build_plan(heading, action, bible=bible, **options)
    _check(plan, expected)


def test_motion_cue_drives_actions_and_direction():
    plan = build_plan("EXT. QUAY - NIGHT", "", motion=(MotionCue("Tomas", "walks along the quay", 0.5, "left"),),
                      bible=BIBLE)
    assert [p.name for p in plan.people] == ["Tomas"] and plan.subject.kind == "person"
    assert plan.actions[0].verb == "walk" and plan.actions[0].direction == "left"


def test_bible_description_gives_garment_colour_and_age():
    plan = build_plan("", "Tomas waits.", bible=BIBLE)
    tomas = plan.people[0]
    assert tomas.in_bible and tomas.age == "old" and tomas.colour == "#e0a526"
    assert tomas.garments[0].kind == "oilskin" and tomas.garments[0].colour == "#ffff00"
    assert tomas.main_colour("top") == "#ffff00"
