"""The shot plan: what a shot shows, resolved from the script's words once, by the studio.

The studio (`studio.shotplan`) reads the scene heading, the action, the dialogue, the motion cue, the
subject and the bible and writes a `ShotPlan`; the engine receives it inside the GenerationRequest and
renders it without ever re-reading the heading. Every type is frozen, validates on construction
(`PlanError`, a CueError whose message is safe to show) and round-trips through plain JSON.

This module is also the one place the vocabularies live: location kinds (with the words that name
them and the set pieces that dress them), times of day, weather, garments (with the body region a
renderer colours), prop kinds, verbs (with the words that mean them, as lemmas), relations, ages,
builds, facings and subject parts. The studio's reader and every renderer read these tables.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from typing import Any, Mapping

from .cues import CueError


class PlanError(CueError):
    """An impossible plan value: the message names the field and the allowed values."""


PLAN_VERSION = 1


@dataclass(frozen=True)
class PlaceKind:
    name: str                      # 'spiral_stairs'
    interior: bool                 # the default when neither INT./EXT. nor the words say
    words: tuple[str, ...]         # lemmas or phrases that name it ('car park', 'parking lot')
    pieces: tuple[str, ...] = ()   # set pieces that dress it (renderers map them to geometry)

    @property
    def label(self) -> str:
        return self.name.replace("_", " ")


# Order matters only for ties: a longer phrase wins over a shorter one anywhere in the text
# ('car park' over 'car', 'spiral stairs' over 'stairs'), then the later word in the heading.
PLACE_KINDS: tuple[PlaceKind, ...] = (
    PlaceKind("street", False, ("street", "road", "avenue", "boulevard", "lane", "sidewalk", "pavement", "crossroads",
                                "town", "city", "downtown", "highway"),
              ("asphalt", "kerb", "facade", "street_lamp", "parked_car", "bin")),
    PlaceKind("alley", False, ("alley", "alleyway", "backstreet", "back street", "passage"),
              ("brick_wall", "fire_escape", "dumpster", "bare_bulb", "puddle")),
    PlaceKind("car_park", False, ("car park", "parking lot", "parking garage", "parking", "garage"),
              ("concrete_floor", "bay_lines", "pillar", "parked_car", "strip_light")),
    PlaceKind("square", False, ("square", "plaza", "piazza", "market", "marketplace", "courtyard"),
              ("setts", "fountain", "bench", "street_lamp", "stall")),
    PlaceKind("kitchen", True, ("kitchen", "scullery", "galley"),
              ("counter", "wall_cabinet", "fridge", "stove", "sink", "table", "ceiling_lamp")),
    PlaceKind("living_room", True, ("living room", "lounge", "sitting room", "parlour", "parlor", "den", "flat",
                                    "apartment", "house", "home", "cottage", "cabin"),
              ("sofa", "rug", "bookshelf", "armchair", "floor_lamp", "window")),
    PlaceKind("bedroom", True, ("bedroom", "bedsit", "dormitory", "hotel room", "nursery"),
              ("bed", "bedside_lamp", "wardrobe", "rug", "window")),
    PlaceKind("bathroom", True, ("bathroom", "toilet", "restroom", "washroom", "shower"),
              ("tiles", "bathtub", "sink", "mirror", "strip_light")),
    PlaceKind("office", True, ("office", "study", "newsroom", "headquarters", "precinct", "studio"),
              ("desk", "screen", "filing_cabinet", "office_chair", "ceiling_panel")),
    PlaceKind("bar", True, ("bar", "pub", "tavern", "saloon", "club", "nightclub", "inn"),
              ("bar_counter", "stool", "back_bar", "pendant_lamp", "booth")),
    PlaceKind("diner", True, ("diner", "cafe", "café", "restaurant", "canteen", "cafeteria", "coffee shop"),
              ("booth", "counter", "stool", "menu_board", "pendant_lamp")),
    PlaceKind("shop", True, ("shop", "store", "boutique", "pharmacy", "bakery", "bookshop", "supermarket",
                             "pawnshop", "kiosk"),
              ("shelf", "till_counter", "shop_window", "strip_light")),
    PlaceKind("corridor", True, ("corridor", "hallway", "landing", "lobby", "foyer", "tunnel"),
              ("doors", "ceiling_lamp", "runner_rug", "exit_sign")),
    PlaceKind("stairwell", True, ("stairwell", "staircase", "stairs", "stair", "steps", "stairway"),
              ("straight_flight", "banister", "landing", "wall_lamp")),
    PlaceKind("spiral_stairs", True, ("spiral stairs", "spiral staircase", "spiral stair", "winding stairs",
                                      "winding staircase"),
              ("spiral_steps", "central_column", "banister", "slit_window", "wall_lamp")),
    PlaceKind("lighthouse", False, ("lighthouse", "lamp room", "lantern room", "beacon"),
              ("tower", "gallery_rail", "lamp_lens", "rocks", "sea")),
    PlaceKind("harbour", False, ("harbour", "harbor", "quay", "quayside", "dock", "dockside", "pier", "port",
                                 "wharf", "marina", "jetty", "waterfront", "boatyard"),
              ("setts", "coping", "water", "bollard", "mooring_rope", "moored_boat", "crate", "quay_lamp")),
    PlaceKind("beach", False, ("beach", "shore", "seashore", "seaside", "coast", "sand", "bay", "cove"),
              ("sand", "foam_line", "sea", "driftwood", "dune_grass")),
    PlaceKind("boat_deck", False, ("deck", "boat", "ship", "ferry", "trawler", "yacht", "vessel"),
              ("deck_planks", "rail", "mast", "wheelhouse", "rope_coil", "sea")),
    PlaceKind("forest", False, ("forest", "wood", "woods", "woodland", "jungle", "grove", "clearing", "trail",
                                "orchard"),
              ("tree", "bush", "rock", "log", "leaf_litter")),
    PlaceKind("park", False, ("park", "garden", "gardens", "lawn", "playground", "cemetery", "graveyard"),
              ("grass", "gravel_path", "bench", "park_lamp", "tree")),
    PlaceKind("field", False, ("field", "meadow", "farm", "farmyard", "prairie", "pasture", "countryside", "moor"),
              ("furrows", "fence", "hay_bale", "lone_tree", "farmhouse")),
    PlaceKind("desert", False, ("desert", "dune", "dunes", "wasteland", "canyon", "badlands"),
              ("sand_ripples", "dune", "rock", "scrub")),
    PlaceKind("mountain_road", False, ("mountain road", "mountain pass", "pass", "mountain", "cliff road",
                                       "hairpin", "ridge", "hillside", "hill"),
              ("winding_road", "guard_rail", "rock_face", "drop", "peaks")),
    PlaceKind("rooftop", False, ("rooftop", "roof", "rooftops", "terrace"),
              ("roof_deck", "parapet", "vent", "water_tank", "skyline")),
    PlaceKind("car_interior", True, ("car interior", "front seat", "back seat", "driver's seat", "taxi", "cab",
                                     "car", "van", "truck"),
              ("dashboard", "steering_wheel", "seats", "windscreen", "passing_lights")),
    PlaceKind("train_carriage", True, ("train carriage", "carriage", "train", "tram", "subway car", "railcar",
                                       "compartment", "bus"),
              ("seat_rows", "luggage_rack", "windows", "strip_light", "grab_pole")),
    PlaceKind("station", False, ("station", "platform", "railway station", "train station", "bus stop", "depot"),
              ("platform_edge", "rails", "canopy", "bench", "timetable_board")),
    PlaceKind("church", True, ("church", "chapel", "cathedral", "abbey", "temple", "mosque", "synagogue"),
              ("pews", "aisle", "altar", "stained_window", "candles", "pillar")),
    PlaceKind("warehouse", True, ("warehouse", "factory", "workshop", "hangar", "mill", "depot", "barn"),
              ("pallet_racks", "crate", "forklift", "high_windows", "hanging_lamp")),
    PlaceKind("classroom", True, ("classroom", "school", "lecture hall", "schoolroom", "library"),
              ("desks", "blackboard", "teacher_desk", "windows", "ceiling_panel")),
    PlaceKind("hospital_room", True, ("hospital room", "hospital", "ward", "clinic", "infirmary",
                                      "operating theatre", "surgery"),
              ("hospital_bed", "monitor", "curtain_rail", "drip_stand", "strip_light")),
    PlaceKind("bank_vault", True, ("vault", "bank vault", "strongroom", "safe room", "bank"),
              ("vault_door", "deposit_boxes", "steel_walls", "strip_light")),
    PlaceKind("hall", True, ("hall", "great hall", "banquet hall", "ballroom", "throne room", "castle", "palace",
                             "manor", "mansion"),
              ("long_table", "banners", "fireplace", "chandelier", "pillar")),
    PlaceKind("prison_cell", True, ("cell", "prison", "jail", "gaol", "dungeon"),
              ("bars", "bunk", "bare_bulb", "concrete_walls")),
    PlaceKind("neutral", False, (), ("floor", "mark_lamp")),
)
PLACE_KIND_NAMES: tuple[str, ...] = tuple(k.name for k in PLACE_KINDS)
_PLACE_BY_NAME = {k.name: k for k in PLACE_KINDS}


def place_kind(name: str) -> PlaceKind:
    try:
        return _PLACE_BY_NAME[name]
    except KeyError:
        raise PlanError(f"place kind: {name!r} is not one of {', '.join(PLACE_KIND_NAMES)}") from None


# Times of day: name -> (the words that say it, the four-step light the old renderer knows).
TIMES: dict[str, tuple[tuple[str, ...], str]] = {
    "dawn": (("dawn", "daybreak", "first light", "sunrise", "break of day"), "dawn"),
    "morning": (("morning",), "day"),
    "day": (("day", "daytime", "daylight", "continuous"), "day"),
    "noon": (("noon", "midday", "mid-day", "lunchtime", "high noon"), "day"),
    "afternoon": (("afternoon",), "day"),
    "dusk": (("dusk", "sunset", "sundown", "twilight", "golden hour", "magic hour"), "dusk"),
    "evening": (("evening", "nightfall"), "dusk"),
    "night": (("night", "nighttime", "midnight", "at night", "in the dark", "moonlit", "moonlight",
               "darkness", "tonight", "after dark"), "night"),
}
TIME_NAMES: tuple[str, ...] = tuple(TIMES)



def words_time(text: str) -> str | None:
    """The time of day said in `text` by whole words or phrases ('a knight' says no night), or None.
    The last mention wins ('dawn turns to morning' is morning). Lower-case plain text expected."""
    best: tuple[int, str] | None = None
    for name, (words, _light) in TIMES.items():
        for w in words:
            for m in re.finditer(r"(?<![\w'])" + re.escape(w) + r"(?![\w'])", text):
                if best is None or m.start() > best[0]:
                    best = (m.start(), name)
    return best[1] if best else None


def heading_time(heading: str) -> str | None:
    """The time of a scene heading's last ' - ' part ('KNIGHT'S HALL - DAY' is day), or None."""
    parts = [p.strip() for p in re.split(r"\s+[-–—]+\s+", heading or "") if p.strip()]
    if len(parts) < 2:
        return None
    return words_time(parts[-1].lower())


WEATHERS: dict[str, tuple[str, ...]] = {
    "clear": (),
    "rain": ("rain", "drizzle", "downpour", "shower", "rainy", "wet"),
    "snow": ("snow", "snowfall", "blizzard", "sleet", "snowy"),
    "fog": ("fog", "mist", "haze", "foggy", "misty"),
    "wind": ("wind", "gale", "windy", "gust", "breeze"),
    "storm": ("storm", "thunder", "lightning", "stormy", "thunderstorm", "tempest"),
}
WEATHER_NAMES: tuple[str, ...] = tuple(WEATHERS)

# Garment -> the body region a renderer colours with it.
GARMENT_REGIONS = ("top", "bottom", "full", "head", "feet", "hands")
GARMENTS: dict[str, str] = {
    "coat": "full", "overcoat": "full", "raincoat": "full", "trench coat": "full", "oilskin": "full",
    "cloak": "full", "cape": "full", "robe": "full", "gown": "full", "dress": "full", "habit": "full",
    "overalls": "full", "uniform": "full", "suit": "full", "armour": "full", "armor": "full",
    "jacket": "top", "shirt": "top", "blouse": "top", "sweater": "top", "jumper": "top", "hoodie": "top",
    "t-shirt": "top", "vest": "top", "waistcoat": "top", "cardigan": "top", "apron": "top", "tunic": "top",
    "clothes": "full", "outfit": "full", "parka": "full", "anorak": "top", "blazer": "top", "top": "top",
    "trousers": "bottom", "jeans": "bottom", "skirt": "bottom", "shorts": "bottom", "pants": "bottom",
    "hat": "head", "cap": "head", "helmet": "head", "hood": "head", "beret": "head", "scarf": "head",
    "boots": "feet", "shoes": "feet", "sneakers": "feet", "gloves": "hands", "mittens": "hands",
}
# Nouns that describe people -> (age, how many when the noun is plural with no number word).
PERSON_NOUNS: dict[str, tuple[str, int]] = {
    "man": ("adult", 2), "woman": ("adult", 2), "person": ("adult", 2), "people": ("adult", 3),
    "girl": ("child", 2), "boy": ("child", 2), "child": ("child", 2), "kid": ("child", 2), "baby": ("child", 1),
    "teenager": ("teen", 2), "teen": ("teen", 2), "youth": ("young", 2), "lady": ("adult", 2),
    "gentleman": ("adult", 2), "fisherman": ("adult", 2), "fisherwoman": ("adult", 2), "keeper": ("adult", 2),
    "watchman": ("adult", 2), "soldier": ("adult", 3), "knight": ("adult", 2), "guard": ("adult", 2),
    "officer": ("adult", 2), "policeman": ("adult", 2), "policewoman": ("adult", 2), "cop": ("adult", 2),
    "detective": ("adult", 2), "nurse": ("adult", 2), "doctor": ("adult", 2), "driver": ("adult", 2),
    "waiter": ("adult", 2), "waitress": ("adult", 2), "barman": ("adult", 2), "bartender": ("adult", 2),
    "priest": ("adult", 2), "nun": ("adult", 2), "sailor": ("adult", 3), "captain": ("adult", 1),
    "courier": ("adult", 2), "farmer": ("adult", 2), "worker": ("adult", 3), "student": ("young", 3),
    "teacher": ("adult", 2), "stranger": ("adult", 2), "figure": ("adult", 2), "couple": ("adult", 2),
    "family": ("adult", 4), "crowd": ("adult", 12), "group": ("adult", 5), "gang": ("adult", 4),
    "thief": ("adult", 2), "robber": ("adult", 2), "clerk": ("adult", 2), "customer": ("adult", 3),
    "passenger": ("adult", 3), "traveller": ("adult", 2), "musician": ("adult", 2), "dancer": ("adult", 2),
    "king": ("adult", 1), "queen": ("adult", 1), "witch": ("adult", 2), "boxer": ("adult", 2),
    "mother": ("adult", 1), "father": ("adult", 1), "grandmother": ("old", 1), "grandfather": ("old", 1),
    "prisoner": ("adult", 2), "villager": ("adult", 3), "agent": ("adult", 2), "pilot": ("adult", 1),
    "pilgrim": ("adult", 3), "monk": ("adult", 3), "hiker": ("adult", 2), "runner": ("adult", 2),
}
GROUP_NOUNS: tuple[str, ...] = ("crowd", "group", "gang", "family", "couple", "people")

# Prop kinds a shot can name and frame (an insert or ECU of the prop frames the prop).
PROP_KINDS: tuple[str, ...] = (
    "lantern", "lamp", "candle", "torch", "letter", "parcel", "package", "envelope", "book", "newspaper", "map",
    "photo", "table", "chair", "bench", "bed", "desk", "net", "rope", "door", "window", "car", "bicycle", "boat",
    "phone", "cup", "mug", "glass", "bottle", "plate", "gun", "knife", "sword", "key", "bag", "suitcase", "box",
    "crate", "barrel", "umbrella", "flower", "ring", "watch", "clock", "radio", "camera", "laptop", "computer",
    "briefcase", "coin", "money", "wallet", "guitar", "piano", "ball", "hammer", "axe", "shovel", "bucket",
    "basket", "ladder", "cigarette", "pen", "notebook", "mirror", "painting", "sign", "trolley", "pram",
    "wheelchair", "fish", "dog", "cat", "horse",
)
# What a figure reads or checks in its hand ("checks her watch", "reads the letter"): it rides in the hand.
HAND_READ_PROPS: tuple[str, ...] = ("letter", "envelope", "book", "newspaper", "map", "photo", "phone", "watch",
                                    "notebook", "wallet", "coin", "ring", "key", "camera")
# Verbs the figures perform -> the lemmas (and phrases) that mean them. 'idle' = no verb read.
VERBS: dict[str, tuple[str, ...]] = {
    "walk": ("walk", "stroll", "stride", "wander", "pace", "step", "cross", "head", "approach", "enter",
             "leave", "exit", "go", "come", "march", "limp", "trudge", "amble", "shuffle", "move", "follow"),
    "run": ("run", "sprint", "dash", "race", "flee", "rush", "hurry", "chase", "jog", "bolt", "charge", "lunge"),
    "climb": ("climb", "ascend", "clamber", "scale", "mount", "go up", "come up", "climb up"),
    "descend": ("descend", "go down", "come down", "climb down", "walk down the stairs", "walk down the steps"),
    "sit": ("sit", "sit down", "perch", "slump", "settle", "seat"),
    "stand_up": ("stand up", "rise", "get up", "get to feet"),
    "read": ("read", "study", "scan", "skim", "browse", "check", "consult"),
    "talk": ("talk", "speak", "say", "tell", "whisper", "chat", "ask", "answer", "reply", "call", "shout",
             "explain", "murmur", "mutter"),
    "argue": ("argue", "quarrel", "bicker", "fight", "yell", "confront"),
    "look_up": ("look up", "glance up", "gaze up"),
    "look_down": ("look down", "glance down", "gaze down"),
    "look_at": ("look", "watch", "stare", "glance", "gaze", "peer", "observe", "eye", "regard", "see", "notice",
                "study"),
    "point": ("point", "gesture", "indicate"),
    "wave": ("wave", "beckon", "signal"),
    "hold": ("hold", "grip", "clutch", "grasp", "raise", "lift", "show", "offer"),
    "carry": ("carry", "bring", "haul", "drag", "lug"),
    "mend": ("mend", "repair", "fix", "sew", "patch", "knit", "work"),
    "kneel": ("kneel", "crouch", "squat", "bend"),
    "fall": ("fall", "collapse", "trip", "stumble", "slip", "faint", "smash", "crash"),
    "drive": ("drive", "steer", "ride"),
    "open_door": ("open the door", "open a door", "push the door", "open door", "unlock the door",
                  "open", "unlock"),
    "turn": ("turn", "spin", "whirl", "twist", "look back", "look round", "look around"),
    "wait": ("wait", "stand", "linger", "loiter", "pause"),
    "hide": ("hide", "duck", "cower"),
    "sleep": ("sleep", "doze", "lie", "lie down", "nap"),
    "eat": ("eat", "drink", "sip", "chew", "dine"),
    "write": ("write", "scribble", "sign", "type", "draw"),
    "embrace": ("embrace", "hug", "kiss", "hold hands"),
    "dance": ("dance", "waltz"),
    "idle": (),
}
VERB_NAMES: tuple[str, ...] = tuple(VERBS)
# Moves that are a burst, not a journey, whatever the cue's kind or speed: lemma -> (the most metres
# the figure travels, 'to' = toward the target it goes for / 'from' = a turn away from it with a step).
SHORT_MOVES: dict[str, tuple[float, str]] = {
    "lunge": (1.8, "to"), "pounce": (1.8, "to"), "leap": (1.8, "to"), "spring": (1.5, "to"),
    "grab": (1.2, "to"), "snatch": (1.2, "to"), "reach": (0.8, "to"), "lurch": (1.0, "to"),
    "twist": (0.9, "from"), "recoil": (1.0, "from"),
    "flinch": (0.5, "from"), "jerk": (0.5, "from"), "dodge": (1.2, "from"), "duck": (0.6, "from"),
}


def short_move(text: str) -> tuple[float, str] | None:
    """The SHORT_MOVES entry of an action's words ('lunges for the parcel' -> lunge), else None. Word
    forms by lemminflect, the kept lemmatizer the shot-plan reader uses (lunged, twisting, ducks)."""
    from lemminflect import getAllLemmas   # its tables load once, on first use
    for word in re.findall(r"[a-z]+", str(text or "").lower()):
        forms = getAllLemmas(word)
        for lemma in (word, *forms.get("VERB", ())):
            if lemma in SHORT_MOVES:
                return SHORT_MOVES[lemma]
    return None


RELATIONS: tuple[str, ...] = ("", "towards", "away_from", "across", "at_each_other", "beside", "behind", "under")
RELATION_WORDS: dict[str, tuple[str, ...]] = {
    "towards": ("towards", "toward", "to", "up to", "into", "at"),
    "away_from": ("away from", "away", "out of", "from"),
    "across": ("across", "through", "past", "along", "over"),
    "at_each_other": ("at each other", "each other", "one another", "with each other", "face to face"),
    "beside": ("beside", "next to", "by", "alongside", "near", "with"),
    "behind": ("behind", "after"),
    "under": ("under", "underneath", "beneath", "below"),   # 'stands under a lamp': at its foot, in its light
}
# Where a figure moves as seen in frame (pan/tilt follow it).
DIRECTIONS: tuple[str, ...] = ("", "left", "right", "towards", "away", "up", "down")
AGES: tuple[str, ...] = ("", "child", "teen", "young", "adult", "old")
BUILDS: tuple[str, ...] = ("", "slim", "average", "broad", "heavy")
FACINGS: tuple[str, ...] = ("camera", "away", "left", "right")
SUBJECT_KINDS: tuple[str, ...] = ("none", "person", "prop")
SUBJECT_PARTS: tuple[str, ...] = ("body", "face", "eyes", "hand", "prop")
WARNING_KINDS: tuple[str, ...] = ("not_in_bible", "unknown_place", "unknown_subject", "note")

_HEX = re.compile(r"^#[0-9a-f]{6}$")


def _choice(what: str, value: Any, allowed) -> str:
    text = "" if value is None else str(value)
    if text not in allowed:
        shown = ", ".join(a or "''" for a in allowed)
        raise PlanError(f"{what}: {value!r} is not one of {shown}")
    return text


def _hex(what: str, value: Any, empty_ok: bool = True) -> str:
    text = str(value or "").strip().lower()
    if not text and empty_ok:
        return ""
    if not _HEX.match(text):
        raise PlanError(f"{what}: {value!r} is not a colour '#rrggbb'")
    return text


def _index(what: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PlanError(f"{what}: {value!r} is not an index")
    return value


class _Plain:
    """JSON round trip for the flat plan dataclasses (nested ones override)."""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if isinstance(value, tuple):
                value = [v.to_dict() if hasattr(v, "to_dict") else v for v in value]
            elif hasattr(value, "to_dict"):
                value = value.to_dict()
            out[f.name] = value
        return out

    @classmethod
    def _known(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        if not isinstance(data, Mapping):
            raise PlanError(f"{cls.__name__}: {data!r} is not an object")
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        unknown = set(data) - names
        if unknown:
            raise PlanError(f"{cls.__name__}: unknown field(s) {', '.join(sorted(unknown))}")
        return dict(data)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]):
        return cls(**cls._known(data))


@dataclass(frozen=True)
class Place(_Plain):
    kind: str = "neutral"
    interior: bool = False
    name: str = ""          # the location as written ('LIGHTHOUSE GALLERY')
    neutral: bool = True    # no kind could be read: a neutral set, said so

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", _choice("place kind", self.kind, PLACE_KIND_NAMES))
        object.__setattr__(self, "interior", bool(self.interior))
        object.__setattr__(self, "name", str(self.name or ""))
        object.__setattr__(self, "neutral", self.kind == "neutral")

    @property
    def pieces(self) -> tuple[str, ...]:
        return place_kind(self.kind).pieces


@dataclass(frozen=True)
class Garment(_Plain):
    kind: str
    colour: str = ""        # '#rrggbb' ('' = unspecified)
    colour_name: str = ""   # the word it was read from ('red', 'navy')

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", _choice("garment", self.kind, tuple(GARMENTS)))
        object.__setattr__(self, "colour", _hex("garment colour", self.colour))
        object.__setattr__(self, "colour_name", str(self.colour_name or ""))

    @property
    def region(self) -> str:
        return GARMENTS[self.kind]


@dataclass(frozen=True)
class Person(_Plain):
    """One figure (or a group of `count` alike figures). `name` is a bible/character name, empty for
    a described figure ('an old fisherman'); `description` is the words that describe it."""
    name: str = ""
    description: str = ""
    count: int = 1
    age: str = ""
    build: str = ""
    height_m: float = 1.75
    garments: tuple[Garment, ...] = ()
    colour: str = ""        # the bible's mannequin colour, '#rrggbb' ('' = none given)
    is_subject: bool = False
    facing: str = "camera"
    in_bible: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", str(self.name or "").strip())
        object.__setattr__(self, "description", str(self.description or "").strip())
        count = self.count
        if isinstance(count, bool) or not isinstance(count, int) or not (1 <= count <= 200):
            raise PlanError(f"person count: {count!r} must be a whole number in 1..200")
        object.__setattr__(self, "age", _choice("age", self.age, AGES))
        object.__setattr__(self, "build", _choice("build", self.build, BUILDS))
        try:
            height = float(self.height_m)
        except (TypeError, ValueError):
            raise PlanError(f"person height: {self.height_m!r} is not a number") from None
        if not (0.5 <= height <= 2.6):
            raise PlanError(f"person height: {height:g} m is outside 0.5..2.6")
        object.__setattr__(self, "height_m", height)
        object.__setattr__(self, "garments", tuple(g if isinstance(g, Garment) else Garment.from_dict(g)
                                                   for g in self.garments))
        object.__setattr__(self, "colour", _hex("person colour", self.colour))
        object.__setattr__(self, "is_subject", bool(self.is_subject))
        object.__setattr__(self, "facing", _choice("facing", self.facing, FACINGS))
        object.__setattr__(self, "in_bible", bool(self.in_bible))

    @property
    def from_behind(self) -> bool:
        return self.facing == "away"

    @property
    def label(self) -> str:
        return self.name or self.description or "a figure"

    def main_colour(self, region: str = "full") -> str:
        """The colour a renderer paints `region` (a garment of that region, else a full-length one,
        else the bible colour; '' = the renderer's choice)."""
        for wanted in (region, "full"):
            for g in self.garments:
                if g.region == wanted and g.colour:
                    return g.colour
        return self.colour


@dataclass(frozen=True)
class Prop(_Plain):
    kind: str
    colour: str = ""
    colour_name: str = ""
    count: int = 1
    is_subject: bool = False
    held_by: int | None = None   # person index holding/carrying it

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", _choice("prop kind", self.kind, PROP_KINDS))
        object.__setattr__(self, "colour", _hex("prop colour", self.colour))
        object.__setattr__(self, "colour_name", str(self.colour_name or ""))
        if isinstance(self.count, bool) or not isinstance(self.count, int) or not (1 <= self.count <= 200):
            raise PlanError(f"prop count: {self.count!r} must be a whole number in 1..200")
        object.__setattr__(self, "is_subject", bool(self.is_subject))
        object.__setattr__(self, "held_by", _index("prop held_by", self.held_by))


@dataclass(frozen=True)
class Action(_Plain):
    """What person `actor` does; `target_person`/`target_prop` index the plan's lists; `relation`
    places the actor against the target (or the camera); `direction` is the screen direction."""
    verb: str = "idle"
    actor: int = 0
    target_person: int | None = None
    target_prop: int | None = None
    relation: str = ""
    direction: str = ""
    words: str = ""             # the clause it was read from

    def __post_init__(self) -> None:
        object.__setattr__(self, "verb", _choice("verb", self.verb, VERB_NAMES))
        object.__setattr__(self, "actor", _index("action actor", self.actor) or 0)
        object.__setattr__(self, "target_person", _index("action target person", self.target_person))
        object.__setattr__(self, "target_prop", _index("action target prop", self.target_prop))
        object.__setattr__(self, "relation", _choice("relation", self.relation, RELATIONS))
        object.__setattr__(self, "direction", _choice("direction", self.direction, DIRECTIONS))
        object.__setattr__(self, "words", str(self.words or ""))


@dataclass(frozen=True)
class Subject(_Plain):
    kind: str = "none"          # none | person | prop
    index: int = 0
    part: str = "body"          # body | face | eyes | hand | prop (what an ECU frames)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", _choice("subject kind", self.kind, SUBJECT_KINDS))
        object.__setattr__(self, "index", _index("subject index", self.index) or 0)
        object.__setattr__(self, "part", _choice("subject part", self.part, SUBJECT_PARTS))


@dataclass(frozen=True)
class PlanWarning(_Plain):
    """Something the reader could not place. `name` is what a fix would add ('Rey' to the bible)."""
    kind: str
    message: str
    name: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", _choice("warning kind", self.kind, WARNING_KINDS))
        object.__setattr__(self, "message", str(self.message))
        object.__setattr__(self, "name", str(self.name or ""))

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class ShotPlan(_Plain):
    place: Place = field(default_factory=Place)
    time_of_day: str = "day"
    weather: str = "clear"
    people: tuple[Person, ...] = ()
    props: tuple[Prop, ...] = ()
    actions: tuple[Action, ...] = ()
    subject: Subject = field(default_factory=Subject)
    warnings: tuple[PlanWarning, ...] = ()
    continues_setup: bool = False   # the words say this shot continues the previous one's setup
    version: int = PLAN_VERSION

    def __post_init__(self) -> None:
        place = self.place if isinstance(self.place, Place) else Place.from_dict(self.place)
        object.__setattr__(self, "place", place)
        object.__setattr__(self, "time_of_day", _choice("time of day", self.time_of_day, TIME_NAMES))
        object.__setattr__(self, "weather", _choice("weather", self.weather, WEATHER_NAMES))
        for name, cls in (("people", Person), ("props", Prop), ("actions", Action), ("warnings", PlanWarning)):
            object.__setattr__(self, name, tuple(v if isinstance(v, cls) else cls.from_dict(v)
                                                 for v in getattr(self, name)))
        subject = self.subject if isinstance(self.subject, Subject) else Subject.from_dict(self.subject)
        object.__setattr__(self, "subject", subject)
        object.__setattr__(self, "continues_setup", bool(self.continues_setup))
        for a in self.actions:
            if self.people and a.actor >= len(self.people):
                raise PlanError(f"action {a.verb}: actor {a.actor} is not one of the {len(self.people)} people")
            if a.target_person is not None and a.target_person >= len(self.people):
                raise PlanError(f"action {a.verb}: target person {a.target_person} is not in the plan")
            if a.target_prop is not None and a.target_prop >= len(self.props):
                raise PlanError(f"action {a.verb}: target prop {a.target_prop} is not in the plan")
        if subject.kind == "person" and subject.index >= len(self.people):
            raise PlanError(f"subject: person {subject.index} is not in the plan")
        if subject.kind == "prop" and subject.index >= len(self.props):
            raise PlanError(f"subject: prop {subject.index} is not in the plan")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "ShotPlan":
        if not data:
            return cls()
        data = cls._known(data)
        version = data.get("version", PLAN_VERSION)
        if version != PLAN_VERSION:
            raise PlanError(f"shot plan version {version!r} is not {PLAN_VERSION}")
        return cls(**data)

    # -- what renderers ask -----------------------------------------------------------------------
    @property
    def light(self) -> str:
        """The four-step light (dawn, day, dusk, night) of the time of day."""
        return TIMES[self.time_of_day][1]

    @property
    def subject_person(self) -> Person | None:
        return self.people[self.subject.index] if self.subject.kind == "person" else None

    @property
    def subject_prop(self) -> Prop | None:
        return self.props[self.subject.index] if self.subject.kind == "prop" else None

    @property
    def figure_count(self) -> int:
        return sum(p.count for p in self.people)

    def verbs_of(self, person: int) -> tuple[str, ...]:
        return tuple(a.verb for a in self.actions if a.actor == person)

    def summary(self) -> str:
        """One line: 'an old keeper (subject), carrying a lantern; lighthouse (interior), dusk; climb'."""
        people = ", ".join(_person_text(p) + (" (subject)" if p.is_subject else "") for p in self.people) or "nobody"
        props = ", ".join((f"{p.colour_name} " if p.colour_name else "") + p.kind
                          + (" (subject)" if p.is_subject else "") for p in self.props) or "no props"
        place = f"{self.place.kind.replace('_', ' ')} ({'interior' if self.place.interior else 'exterior'})"
        if self.place.neutral:
            place = f"a neutral set ({'interior' if self.place.interior else 'exterior'}; place not recognised)"
        time = self.time_of_day + ("" if self.weather == "clear" else f", {self.weather}")
        verbs = ", ".join(a.verb.replace("_", " ") + (f" {a.relation.replace('_', ' ')}" if a.relation else "")
                          for a in self.actions) or "idle"
        return f"People: {people}. Place: {place}. Time: {time}. Props: {props}. Action: {verbs}."


def _person_text(p: Person) -> str:
    words = [str(p.count)] if p.count > 1 else []
    if p.name:
        words.append(p.name)
    else:
        words += [w for w in (p.age, p.build) if w and w not in ("adult", "average")]
        words.append(p.description or "figure")
    for g in p.garments:
        words.append(f"in {g.colour_name + ' ' if g.colour_name else ''}{g.kind}")
    return " ".join(words)


__all__ = ["HAND_READ_PROPS", 
    "PlanError", "PLAN_VERSION", "PlaceKind", "PLACE_KINDS", "PLACE_KIND_NAMES", "place_kind", "TIMES",
    "TIME_NAMES", "words_time", "heading_time", "WEATHERS", "WEATHER_NAMES", "GARMENTS", "GARMENT_REGIONS", "PROP_KINDS", "VERBS", "VERB_NAMES",
    "PERSON_NOUNS", "GROUP_NOUNS", "RELATIONS", "RELATION_WORDS", "DIRECTIONS", "AGES", "BUILDS", "FACINGS", "SUBJECT_KINDS", "SUBJECT_PARTS",
    "WARNING_KINDS", "Place", "Garment", "Person", "Prop", "Action", "Subject", "PlanWarning", "ShotPlan",
]
