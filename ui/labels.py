"""How the studio names things to people: "Take 3 of shot 2", never "tk_dc98b40ef1".

Ids are handles for the database and the CLI; every label a user reads in the window comes from here,
so the takes tree, the remix dialog, the viewer and the queue number takes the same way (oldest take of
a shot is Take 1, trashed ones keep their number: studio.naming, which studio's own messages use too).
"""
from __future__ import annotations

from studio import naming


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """'1 shot', '2 shots', '0 shots' (`nouns` for irregular plurals)."""
    return f"{count} {noun if count == 1 else (nouns or noun + 's')}"


def take_label(project, take_or_id, *, with_shot: bool = True) -> str:
    """'Take 3 of shot 2' ('Take 3' with with_shot=False; 'A removed take' when it is gone)."""
    return naming.take_label(project, take_or_id, with_shot=with_shot)


# Take.operation / GenerationRequest.operation -> what the queue calls the job
_OPERATION_NAMES = {"generate": "Generate", "variation": "Variation", "remix": "Remix", "extend": "Extend",
                    "recut": "Re-cut", "loop": "Loop", "blend": "Blend", "colour_match": "Match colour"}


def operation_name(operation: str) -> str:
    return _OPERATION_NAMES.get(operation or "generate", (operation or "").replace("_", " ").capitalize())
