"""The inspector's content-policy line: shown as the user types (before anything is committed), red when
the policy blocks, amber when it warns, hidden when the prompt is clear."""
from __future__ import annotations

from PySide6.QtTest import QTest

from tests.ui.test_inspector import _panel
from tests.ui.ui_fixtures import *  # noqa: F403


def test_policy_line_follows_typing(qtbot, doc):
    (doc.folder / "policy.toml").write_text('[blocked]\nterms = ["gore"]\non_violation = "warn"\n'
                                            '[consent]\nnames = ["Jane Public"]\n')
    panel = _panel(qtbot, doc)
    assert not panel.policy_line.isVisible()
    panel.action.setFocus()
    panel.action.moveCursor(panel.action.textCursor().MoveOperation.End)
    QTest.keyClicks(panel.action, " with gore")
    assert panel.policy_line.isVisible()  # at once, not on commit
    assert "Policy warns: 'gore' is a blocked term" in panel.policy_line.text()
    assert doc.project.shot("sh001").prompt == "action 1"  # nothing committed yet
    QTest.keyClicks(panel.action, " and Jane Public")
    assert "Policy blocks" in panel.policy_line.text() and "Jane Public needs a consent record" in \
        panel.policy_line.text()
    panel.action.selectAll()
    QTest.keyClicks(panel.action, "a quiet harbour")
    assert not panel.policy_line.isVisible()
    (doc.folder / "policy.toml").write_text("not = [valid")
    QTest.keyClicks(panel.action, ".")
    assert panel.policy_line.isVisible() and "not valid TOML" in panel.policy_line.text()
    panel.detach()


def test_settings_chooses_the_studio_policy(qtbot, doc, tmp_path):
    from PySide6.QtCore import QSettings

    from studio.policy import load_policy, studio_policy_path
    from ui.app import make_application
    from ui.dialogs.settings import SettingsDialog
    make_application()
    dialog = SettingsDialog(doc, QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(dialog)
    assert "shipped default" in dialog.policy_path.text()
    bad = tmp_path / "bad.toml"
    bad.write_text('on_violation = "sometimes"\n')
    assert not dialog.choose_policy(str(bad))
    assert "must be 'block' or 'warn'" in dialog.policy_path.text() and not studio_policy_path().exists()
    good = tmp_path / "studio.toml"
    good.write_text('[blocked]\nterms = ["neon"]\n')
    assert dialog.choose_policy(str(good))
    assert dialog.policy_path.text() == str(studio_policy_path()) and load_policy(None).blocked == ("neon",)
    qtbot.waitUntil(lambda: dialog.identity_text.toPlainText() != "Loading…", timeout=15000)
