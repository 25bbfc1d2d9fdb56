"""Read a shot's words into the engine's ShotPlan (engine.plan): the one place the script is read.

Inputs: the scene heading, the shot's action, dialogue, motion cues, subject, camera and the bible.
The engine gets the plan resolved and never re-reads the heading. Word forms come from `lemminflect`
(its lemma tables ship in the wheel: 'climbs', 'stood', 'men', 'suits' -> climb, stand, man, suit), and
colour names from `webcolors` (the CSS3 names -> '#rrggbb'); the vocabularies are engine.plan's.

How it reads (greedy and explainable; a wrong reading is fixed in the fields and the bible):
  place   the longest place phrase in the heading's location, then a bible location, then the action
          (in the action a word that is also a prop, 'car', 'boat', counts only after in/inside/aboard/on);
          INT./EXT. decides interior, else the kind's default. Nothing found: neutral, with a warning.
  time    the heading's time part by whole words, else the action's ('at dusk'), else day.
  people  bible characters named in the words, the subject, dialogue speakers ('NELL: ...'),
          capitalised names ('Rey', 'NELL', 'Drew' when it is a name) and described people
          ('an old fisherman', 'two men', 'a crowd') with count, age, build and garments ('in a red coat').
          A name not in the bible becomes a figure and a warning offering to add it.
  props   prop nouns (not in verb position: 'he signs' is no sign), with a colour word before them.
  actions verbs by lemma (phrases first: 'stands up', 'looks down'), actor = the nearest person before,
          target = the next person/prop after, relation from the words between.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable, Sequence

from engine.cues import CameraCue, MotionCue, ShotSize
from engine.plan import (GARMENTS, GROUP_NOUNS, HAND_READ_PROPS, PERSON_NOUNS, PLACE_KINDS, PROP_KINDS, RELATION_WORDS, VERBS,
                         WEATHERS, Action, Garment, Person, Place, PlanWarning, Prop, ShotPlan, Subject,
                         heading_time, short_move, words_time)

_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’\-]*[A-Za-z]|[A-Za-z]|\d+|[.;:!?,]")
_BREAK = {".", ";", "!", "?", ":"}
_DETERMINERS = {"a", "an", "the", "his", "her", "their", "its", "my", "your", "our", "this", "that", "these",
                "those", "some", "another", "each", "every", "no", "one", "any"}
_SUBJECT_PRONOUNS = {"he", "she", "they", "it", "we", "i", "you", "who"}
_OBJECT_PRONOUNS = {"him", "her", "them"}
_NOT_NAMES = _DETERMINERS | _SUBJECT_PRONOUNS | _OBJECT_PRONOUNS | {
    "and", "but", "or", "as", "at", "in", "on", "of", "to", "with", "from", "by", "into", "onto", "under", "over",
    "then", "now", "later", "suddenly", "slowly", "still", "there", "here", "when", "while", "after", "before",
    "close", "insert", "angle", "pov", "cut", "ext", "int", "fade", "continuous", "mr", "mrs", "ms", "dr", "o",
    "outside", "inside", "far", "out", "up", "down", "behind", "beside", "across", "through", "alone", "meanwhile",
    "somewhere", "everyone", "nobody", "someone", "all", "both", "not", "yes", "oh", "ok", "okay", "hello", "hey",
    "please", "sorry", "thanks", "well", "so", "if", "what", "why", "how", "where", "ecu", "cu", "mcu", "ms",
    "mls", "ws", "ews", "vo", "os", "cont", "beat", "pause", "silence", "moments", "sir", "madam", "god"}
_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
            "ten": 10, "eleven": 11, "twelve": 12, "dozen": 12, "pair": 2, "several": 3, "few": 3, "many": 8}
_AGES = {"old": "old", "elderly": "old", "aged": "old", "ageing": "old", "aging": "old", "grey-haired": "old",
         "white-haired": "old", "young": "young", "youthful": "young", "teenage": "teen", "little": "child",
         "middle-aged": "adult", "small": "child"}
_BUILDS = {"thin": "slim", "slim": "slim", "skinny": "slim", "slender": "slim", "lean": "slim", "wiry": "slim",
           "broad": "broad", "burly": "broad", "stocky": "broad", "muscular": "broad", "hulking": "broad",
           "fat": "heavy", "heavy": "heavy", "heavyset": "heavy", "portly": "heavy", "stout": "heavy",
           "big": "heavy", "large": "heavy"}
_HEIGHTS = {"tall": 1.92, "towering": 2.0, "short": 1.58, "tiny": 1.5}
_AGE_HEIGHT = {"child": 1.2, "teen": 1.65}
_CONTAINER_PREPS = {"in", "inside", "into", "aboard", "on", "onto", "within"}
_PLACE_PREPS_BEFORE_NAME = {"in", "into", "from", "of", "through", "across", "around"}
_WEAK_RELATIONS = {"to", "at", "into", "with", "by", "near", "from", "over", "after", "through"}
_CAMERA_WORDS = {"camera", "lens", "us"}
_AWAY_PHRASES = (("from", "behind"), ("back", "to", "camera"), ("back", "to", "us"), ("back", "to", "the", "camera"),
                 ("with", "his", "back"), ("with", "her", "back"), ("with", "their", "back"))
_CONTINUE = {"continue", "continues", "still", "continuing", "same"}


@dataclass
class _Tok:
    text: str
    low: str
    lemmas: frozenset
    verbs: frozenset
    nouns: frozenset
    sentence: int
    first: bool        # first word of its sentence
    after_possessive: bool = False   # "Tomas's eyes": a noun, whatever else it could be


@lru_cache(maxsize=20000)
def _forms(low: str) -> tuple[frozenset, frozenset, frozenset]:
    from lemminflect import getAllLemmas  # tables load once, on first use (~0.2 s)
    found = getAllLemmas(low)
    verbs = frozenset(found.get("VERB", ()))
    nouns = frozenset(found.get("NOUN", ()) + found.get("PROPN", ()))
    every = frozenset({low, *verbs, *nouns, *found.get("ADJ", ()), *found.get("ADV", ())})
    return every, verbs, nouns


def _tokens(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    sentence, first = 0, True
    for m in _TOKEN.finditer(text.replace("’", "'")):
        word = m.group(0)
        if word in _BREAK or word == ",":
            if word in _BREAK:
                sentence, first = sentence + 1, True
            out.append(_Tok(word, word, frozenset({word}), frozenset(), frozenset(), sentence, False))
            continue
        possessive = word.lower().endswith("'s")
        if possessive:
            word = word[:-2]
        word = word.strip("'")
        if not word:
            continue
        low = word.lower()
        every, verbs, nouns = _forms(low)
        after = bool(out) and out[-1].text == "\x01"
        if after:
            out.pop()
        if after or (out and out[-1].low in ("his", "her", "their", "my", "your", "its", "our")):
            verbs = frozenset()
        out.append(_Tok(word, low, every, verbs, nouns, sentence, first, after))
        if possessive:  # a marker the next word reads (then drops)
            out.append(_Tok("\x01", "", frozenset(), frozenset(), frozenset(), sentence, False))
        first = False
    return out


class _Phrases:
    """Multi-word phrase lookup over lemmatized tokens; longest match first at each position."""

    def __init__(self, entries: Iterable[tuple[str, object]]):
        self.by_first: dict[str, list[tuple[tuple[str, ...], object]]] = {}
        for phrase, payload in entries:
            words = tuple(phrase.lower().split())
            self.by_first.setdefault(words[0], []).append((words, payload))
        for items in self.by_first.values():
            items.sort(key=lambda e: -len(e[0]))

    def at(self, toks: Sequence[_Tok], i: int, forms: str = "lemmas"):
        """(length, payload) of the longest phrase starting at token i, or None."""
        tok = toks[i]
        keys = getattr(tok, forms) | {tok.low}
        best = None
        for key in keys:
            for words, payload in self.by_first.get(key, ()):
                n = len(words)
                if best is not None and n <= best[0]:
                    break
                if i + n <= len(toks) and all(w == toks[i + k].low or w in toks[i + k].lemmas
                                              for k, w in enumerate(words[1:], 1)):
                    best = (n, payload)
                    break
        return best

    def scan(self, toks: Sequence[_Tok], forms: str = "lemmas"):
        i = 0
        while i < len(toks):
            hit = self.at(toks, i, forms)
            if hit:
                yield i, hit[0], hit[1]
                i += hit[0]
            else:
                i += 1


_PLACES = _Phrases((w, k) for k in PLACE_KINDS for w in k.words)
_VERBS = _Phrases((w, v) for v, words in VERBS.items() for w in words)
_RELATIONS = _Phrases((w, r) for r, words in RELATION_WORDS.items() for w in words)
_WEATHER = _Phrases((w, name) for name, words in WEATHERS.items() for w in words)
_GARMENTS = _Phrases((g, g) for g in GARMENTS)
_PROPS = _Phrases((p, p) for p in PROP_KINDS)
_PERSON_NOUNS = _Phrases((p, p) for p in PERSON_NOUNS)
_PROP_WORDS = set(PROP_KINDS)
_WEATHER_WORDS = {w for words in WEATHERS.values() for w in words} | {"water", "sea", "wind", "horn", "light"}
_VOCAB_WORDS = ({w for k in PLACE_KINDS for w in k.words} | set(PROP_KINDS) | set(GARMENTS) | set(PERSON_NOUNS)
                | {w for words in WEATHERS.values() for w in words} | set(_NUMBERS) | set(_AGES) | set(_BUILDS))


@lru_cache(maxsize=1)
def _colour_names() -> dict[str, str]:
    import webcolors
    return {name: webcolors.name_to_hex(name) for name in webcolors.names("css3")}


def colour_of(words: Sequence[str]) -> tuple[str, str] | None:
    """('#rrggbb', name) for the colour words just before a noun ('dark blue', 'red'), via webcolors."""
    names = _colour_names()
    if len(words) >= 2 and (words[-2] + words[-1]) in names:
        return names[words[-2] + words[-1]], f"{words[-2]} {words[-1]}"
    if words and words[-1] in names:
        return names[words[-1]], words[-1]
    return None


@dataclass
class _Mention:
    person: int
    at: int


@dataclass
class _Reader:
    bible_chars: dict[str, object] = field(default_factory=dict)   # lower name -> BibleEntry
    people: list[dict] = field(default_factory=list)
    props: list[dict] = field(default_factory=list)
    mentions: list[_Mention] = field(default_factory=list)         # person mentions in the action tokens
    warnings: list[PlanWarning] = field(default_factory=list)

    def person_named(self, name: str) -> int:
        low = name.lower()
        for i, p in enumerate(self.people):
            if p["name"].lower() == low:
                return i
        entry = self.bible_chars.get(low)
        person = {"name": entry.name if entry is not None else name, "description": "", "count": 1, "age": "",
                  "build": "", "height_m": 1.75, "garments": [], "colour": "", "facing": "camera",
                  "in_bible": entry is not None}
        if entry is not None:
            person["colour"] = _hex_or_empty(getattr(entry, "color", ""))
            _describe(person, _tokens(getattr(entry, "description", "") or ""), 0, None)
        else:
            self.warnings.append(PlanWarning(
                "not_in_bible", f"{name} is not in the bible: drawn as a plain figure.", name))
        self.people.append(person)
        return len(self.people) - 1


def _hex_or_empty(value: str) -> str:
    value = (value or "").strip().lower()
    return value if re.fullmatch(r"#[0-9a-f]{6}", value) else ""


def _describe(person: dict, toks: Sequence[_Tok], start: int, stop: int | None) -> None:
    """Read age, build, height and garments ('in a red coat', 'wearing blue suits') from toks[start:stop]."""
    stop = len(toks) if stop is None else stop
    i = start
    while i < stop:
        t = toks[i]
        if t.low in _AGES and not person["age"]:
            person["age"] = _AGES[t.low]
        elif t.low in _BUILDS and not person["build"]:
            person["build"] = _BUILDS[t.low]
        elif t.low in _HEIGHTS:
            person["height_m"] = _HEIGHTS[t.low]
        elif re.fullmatch(r"(sixties|seventies|eighties|nineties)", t.low):
            person["age"] = "old"
        elif re.fullmatch(r"(teens|twenties|thirties|forties|fifties)", t.low) and not person["age"]:
            person["age"] = "young" if t.low in ("teens", "twenties") else "adult"
        hit = _GARMENTS.at(toks, i)
        if hit:
            n, kind = hit
            before = [toks[k].low for k in range(max(start, i - 2), i)]
            colour = colour_of(before)
            same = [n for n, g in enumerate(person["garments"]) if g.kind == kind]
            if not same:
                person["garments"].append(Garment(kind, *(colour or ("", ""))))
            elif colour:  # the shot's words recolour what the bible said ('in a grey coat' today)
                person["garments"][same[0]] = Garment(kind, *colour)
            i += n
            continue
        i += 1


def _people_and_props(reader: _Reader, toks: list[_Tok], subject: str, speakers: Iterable[str]) -> None:
    for i, t in enumerate(toks):
        if t.text in _BREAK or t.text == ",":
            continue
        prev = toks[i - 1].low if i else ""
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        # A bible character by name (first word of a multi-word name too), or a capitalised name.
        if t.low in reader.bible_chars:
            idx = reader.person_named(t.text)
        elif _is_name(t, prev, nxt):
            idx = reader.person_named(t.text if not t.text.isupper() else t.text.title())
        else:
            continue
        reader.mentions.append(_Mention(idx, i))
        _appositive(reader, toks, i, idx)
        if nxt is not None and nxt.low in ("in", "wearing"):
            # 'Anna in a red coat walks...': what a named person wears, up to the clause's verb.
            end = next((k for k in range(i + 2, len(toks)) if toks[k].text in _BREAK or toks[k].text == ","
                        or (toks[k].verbs and toks[k].low not in GARMENTS and not toks[k].nouns & set(GARMENTS)
                            and _VERBS.at(toks, k, "verbs"))), len(toks))
            if any(_GARMENTS.at(toks, k) for k in range(i + 2, end)):
                _describe(reader.people[idx], toks, i + 2, end)
    # Described people and props (a second pass, so appositives above are already consumed).
    i = 0
    while i < len(toks):
        t = toks[i]
        prev = toks[i - 1].low if i else ""
        hit = _PERSON_NOUNS.at(toks, i, "nouns") if t.nouns or t.low in PERSON_NOUNS else None
        if hit and not t.text.startswith("\x00") and prev not in _OBJECT_PRONOUNS:
            n, noun = hit
            plural = t.low != noun and noun not in GROUP_NOUNS and (t.low.endswith("s") or t.low in ("men", "women",
                                                                                                     "children",
                                                                                                     "people"))
            count, adj_from = 1, i
            k = i - 1
            while k >= 0 and toks[k].text not in _BREAK | {","} and i - k <= 4:
                if toks[k].low in _NUMBERS or toks[k].low.isdigit():
                    count = _NUMBERS.get(toks[k].low) or int(toks[k].low)
                    adj_from = k
                    break
                if toks[k].low in _DETERMINERS:
                    adj_from = k
                    break
                adj_from = k
                k -= 1
            age, default_count = PERSON_NOUNS[noun]
            if count == 1 and (plural or noun in GROUP_NOUNS):
                count = default_count if noun in GROUP_NOUNS or not plural else max(2, default_count)
                if noun == "people" or (noun in GROUP_NOUNS and noun != "people"):
                    count = default_count
            end = next((k for k in range(i + n, len(toks)) if toks[k].text in _BREAK or
                        (toks[k].verbs and not toks[k].nouns and toks[k].low not in GARMENTS)), len(toks))
            person = {"name": "", "description": noun, "count": min(200, max(1, count)), "age": "", "build": "",
                      "height_m": 1.75, "garments": [], "colour": "", "facing": "camera", "in_bible": False}
            _describe(person, toks, adj_from, end)
            if not person["age"]:
                person["age"] = age
            if person["age"] in _AGE_HEIGHT and person["height_m"] == 1.75:
                person["height_m"] = _AGE_HEIGHT[person["age"]]
            reader.people.append(person)
            reader.mentions.append(_Mention(len(reader.people) - 1, i))
            i += n
            continue
        prop = _PROPS.at(toks, i, "nouns") if (t.nouns or t.low in _PROP_WORDS) else None
        if prop and t.low in _CAMERA_WORDS and prev in ("to", "towards", "toward", "from", "at", "into", "the"):
            prop = None  # 'away from camera': a direction, not a prop
        if prop and not t.text.startswith("\x00") and not _verb_position(toks, i, reader):
            n, kind = prop
            colour = colour_of([toks[k].low for k in range(max(0, i - 2), i)])
            plural = t.low != kind and t.low.endswith("s")
            existing = next((p for p in reader.props if p["kind"] == kind), None)
            if existing is None:
                reader.props.append({"kind": kind, "colour": colour[0] if colour else "",
                                     "colour_name": colour[1] if colour else "", "count": 2 if plural else 1,
                                     "at": i, "held_by": None})
            elif colour and not existing["colour"]:
                existing["colour"], existing["colour_name"] = colour
            i += n
            continue
        i += 1
    for name in [subject, *speakers]:
        if name and name.strip():
            idx = reader.person_named(name.strip())
            if not any(m.person == idx for m in reader.mentions):
                reader.mentions.append(_Mention(idx, -1))


def _appositive(reader: _Reader, toks: list[_Tok], i: int, idx: int) -> None:
    """'NELL, an old fisherwoman, ...': the description belongs to the name (and is read only once)."""
    if i + 2 >= len(toks) or toks[i + 1].text != "," or toks[i + 2].low not in ("a", "an", "the"):
        return
    end = next((k for k in range(i + 2, len(toks)) if toks[k].text in _BREAK | {","}), len(toks))
    person = reader.people[idx]
    _describe(person, toks, i + 2, end)
    for _, _, noun in _PERSON_NOUNS.scan(toks[i + 2:end], "nouns"):
        person["description"] = person["description"] or noun
        break
    toks[i + 2:end] = [_skip(x) for x in toks[i + 2:end]]


def _merge_generic_figure(reader: _Reader) -> None:
    """'Far along the quay a lone figure waits' with the subject Mara: the figure is Mara (one named
    person the words never name, one unnamed 'figure' or 'person'), not a second body."""
    named = [n for n, p in enumerate(reader.people)
             if p["name"] and all(m.at < 0 for m in reader.mentions if m.person == n)]
    generic = [n for n, p in enumerate(reader.people)
               if not p["name"] and p["description"] in ("figure", "person") and p["count"] == 1]
    if len(named) != 1 or len(generic) != 1:
        return
    keep, drop = named[0], generic[0]
    target, source = reader.people[keep], reader.people[drop]
    for key in ("age", "build"):
        target[key] = target[key] or source[key]
    for g in source["garments"]:
        if not any(h.kind == g.kind for h in target["garments"]):
            target["garments"].append(g)
    del reader.people[drop]
    for m in reader.mentions:
        if m.person == drop:
            m.person = keep
        if m.person > drop:
            m.person -= 1
    seen = set()
    reader.mentions = [m for m in reader.mentions if not (m.at < 0 and (m.person, m.at) in seen)
                       and not seen.add((m.person, m.at))]


def _skip(tok: _Tok) -> _Tok:
    """A token already read (an appositive): later passes do not read it again."""
    return _Tok("\x00" + tok.text, tok.low, tok.lemmas, frozenset(), frozenset(), tok.sentence, tok.first)


def _is_name(t: _Tok, prev: str, nxt: _Tok | None) -> bool:
    if not t.text[0].isupper() or t.low in _NOT_NAMES or len(t.low) < 2 or t.text.startswith("\x00"):
        return False
    if t.low in _VOCAB_WORDS or t.low in _colour_names() or any(w in _VOCAB_WORDS for w in t.nouns):
        return False
    if prev in _PLACE_PREPS_BEFORE_NAME:
        return False  # 'in London', 'from Paris': a place, not a person
    if not t.first:
        return True   # capitalised mid-sentence: a name ('Rey', 'NELL')
    # First word of a sentence: a name when a verb follows ('Drew opens the door') or it is no
    # ordinary word at all ('Rey waits').
    if nxt is not None and (nxt.verbs or nxt.low == "and" or nxt.text == "\x01"):
        return True
    if nxt is not None and nxt.text == "," and not t.verbs and not t.nouns:
        return True   # 'Rey, wait!'

    return not t.lemmas - {t.low} and not t.verbs and not t.nouns


def _verb_position(toks: Sequence[_Tok], i: int, reader: _Reader) -> bool:
    """'he signs', 'Mara watches': the word is the clause's verb, not a prop."""
    t = toks[i]
    if not t.verbs:
        return False
    prev = toks[i - 1] if i else None
    if prev is None or prev.text in _BREAK:
        return False
    if prev.low in _SUBJECT_PRONOUNS or prev.low == "to":
        return True
    return any(m.at == i - 1 for m in reader.mentions) or prev.low in reader.bible_chars


def _actions(reader: _Reader, toks: list[_Tok], extra: Sequence[tuple[int | None, str, str]]) -> list[Action]:
    out: list[Action] = []
    name_at = {m.at for m in reader.mentions}
    last_person: int | None = None
    i = 0
    while i < len(toks):
        t = toks[i]
        mention = next((m for m in reader.mentions if m.at == i), None)
        if mention is not None:
            last_person = mention.person
            i += 1
            continue
        if i in name_at or t.text.startswith("\x00") or not t.verbs:
            i += 1
            continue
        prev = toks[i - 1].low if i else ""
        if prev in _DETERMINERS:  # 'a look', 'the walk': a noun
            i += 1
            continue
        hit = _VERBS.at(toks, i, "verbs")
        if not hit or _thing_acts(toks, i, reader):
            i += 1
            continue
        n, verb = hit
        actor = _actor_before(reader, toks, i, last_person)
        action = _complete(reader, toks, i + 1, verb, actor)
        if actor is not None:
            last_person = actor
        out.append(action)
        i += n
    for actor, text, direction in extra:
        sub = _tokens(text)
        hit = next(((k, n, v) for k, n, v in _VERBS.scan(sub, "verbs")), None)
        verb = hit[2] if hit else None
        if verb is None:
            continue
        who = actor if actor is not None else (out[0].actor if out else 0)
        if any(a.verb == verb and a.actor == who for a in out):
            continue
        act = _complete(reader, sub, hit[0] + hit[1], verb, who, mentions=False)
        if direction:
            act = Action(act.verb, act.actor, act.target_person, act.target_prop, act.relation, direction,
                         act.words)
        out.append(act)
    return out


def _thing_acts(toks, i: int, reader: _Reader) -> bool:
    """'rain running off her collar', 'the lantern smashes': the verb's subject is a thing, not a person."""
    if i == 0:
        return False
    prev = toks[i - 1]
    if any(m.at == i - 1 for m in reader.mentions) or prev.low in _SUBJECT_PRONOUNS or not prev.nouns:
        return False
    if prev.after_possessive or prev.low in GARMENTS or prev.nouns & set(GARMENTS) or prev.text in _BREAK:
        return False   # 'Tomas's eyes drop' is Tomas; 'two men in blue suits argue' are the men
    if prev.verbs and not (prev.nouns & (_PROP_WORDS | _WEATHER_WORDS)):
        return False   # 'stands up and waves': a verb before a verb
    return bool(prev.nouns & (_PROP_WORDS | _WEATHER_WORDS)) or prev.low in _PROP_WORDS | _WEATHER_WORDS or \
        not prev.verbs


def _actor_before(reader: _Reader, toks, i: int, last_person: int | None) -> int | None:
    sentence = toks[i].sentence
    at = {m.at: m for m in reader.mentions}
    for m in sorted(reader.mentions, key=lambda m: -m.at):
        if 0 <= m.at < i and toks[m.at].sentence == sentence:
            # 'Sam and Rey argue': the first of the pair acts, the other is the partner.
            while m.at >= 2 and toks[m.at - 1].low == "and" and (m.at - 2) in at:
                m = at[m.at - 2]
            return m.person
    return last_person if last_person is not None else (reader.mentions[0].person if reader.mentions else None)


def _complete(reader: _Reader, toks, j: int, verb: str, actor: int | None, mentions: bool = True) -> Action:
    """Target and relation from the words after the verb, up to the clause end."""
    target_person = target_prop = None
    relation = ""
    direction = {"climb": "up", "descend": "down", "look_up": "up", "look_down": "down"}.get(verb, "")
    start = j
    end = next((k for k in range(j, len(toks)) if toks[k].text in _BREAK or toks[k].text == ","), len(toks))
    pending = ""
    k = j
    while k < end:
        t = toks[k]
        rel = _RELATIONS.at(toks, k)
        if rel and not relation:
            # 'to', 'at', 'with'... place the actor only when a person or prop follows them.
            if rel[0] == 1 and t.low in _WEAK_RELATIONS:
                pending = pending or rel[1]
            else:
                relation = rel[1]
            if relation == "at_each_other":
                k += rel[0]
                continue
        if t.low in ("left", "right") and not direction:
            direction = t.low
        if t.low in ("away",) and not direction:
            direction = "away"
        if t.low in _CAMERA_WORDS and k and toks[k - 1].low in ("towards", "toward", "to", "at", "the"):
            direction = direction or ("away" if relation == "away_from" else "towards")
        if mentions:
            m = next((m for m in reader.mentions if m.at == k and m.person != actor), None)
            if m is not None and target_person is None and target_prop is None:
                target_person = m.person
                relation = relation or _weak(pending, verb)
        if t.low in _OBJECT_PRONOUNS and target_person is None and actor is not None:
            others = [p for p in range(len(reader.people)) if p != actor]
            if len(others) == 1:
                target_person = others[0]
                relation = relation or _weak(pending, verb)
        prop = next((n for n, p in enumerate(reader.props) if p["at"] == k), None) if mentions else \
            next((n for n, p in enumerate(reader.props) if p["kind"] in t.nouns | {t.low}), None)
        if prop is not None and target_prop is None and target_person is None:
            target_prop = prop
            relation = relation or _weak(pending, verb)
        if k > j + 1 and t.verbs and not t.nouns and _VERBS.at(toks, k, "verbs") and t.low not in ("to",):
            break  # the next verb starts its own action
        k += 1
    if verb in ("argue", "talk", "embrace") and not relation and (
            target_person is not None or (actor is not None and actor < len(reader.people)
                                          and reader.people[actor]["count"] > 1)):
        relation = "at_each_other"
    if relation == "at_each_other" and target_person is None and actor is not None:
        others = [p for p in range(len(reader.people)) if p != actor]
        target_person = others[0] if len(others) == 1 else None
    if relation == "away_from" and not direction:
        direction = "away"
    words = " ".join(t.text.lstrip("\x00") for t in toks[max(0, start - 1):k] if t.text not in _BREAK)
    if target_prop is not None and actor is not None and (verb in ("hold", "carry") or (
            verb == "read" and reader.props[target_prop]["kind"] in HAND_READ_PROPS)):
        # what one holds or carries, or reads in the hand ("checks her watch", "reads the letter"), is in it
        reader.props[target_prop]["held_by"] = actor
    return Action(verb, actor or 0, target_person, target_prop, relation, direction, words[:120])


def _weak(pending: str, verb: str) -> str:
    """A weak relation word before the target: 'looks at Rey' is the verb's own sense, not a move."""
    if verb.startswith("look") or verb in ("talk", "wave", "point", "read", "mend", "hold", "open_door", "write",
                                           "eat", "carry"):
        return "" if pending == "towards" else pending
    return pending


def _in_hand(reader: _Reader, toks: list[_Tok]) -> None:
    """'lantern in hand', 'a letter in her hand': the prop is held by the sentence's actor."""
    for n, p in enumerate(reader.props):
        i = p["at"]
        after = [t.low for t in toks[i + 1:i + 4]]
        if after[:2] == ["in", "hand"] or (len(after) == 3 and after[0] == "in" and after[2] in ("hand", "hands")):
            who = _actor_before(reader, toks, i, None)
            if who is not None and p["held_by"] is None:
                p["held_by"] = who


def _contested(reader: _Reader, actions: list[Action]) -> None:
    """'Tomas lunges for the parcel' with one other person in the shot and nobody said to hold it: one
    goes *for* a prop the other has (a burst at it, plan.SHORT_MOVES), so the other holds it."""
    for a in actions:
        if a.target_prop is None or reader.props[a.target_prop]["held_by"] is not None:
            continue
        burst = short_move(a.words)
        if burst is None or burst[1] != "to" or not re.search(r"\b(for|at)\b", a.words.lower()):
            continue
        others = [n for n in range(len(reader.people)) if n != a.actor]
        if len(others) == 1:
            reader.props[a.target_prop]["held_by"] = others[0]


def _facing(reader: _Reader, toks: list[_Tok], actions: list[Action]) -> None:
    lows = [t.low for t in toks]
    for phrase in _AWAY_PHRASES:
        n = len(phrase)
        for i in range(len(lows) - n + 1):
            if tuple(lows[i:i + n]) == phrase:
                who = _actor_before(reader, toks, i, None)
                if who is None and reader.people:
                    who = 0
                if who is not None:
                    reader.people[who]["facing"] = "away"
    for a in actions:
        if a.verb in ("walk", "run") and a.direction == "away" and a.actor < len(reader.people):
            reader.people[a.actor]["facing"] = "away"
        if a.direction in ("left", "right") and a.verb in ("walk", "run", "turn") and a.actor < len(reader.people):
            if reader.people[a.actor]["facing"] == "camera":
                reader.people[a.actor]["facing"] = a.direction


def _place(heading: str, location_text: str, toks: list[_Tok]) -> tuple[Place, bool]:
    """(place, from the words) from the heading's location, then the bible location, then the action."""
    text = (heading or "").strip()
    m = re.match(r"^(INT\./EXT\.?|INT/EXT|I/E|INT|EXT|EST)\b\.?\s*", text, re.I)
    prefix = m.group(1).upper() if m else ""
    body = text[m.end():] if m else text
    parts = [p for p in re.split(r"\s+[-–—]+\s+", body) if p.strip()]
    if len(parts) > 1 and heading_time(text):
        parts = parts[:-1]
    name = " - ".join(p.strip() for p in parts)
    kind = None
    for source in (name, location_text):
        if source:
            kind = _best_place(_tokens(source.lower()), in_action=False)
            if kind:
                break
    if kind is None:
        kind = _best_place(toks, in_action=True)
    lows = {t.low for t in toks}
    if prefix.startswith("INT") or prefix == "I/E":
        interior = True
    elif prefix in ("EXT", "EST"):
        interior = False
    elif lows & {"inside", "indoors", "interior"}:
        interior = True
    elif lows & {"outside", "outdoors", "exterior"}:
        interior = False
    else:
        interior = kind.interior if kind else False
    if kind is None:
        return Place("neutral", interior, name), False
    return Place(kind.name, interior, name or kind.label), True


def _best_place(toks: list[_Tok], in_action: bool):
    best, best_len = None, 0
    for i, n, kind in _PLACES.scan(toks):
        if in_action and n == 1 and (toks[i].low in _PROP_WORDS or toks[i].nouns & _PROP_WORDS):
            if not (i and toks[i - 1].low in _CONTAINER_PREPS) and not (i > 1 and toks[i - 2].low in _CONTAINER_PREPS):
                continue  # 'walks to her car' names a prop; 'in the car' is a place
        if in_action and n == 1 and toks[i].low in ("stand", "step", "steps") and toks[i].verbs:
            continue
        # Ties: the later word, the head of the phrase ('LIGHTHOUSE STAIRS' is stairs), except a plain
        # road or street, which the place it runs through names better ('DESERT ROAD', 'HARBOUR STREET').
        if n > best_len or (n == best_len and kind.name != "street"):
            best, best_len = kind, n
    return best


def _weather(texts: Iterable[str]) -> str:
    for text in texts:
        toks = _tokens(text)
        for i, n, name in _WEATHER.scan(toks, "nouns"):
            if toks[i].low in ("wind", "winding", "winds") and toks[i].verbs and toks[i].low != "wind":
                continue
            return name
        if {"raining", "snowing"} & {t.low for t in toks}:
            return "rain" if "raining" in {t.low for t in toks} else "snow"
    return "clear"


def _speakers(dialogue: str) -> list[str]:
    """'TOMAS: Ferry's not coming.' and screenplay blocks ('NELL' on its own line) -> speaker names."""
    names = []
    for line in (dialogue or "").splitlines():
        m = re.match(r"^\s*([A-Z][A-Za-z'\- ]{0,30}?)\s*(\(.*?\))?\s*:", line) or \
            re.match(r"^\s*([A-Z][A-Z'\- ]{1,30})\s*$", line)
        if m:
            word = m.group(1).strip()
            if word.lower() not in _NOT_NAMES:
                names.append(word.title() if word.isupper() else word)
    return names


def _dialogue_lines(dialogue: str) -> str:
    out = []
    for line in (dialogue or "").splitlines():
        out.append(re.sub(r"^\s*[A-Z][A-Za-z'\- ]{0,30}?\s*(\(.*?\))?\s*:", "", line))
    return " ".join(out)


def build_plan(heading: str = "", action: str = "", *, dialogue: str = "", motion: Sequence[MotionCue] = (),
               subject: str = "", camera: CameraCue | None = None, bible: Sequence = (), title: str = "",
               location: str = "", style: str = "") -> ShotPlan:
    """The plan of one shot. `bible`: the project's BibleEntry list (characters are matched by name,
    props by their kind words); `location`/`style`: the texts of the scene's bible entries."""
    chars = {}
    for e in bible:
        if getattr(e, "kind", None) is not None and str(getattr(e.kind, "value", e.kind)) == "character":
            chars[e.name.lower()] = e
            first = e.name.split()[0].lower()
            chars.setdefault(first, e)
    reader = _Reader(bible_chars=chars)
    action = action or ""
    toks = _tokens(action)
    # Dialogue: speakers and the names said in the lines ('Rey, wait!') become people; nothing else.
    speakers = _speakers(dialogue)
    motion_subjects = [m.subject for m in motion if m.subject]
    _people_and_props(reader, toks, subject or (motion_subjects[0] if motion_subjects else ""), speakers)
    for name in motion_subjects[1:]:
        if not any(p["name"].lower() == name.lower() for p in reader.people):
            reader.person_named(name)
    _merge_generic_figure(reader)
    spoken = _tokens(_dialogue_lines(dialogue))
    for i, t in enumerate(spoken):
        prev = spoken[i - 1].low if i else ""
        nxt = spoken[i + 1] if i + 1 < len(spoken) else None
        # Speech is no action line: a name is a bible name, a capital mid-sentence, or a vocative ('Rey, wait!').
        vocative = t.first and nxt is not None and nxt.text == ","
        if t.low in chars or (_is_name(t, prev, nxt) and (not t.first or vocative)):
            idx = reader.person_named(t.text.title() if t.text.isupper() else t.text)
            if not any(m.person == idx for m in reader.mentions):
                reader.mentions.append(_Mention(idx, -1))
    if not reader.people:
        # 'She sleeps.', 'They drive at night.': a pronoun with nobody named is still somebody to draw.
        pronoun = next((t.low for t in toks if t.low in ("he", "she", "they")), None)
        if pronoun:
            noun = {"he": "man", "she": "woman", "they": "people"}[pronoun]
            reader.people.append({"name": "", "description": noun, "count": 2 if pronoun == "they" else 1,
                                  "age": "adult", "build": "", "height_m": 1.75, "garments": [], "colour": "",
                                  "facing": "camera", "in_bible": False})
    extra = []
    for m in motion:
        if m.action:
            who = next((n for n, p in enumerate(reader.people) if m.subject and p["name"].lower() == m.subject.lower()),
                       None)
            direction = {"toward": "towards", "away": "away", "left": "left", "right": "right"}.get(
                m.screen_direction.value, "")
            extra.append((who, m.action, direction))
    actions = _actions(reader, toks, extra)
    _in_hand(reader, toks)
    _contested(reader, actions)
    _facing(reader, toks, actions)
    place, known = _place(heading, location, toks)
    if not known:
        reader.warnings.append(PlanWarning("unknown_place", "the place is not one the previs knows: a neutral set. "
                                           "Name it in the scene heading ('EXT. HARBOUR - NIGHT').", place.name))
    time = heading_time(heading) or words_time(" ".join(t.low for t in toks)) or \
        words_time((location or "").lower()) or "day"
    weather = _weather([heading, action, location, style])
    props = [Prop(p["kind"], p["colour"], p["colour_name"], p["count"], False, p["held_by"]) for p in reader.props]
    subj = _subject(reader, toks, props, subject or (motion_subjects[0] if motion_subjects else ""), camera, title,
                    bible)
    people = []
    for n, p in enumerate(reader.people):
        people.append(Person(p["name"], p["description"], p["count"], p["age"], p["build"], p["height_m"],
                             tuple(p["garments"]), p["colour"], subj.kind == "person" and subj.index == n,
                             p["facing"], p["in_bible"]))
    props = [Prop(p.kind, p.colour, p.colour_name, p.count, subj.kind == "prop" and subj.index == n, p.held_by)
             for n, p in enumerate(props)]
    continues = bool({t.low for t in toks} & _CONTINUE) or bool(re.search(r"\bCONTINUOUS\b", heading or ""))
    return ShotPlan(place=place, time_of_day=time, weather=weather, people=tuple(people), props=tuple(props),
                    actions=tuple(a for a in actions if a.actor < len(people)), subject=subj,
                    warnings=tuple(reader.warnings), continues_setup=continues)


def _subject(reader: _Reader, toks, props: list[Prop], subject: str, camera: CameraCue | None, title: str,
             bible) -> Subject:
    size = camera.shot_size if camera is not None else ShotSize.MS
    lows = {t.low for t in toks}
    close = size in (ShotSize.ECU, ShotSize.CU)
    # An insert: the title names a prop, or the words say so ('insert', 'close on the parcel').
    title_toks = _tokens(title or "")
    title_props = {kind for _, _, kind in _PROPS.scan(title_toks, "nouns")}
    for e in bible:
        if str(getattr(e.kind, "value", e.kind)) == "prop" and title and e.name.lower() == title.strip().lower():
            title_props |= {kind for _, _, kind in _PROPS.scan(_tokens(e.name + " " + e.description), "nouns")}
    if props and (close or not reader.people):
        wanted = [n for n, p in enumerate(props) if p.kind in title_props]
        if not wanted and ({"insert"} & lows or not reader.people):
            wanted = [0]
        if wanted and (close or not reader.people):
            return Subject("prop", wanted[0], "prop")
    if not reader.people:
        return Subject("none", 0, "body")
    index = 0
    if subject:
        index = next((n for n, p in enumerate(reader.people) if p["name"].lower() == subject.lower()), 0)
    elif reader.mentions:
        index = min(reader.mentions, key=lambda m: (m.at < 0, m.at)).person
    part = "body"
    if size is ShotSize.ECU:
        part = "hand" if lows & {"hand", "hands", "fingers", "fist", "grip", "grips"} else "eyes"
    elif size is ShotSize.CU:
        part = "face"
    return Subject("person", index, part)


def plan_for_shot(project, seq, shot) -> ShotPlan:
    """The plan of a shot as the project is now (the studio's one call site for the reader)."""
    from .model import BibleKind  # local: model imports nothing from here, but keep the reader standalone
    refs = [project.bible_entry(r) for r in shot.bible_refs if _has_entry(project, r)]
    location = next((e for e in refs if e.kind is BibleKind.LOCATION), None)
    styles = [e.description or e.name for e in refs if e.kind is BibleKind.STYLE]
    chars = [e for e in refs if e.kind is BibleKind.CHARACTER]
    subject = next((m.subject for m in shot.motion if m.subject), "")
    plan = build_plan(seq.heading, shot.prompt, dialogue=shot.dialogue, motion=shot.motion, subject=subject,
                      camera=shot.camera, bible=project.bible, title=shot.title,
                      location=f"{location.name}: {location.description}" if location is not None else "",
                      style="; ".join(styles))
    # Characters the shot references but the words never name still stand in the set.
    named = {p.name.lower() for p in plan.people}
    missing = [e for e in chars if e.name.lower() not in named]
    if missing:
        extra = tuple(build_plan("", "", subject=e.name, bible=project.bible).people[0] for e in missing)
        plan = ShotPlan(plan.place, plan.time_of_day, plan.weather,
                        plan.people + tuple(_not_subject(p) for p in extra), plan.props, plan.actions,
                        plan.subject if plan.subject.kind != "none" else Subject("person", len(plan.people), "body"),
                        plan.warnings, plan.continues_setup)
        if plan.subject.kind == "person":
            people = tuple(_with_subject(p, n == plan.subject.index) for n, p in enumerate(plan.people))
            plan = ShotPlan(plan.place, plan.time_of_day, plan.weather, people, plan.props, plan.actions,
                            plan.subject, plan.warnings, plan.continues_setup)
    return plan


def _has_entry(project, ref: str) -> bool:
    try:
        project.bible_entry(ref)
        return True
    except Exception:  # a dangling reference: the shot still plans
        return False


def _not_subject(p: Person) -> Person:
    return _with_subject(p, False)


def _with_subject(p: Person, value: bool) -> Person:
    from dataclasses import replace
    return replace(p, is_subject=value)
