"""Jobs after a crash (issue 11, item 8): an interrupted job comes back once and yields one take;
`generate --missing` regenerates shots whose take file is gone and says which."""
from __future__ import annotations


from engine.jobs import JobStatus
from engine.runner import JobRecord
from studio.cli import main
from studio.document import Document
from studio.prompting import build_request


def _project(tmp_path, capsys, n=3) -> str:
    proj = str(tmp_path / "p.shotreel")
    assert main(["new", proj, "--size", "160x90"]) == 0
    for i in range(n):
        assert main(["add-shot", proj, "--title", f"S{i + 1}", "--duration", "4f"]) == 0
    capsys.readouterr()
    return proj


def test_a_job_left_running_by_a_crash_yields_exactly_one_take(tmp_path, capsys):
    proj = _project(tmp_path, capsys)
    with Document.open(proj) as doc:   # what a kill -9 mid-render leaves: a record still 'running'
        shot = doc.project.resolve_shot("2")
        request = build_request(doc.project, doc.folder, shot.id)
        doc.job_store.save(JobRecord(request.job_id, request, status=JobStatus.RUNNING, attempts=1))
    assert main(["generate", proj, "--no-sign"]) == 0
    out, err = capsys.readouterr()
    assert "3 take(s) generated" in out, out
    assert "4/3" not in err
    with Document.open(proj) as doc:
        per_shot = {s.id: [t for t in doc.project.takes.values() if t.shot_id == s.id] for _, s in doc.project.shots()}
        assert [len(v) for v in per_shot.values()] == [1, 1, 1]
        assert all(s.selected_take for _, s in doc.project.shots())
        assert not [r for r in doc.job_store.load_all() if r.get("status") in ("queued", "running")]


def test_generate_missing_regenerates_a_shot_whose_take_file_is_gone(tmp_path, capsys):
    proj = _project(tmp_path, capsys)
    assert main(["generate", proj, "--no-sign"]) == 0
    with Document.open(proj) as doc:
        shot = doc.project.resolve_shot("2")
        take = doc.project.take(shot.selected_take)
        (doc.folder / take.files["video"]).unlink()   # media offline
    capsys.readouterr()
    assert main(["generate", proj, "--missing", "--no-sign"]) == 0
    out, err = capsys.readouterr()
    assert "shot 2" in err and "missing" in err, err
    assert "1 take(s) generated" in out, out
    with Document.open(proj) as doc:
        shot = doc.project.resolve_shot("2")
        assert (doc.folder / doc.project.take(shot.selected_take).files["video"]).is_file()
