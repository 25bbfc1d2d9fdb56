"""How the studio names things to people: "Take 3 of shot 2", never "tk_dc98b40ef1".

Ids are handles for the database and the CLI; every label a user reads in the window comes from here,
so the takes tree, the remix dialog, the viewer and the queue number takes the same way (oldest take of
a shot is Take 1, trashed ones keep their number).
"""
from __future__ import annotations


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """'1 shot', '2 shots', '0 shots' (`nouns` for irregular plurals)."""
    return f"{count} {noun if count == 1 else (nouns or noun + 's')}"


def take_number(project, take) -> int:
    takes = project.takes_of(take.shot_id, include_trashed=True)  # oldest first, as the takes tree numbers
    return next((n for n, t in enumerate(takes, start=1) if t.id == take.id), 0)


def shot_number(project, shot_id: str) -> int:
    return next((n for n, (_, s) in enumerate(project.shots(), start=1) if s.id == shot_id), 0)


def take_label(project, take_or_id, *, with_shot: bool = True) -> str:
    """'Take 3 of shot 2' ('Take 3' with with_shot=False; 'a removed take' when it is gone)."""
    take = project.takes.get(take_or_id) if isinstance(take_or_id, str) else take_or_id
    if take is None:
        return "a removed take"
    text = f"Take {take_number(project, take) or '?'}"
    if with_shot:
        number = shot_number(project, take.shot_id)
        text += f" of shot {number}" if number else " of a removed shot"
    return text


def shot_label(project, shot_id: str) -> str:
    """'Shot 2 · The empty quay' (the shot's cut number and title)."""
    number = shot_number(project, shot_id)
    try:
        title = project.shot(shot_id).title
    except Exception:  # removed meanwhile
        return "a removed shot"
    return f"Shot {number}" + (f" · {title}" if title else "")


# Take.operation / GenerationRequest.operation -> what the queue calls the job
_OPERATION_NAMES = {"generate": "Generate", "variation": "Variation", "remix": "Remix", "extend": "Extend",
                    "recut": "Re-cut", "loop": "Loop", "blend": "Blend", "colour_match": "Match colour"}


def operation_name(operation: str) -> str:
    return _OPERATION_NAMES.get(operation or "generate", (operation or "").replace("_", " ").capitalize())
