"""How takes and shots are named to people: "take 3 of shot 2", never "tk_dc98b40ef1".

Ids are handles for the database and the command line; messages a person reads (errors from remix
operations, the studio's labels through ui.labels) name a take by its number among its shot's takes
(oldest first, trashed ones keep their number) and the shot by its number in the cut.
"""
from __future__ import annotations


def take_number(project, take) -> int:
    takes = project.takes_of(take.shot_id, include_trashed=True)  # oldest first
    return next((n for n, t in enumerate(takes, start=1) if t.id == take.id), 0)


def shot_number(project, shot_id: str) -> int:
    return next((n for n, (_, s) in enumerate(project.shots(), start=1) if s.id == shot_id), 0)


def take_label(project, take_or_id, *, with_shot: bool = True, capital: bool = True) -> str:
    """'Take 3 of shot 2' ('Take 3' with with_shot=False; lower case with capital=False)."""
    take = project.takes.get(take_or_id) if isinstance(take_or_id, str) else take_or_id
    if take is None:
        return "A removed take" if capital else "a removed take"
    text = f"{'Take' if capital else 'take'} {take_number(project, take) or '?'}"
    if with_shot:
        number = shot_number(project, take.shot_id)
        text += f" of shot {number}" if number else " of a removed shot"
    return text
