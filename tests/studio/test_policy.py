"""The local content policy: TOML per studio and per project, checked on the compiled prompt before every
generation (real previs takes), blocking or warning as configured, its decision kept in the take."""
from __future__ import annotations

from pathlib import Path

import pytest

from studio.cli import main as cli_main
from studio.commands import AddBibleEntry, AddShot, SetShotFields
from studio.consent_commands import SetConsent
from studio.document import Document
from studio.errors import UserError
from studio.model import BibleEntry, ConsentRecord, Shot
from studio.policy import (DEFAULT_POLICY, PolicyError, check_text, choose_studio_policy, load_policy,
                           studio_policy_path)


@pytest.fixture()
def config_dir(tmp_path: Path, monkeypatch) -> Path:
    folder = tmp_path / "config"
    monkeypatch.setenv("SHOTREEL_CONFIG_DIR", str(folder))
    return folder


def _project(path: Path, prompt: str) -> Path:
    with Document.create(path, fps=24, width=160, height=90) as doc:
        doc.execute(AddShot(doc.project.sequences[0].id, Shot("s1", "One", prompt, duration=6, continuity="none")))
    return path


def _policy(folder: Path, action: str) -> None:
    (folder / "policy.toml").write_text(f'on_violation = "{action}"\n[consent]\nnames = ["Jane Public"]\n'
                                        '[blocked]\nterms = ["gore", "blood bath"]\n')


def test_a_policy_hit_warns_and_the_take_records_it(tmp_path, config_dir):
    path = _project(tmp_path / "p.shotreel", "A quiet scene, then gore on the floor")
    _policy(path, "warn")
    assert cli_main(["generate", str(path), "--no-sign"]) == 0
    with Document.open(path) as doc:
        take = doc.project.take(doc.project.shot("s1").selected_take)
        decision = take.params["options"]["policy"]
    assert decision["decision"] == "warned"
    assert decision["hits"] == [{"kind": "term", "term": "gore", "action": "warn", "why": "'gore' is a blocked term"}]
    assert [Path(s).name for s in decision["sources"]] == ["content_policy.toml", "policy.toml"]


def test_a_policy_hit_blocks_with_one_clear_line(tmp_path, config_dir, capsys):
    path = _project(tmp_path / "p.shotreel", "The crowd, a Blood  bath? no: a BLOOD BATH.")
    _policy(path, "block")
    assert cli_main(["generate", str(path), "--no-sign"]) == 1
    err = capsys.readouterr().err
    assert "content policy blocks shot 1 'One': 'blood bath' is a blocked term (policy: content_policy.toml, " \
           "policy.toml)" in err and "Traceback" not in err
    with Document.open(path) as doc:
        assert doc.project.takes == {}


def test_a_policy_name_needs_consent_even_outside_the_bible(tmp_path, config_dir, capsys):
    path = _project(tmp_path / "p.shotreel", "Jane Public waves to the crowd")
    _policy(path, "block")
    assert cli_main(["generate", str(path), "--no-sign"]) == 1
    assert "Jane Public needs a consent record (content policy)" in capsys.readouterr().err
    with Document.open(path) as doc:  # with a record that covers previs the same prompt passes
        doc.execute(AddBibleEntry(BibleEntry("ch_j", "character", "Jane Public")))
        doc.execute(SetConsent("ch_j", ConsentRecord("Jane Public", "2026-01-01", ("previs",))))
    assert cli_main(["generate", str(path), "--no-sign"]) == 0
    with Document.open(path) as doc:
        take = doc.project.take(doc.project.shot("s1").selected_take)
        assert take.params["options"]["policy"]["decision"] == "passed"
        assert take.params["options"]["likeness"][0]["entry_id"] == "ch_j"
        # diffusion is outside that consent: the policy's check names the record's reason
        policy = load_policy(doc.folder)
        hit = check_text(policy, "Jane Public waves", doc.project, "diffusion")
        assert hit.decision == "block" and "does not cover diffusion" in hit.line()


def test_studio_policy_is_chosen_in_settings_and_layers_with_the_project(tmp_path, config_dir):
    default = load_policy(None)
    assert default.sources == (str(DEFAULT_POLICY),) and "deepfake" in default.blocked
    assert check_text(default, "a Deepfake of the mayor").decision == "block"
    assert check_text(default, "deepfakes").decision == "pass"  # whole words only
    mine = tmp_path / "studio.toml"
    mine.write_text('on_violation = "warn"\n[blocked]\nterms = ["neon"]\n')
    assert choose_studio_policy(mine) == studio_policy_path() and studio_policy_path().is_file()
    project = tmp_path / "proj"
    project.mkdir()
    (project / "policy.toml").write_text('[blocked]\nterms = ["rain"]\non_violation = "block"\n')
    combined = load_policy(project)
    assert combined.blocked == ("neon", "rain")
    assert check_text(combined, "neon rain").decision == "block"     # the project's term blocks
    assert check_text(combined, "neon").decision == "warn"           # the studio's only warns
    assert check_text(load_policy(None), "neon rain").decision == "warn"
    bad = tmp_path / "bad.toml"
    bad.write_text("on_violation = maybe\n")
    with pytest.raises(UserError, match="not valid TOML"):
        choose_studio_policy(bad)
    bad.write_text('on_violation = "maybe"\n')
    with pytest.raises(UserError, match="must be 'block' or 'warn'"):
        choose_studio_policy(bad)
    assert load_policy(None).blocked == ("neon",)  # a refused file changed nothing


def test_the_compiled_prompt_is_what_is_checked(tmp_path, config_dir, capsys):
    """The user's edit of the compiled prompt is what a backend receives: a term there is caught too."""
    path = _project(tmp_path / "p.shotreel", "A quiet harbour")
    _policy(path, "block")
    with Document.open(path) as doc:
        doc.execute(SetShotFields("s1", prompt_override="A quiet harbour, gore everywhere"))
    assert cli_main(["generate", str(path), "--no-sign"]) == 1
    assert "'gore' is a blocked term" in capsys.readouterr().err
    assert issubclass(PolicyError, UserError)


def test_whole_words_unicode_and_a_word_listed_twice():
    from studio.consent import find_names
    names = ("Zoë Kravitz", "zoë kravitz", "Ana")
    assert find_names("ZOË KRAVITZ walks in", names) == {0, 1}
    assert find_names("Banana bread; Ana's coat", names) == {2}   # 'Banana' is not Ana, "Ana's" is
    assert find_names("zoë kravitzes", names) == set()
