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
