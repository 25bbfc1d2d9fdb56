"""Bad values typed at the CLI get one clear line and a non-zero exit, never a traceback (issue 11, items 5, 9)."""
from __future__ import annotations

import pytest

from studio.cli import main


@pytest.mark.parametrize("fps", ["0/0", "24/0", "nan", "inf", "-inf", "1e400", "24/x", "0", "-24"])
def test_new_refuses_a_bad_frame_rate_in_one_line(tmp_path, capsys, fps):
    code = main(["new", str(tmp_path / "p.shotreel"), f"--fps={fps}"])
    err = capsys.readouterr().err
    assert code == 1, err
    assert err.startswith("shotreel: frame rate") and err.count("\n") == 1, err
    assert not (tmp_path / "p.shotreel").exists()


def test_an_unexpected_exception_is_one_line_not_a_traceback(tmp_path, capsys, monkeypatch):
    import studio.cli.project_cmds as project_cmds

    def broken(args):
        raise AttributeError("'list' object has no attribute 'get'")

    monkeypatch.setattr(project_cmds, "run_new", broken, raising=False)
    from studio.cli import build_parser
    parser = build_parser()
    args = parser.parse_args(["new", str(tmp_path / "p.shotreel")])
    args.func = broken
    monkeypatch.setattr("studio.cli.build_parser", lambda: type("P", (), {"parse_args": lambda self, a: args})())
    assert main(["new", "x"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("shotreel: ") and err.count("\n") == 1 and "Traceback" not in err, err
    assert "AttributeError" in err


def _project(tmp_path, capsys, *shots):
    proj = str(tmp_path / "g.shotreel")
    assert main(["new", proj, "--size", "160x90"]) == 0
    for title, *flags in shots:
        assert main(["add-shot", proj, "--title", title, "--duration", "4f", *flags]) == 0
    capsys.readouterr()
    return proj


def test_a_bare_duration_is_refused_with_a_hint(tmp_path, capsys):
    proj = _project(tmp_path, capsys)
    assert main(["add-shot", proj, "--title", "A", "--duration", "3"]) == 1
    err = capsys.readouterr().err
    assert "unit" in err and "3s" in err and "72f" in err and err.count("\n") == 1, err
    assert main(["add-shot", proj, "--title", "A", "--duration", "3s"]) == 0


def test_an_unknown_backend_is_refused_when_the_shot_is_edited(tmp_path, capsys):
    proj = _project(tmp_path, capsys, ("A",))
    assert main(["add-shot", proj, "--title", "B", "--backend", "evil"]) == 1
    err = capsys.readouterr().err
    assert "evil" in err and "previs" in err and err.count("\n") == 1, err
    assert main(["edit-shot", proj, "1", "--backend", "evil"]) == 1
    capsys.readouterr()
    assert main(["edit-shot", proj, "1", "--backend", "diffusion"]) == 0   # known, installed or not
    assert main(["edit-shot", proj, "1", "--backend", ""]) == 0            # back to the project's
    capsys.readouterr()
    assert main(["shots", proj, "--json"]) == 0
    import json
    assert len(json.loads(capsys.readouterr().out)["shots"]) == 1


def test_shots_chained_after_a_failed_shot_say_why_they_were_not_generated(tmp_path, capsys):
    from studio.commands import SetShotFields
    from studio.document import Document
    proj = _project(tmp_path, capsys, ("A",), ("B", "--continuity", "previous"), ("C", "--continuity", "previous"),
                    ("D", "--continuity", "none"))
    with Document.open(proj) as doc:   # a project written before backends were checked
        doc.execute(SetShotFields(doc.project.resolve_shot("1").id, backend="evil"))
    assert main(["generate", proj, "--no-sign"]) == 1
    out = capsys.readouterr().out
    lines = {line.split()[1]: line for line in out.splitlines() if line.startswith("shot")}
    assert "FAILED" in lines["1"] and "evil" in lines["1"]
    for n in ("2", "3"):
        assert "not generated" in lines[n] and "shot 1" in lines[n], out
    assert "FAILED" not in lines["4"] and "not generated" not in lines["4"]
