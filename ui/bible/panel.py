"""`BiblePanel`: the world of the project — characters, locations, props and style entries.

A filtered list on the left, the selected entry on the right: name, kind, description, reference images
(thumbnails; "Add…" copies the picture into media/imports atomically), a character's colour and voice,
and for a real person the consent record (who, when, scope, evidence file). A real person without a
consent record carries a warning badge in the list and a banner in the editor.

Every edit is a studio command (`AddBibleEntry`, `SetBibleEntry`, `RemoveBibleEntry`) through
`doc.execute`; a refused value is marked on its field and kept as typed.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, QRect, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (QCheckBox, QColorDialog, QComboBox, QFileDialog, QFrame, QHBoxLayout, QLabel,
                               QLineEdit, QListView, QListWidget, QListWidgetItem, QMenu, QScrollArea, QSplitter,
                               QStackedWidget, QStyle, QStyledItemDelegate, QTabBar, QToolButton, QVBoxLayout,
                               QWidget)

from engine.errors import EngineError
from studio.commands import AddBibleEntry, Change, ChangeKind, RemoveBibleEntry, SetBibleEntry
from studio.errors import UserError
from studio.model import BibleEntry, BibleKind, ConsentRecord, ValidationError, new_id

from .. import theme
from ..inspector.fields import (AlignedForm, CommitTextEdit, clear_error, compact_combos, field_error,
                                mark_error, run_edit, section)
from ..qtcompat import role
from ..selection import ShotSelection
from ..storyboard.thumbnails import ThumbnailLoader
from .media import IMAGE_FILTER, import_file, import_image
from .model import (KIND_ICONS, KIND_TITLES, BibleItemModel, BibleKindFilter, EntryIdRole, KindRole,
                    UsableRole)

VOICES = ("", "en-us", "en-gb", "en-us+m1", "en-us+m3", "en-gb+m7", "en-us+f2", "en-gb+f3", "en-us+f4", "en-sc")
_PREFIX = {BibleKind.CHARACTER: "ch", BibleKind.LOCATION: "lo", BibleKind.PROP: "pr", BibleKind.STYLE: "st"}
_TABS = (("All", ""), ("Cast", "character"), ("Places", "location"), ("Props", "prop"), ("Style", "style"))
THUMB = QSize(112, 63)


class BibleEntryDelegate(QStyledItemDelegate):
    """Icon, name, kind, and a warning badge for a real person without consent."""

    def sizeHint(self, option, index) -> QSize:
        return QSize(160, 30)

    def paint(self, p: QPainter, option, index) -> None:
        p.save()
        rect = option.rect
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        p.fillRect(rect, theme.CARD_SELECTED if selected else (theme.CARD if option.state & QStyle.StateFlag.State_MouseOver
                                                               else theme.BASE))
        icon = role(index, Qt.ItemDataRole.DecorationRole)
        if isinstance(icon, QIcon):
            icon.paint(p, QRect(rect.left() + 8, rect.top() + 8, 14, 14))
        usable = role(index, UsableRole)
        badge_w = 0 if usable else 22
        kind = KIND_TITLES[BibleKind(role(index, KindRole))]
        fm = option.fontMetrics
        kind_w = fm.horizontalAdvance(kind) + 10
        p.setPen(theme.TEXT_DIM)
        p.drawText(QRect(rect.right() - kind_w - badge_w - 4, rect.top(), kind_w, rect.height()),
                   Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, kind)
        font = option.font
        font.setBold(True)
        p.setFont(font)
        p.setPen(theme.TEXT)
        name_rect = QRect(rect.left() + 30, rect.top(), rect.width() - 40 - kind_w - badge_w, rect.height())
        p.drawText(name_rect, Qt.AlignmentFlag.AlignVCenter,
                   fm.elidedText(str(role(index)), Qt.TextElideMode.ElideRight, name_rect.width()))
        if not usable:
            theme.icon("mdi6.alert", theme.WARNING.name()).paint(
                p, QRect(rect.right() - 22, rect.top() + 7, 16, 16))
        p.setPen(theme.WINDOW)
        p.drawLine(rect.bottomLeft(), rect.bottomRight())
        p.restore()


class BiblePanel(QWidget):
    def __init__(self, doc, selection: ShotSelection | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("BiblePanel")
        self.doc = doc
        self.selection = selection
        self.entry: BibleEntry | None = None
        self._loading = False
        self.model = BibleItemModel(doc, self)
        self.proxy = BibleKindFilter(self)
        self.proxy.setSourceModel(self.model)
        self.thumbnails = ThumbnailLoader(self, size=THUMB, capacity=120, threads=1)
        self.thumbnails.loaded.connect(self._thumbnail_loaded)

        # left: tabs, list, add/remove
        self.tabs = QTabBar(self)
        self.tabs.setExpanding(False)
        self.tabs.setDrawBase(False)
        self.tabs.setStyleSheet("QTabBar::tab { padding: 4px 7px; }")
        for text, _ in _TABS:
            self.tabs.addTab(text)
        self.tabs.currentChanged.connect(lambda i: self.proxy.set_kind(_TABS[i][1]))
        self.list = QListView(self)
        self.list.setModel(self.proxy)
        self.list.setItemDelegate(BibleEntryDelegate(self.list))
        self.list.setMouseTracking(True)
        self.list.setUniformItemSizes(True)
        self.add_button = QToolButton(self)
        self.add_button.setText("Add")
        self.add_button.setIcon(theme.icon("mdi6.plus"))
        self.add_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.add_button)
        for kind in BibleKind:
            menu.addAction(theme.icon(KIND_ICONS[kind]), KIND_TITLES[kind], lambda k=kind: self.add_entry(k))
        self.add_button.setMenu(menu)
        self.remove_button = QToolButton(self)
        self.remove_button.setIcon(theme.icon("mdi6.trash-can-outline"))
        self.remove_button.setToolTip("Remove the entry (shots lose their reference to it; undo restores both)")
        self.remove_button.clicked.connect(self.remove_current)
        left = QWidget(self)
        lbox = QVBoxLayout(left)
        lbox.setContentsMargins(0, 0, 0, 0)
        lbox.setSpacing(0)
        lbox.addWidget(self.tabs)
        lbox.addWidget(self.list, 1)
        bar = QHBoxLayout()
        bar.setContentsMargins(4, 4, 4, 4)
        bar.addWidget(self.add_button)
        bar.addStretch(1)
        bar.addWidget(self.remove_button)
        lbox.addLayout(bar)

        # right: the entry editor
        self.editor = self._build_editor()
        self.placeholder = QLabel("Select an entry, or add a character, location, prop or style.", self)
        self.placeholder.setObjectName("panelHint")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.placeholder)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.editor)
        self.stack.addWidget(scroll)

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(left)
        splitter.addWidget(self.stack)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([240, 420])
        splitter.setChildrenCollapsible(False)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(splitter)

        self.list.selectionModel().currentChanged.connect(lambda *_: self._current_changed())
        self.model.modelReset.connect(self._model_reset)
        self._unsubscribe = doc.subscribe(self._on_change)
        if self.proxy.rowCount():
            self.list.setCurrentIndex(self.proxy.index(0, 0))
        self._current_changed()

    # ---- building ---------------------------------------------------------------------------------
    def _build_editor(self) -> QWidget:
        w = QWidget()
        box = QVBoxLayout(w)
        box.setContentsMargins(12, 6, 12, 12)
        box.setSpacing(4)
        self.warning = QLabel(w)
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet(f"background: {theme.WARNING.darker(260).name()}; color: {theme.WARNING.name()};"
                                   f" border: 1px solid {theme.WARNING.darker(150).name()}; border-radius: 3px;"
                                   " padding: 6px;")
        box.addWidget(self.warning)
        box.addWidget(section("Entry", w))
        form = AlignedForm()
        self.name = QLineEdit(w)
        self.name.editingFinished.connect(lambda: self._line_done(self.name, "name"))
        self.kind = QComboBox(w)
        for kind in BibleKind:
            self.kind.addItem(theme.icon(KIND_ICONS[kind]), KIND_TITLES[kind], kind.value)
        self.kind.activated.connect(lambda *_: self._set(self.kind, kind=self.kind.currentData()))
        self.description = CommitTextEdit(w)
        self.description.setFixedHeight(84)
        self.description.setPlaceholderText("What it looks like; the prompt compiler and the previs use this")
        self.description.committed.connect(lambda t: self._set(self.description, description=t))
        form.addRow("Name", self.name)
        form.addRow("Kind", self.kind)
        form.addRow("Description", self.description)
        box.addLayout(form)

        self.add_image = QToolButton(w)
        self.add_image.setText("Add…")
        self.add_image.setIcon(theme.icon("mdi6.image-plus"))
        self.add_image.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.add_image.clicked.connect(lambda: self.add_reference_image())
        self.remove_image = QToolButton(w)
        self.remove_image.setIcon(theme.icon("mdi6.image-remove"))
        self.remove_image.setToolTip("Remove the selected reference image (the file stays in media/imports)")
        self.remove_image.clicked.connect(self.remove_reference_image)
        trailing = QWidget(w)
        tbox = QHBoxLayout(trailing)
        tbox.setContentsMargins(0, 0, 0, 0)
        tbox.addWidget(self.add_image)
        tbox.addWidget(self.remove_image)
        box.addWidget(section("Reference images", w, trailing))
        self.images = QListWidget(w)
        self.images.setViewMode(QListWidget.ViewMode.IconMode)
        self.images.setIconSize(THUMB)
        self.images.setFlow(QListWidget.Flow.LeftToRight)
        self.images.setWrapping(False)
        self.images.setFixedHeight(THUMB.height() + 34)
        self.images.setMovement(QListWidget.Movement.Static)
        self.images.setSpacing(4)
        box.addWidget(self.images)

        self.character_box = QWidget(w)
        cbox = QVBoxLayout(self.character_box)
        cbox.setContentsMargins(0, 0, 0, 0)
        cbox.setSpacing(4)
        cbox.addWidget(section("Character", self.character_box))
        cform = AlignedForm()
        self.color = QLineEdit(self.character_box)
        self.color.setPlaceholderText("#c0504d")
        self.color.editingFinished.connect(lambda: self._line_done(self.color, "color"))
        self.color_button = QToolButton(self.character_box)
        self.color_button.setToolTip("Pick the mannequin colour")
        self.color_button.clicked.connect(self.pick_color)
        row = QHBoxLayout()
        row.addWidget(self.color_button)
        row.addWidget(self.color, 1)
        cform.addRow("Colour", row)
        self.voice = QComboBox(self.character_box)
        self.voice.setEditable(True)
        self.voice.addItems(list(VOICES))
        self.voice.setToolTip("espeak-ng voice for scratch dialogue (empty: assigned automatically)")
        self.voice.activated.connect(lambda *_: self._voice_done())
        self.voice.lineEdit().editingFinished.connect(self._voice_done)
        cform.addRow("Voice", self.voice)
        self.real_person = QCheckBox("Real person (their likeness is used)", self.character_box)
        self.real_person.toggled.connect(lambda on: self._set(self.real_person, real_person=bool(on)))
        cform.addRow("", self.real_person)
        cbox.addLayout(cform)

        self.consent_box = QWidget(self.character_box)
        kbox = QVBoxLayout(self.consent_box)
        kbox.setContentsMargins(0, 0, 0, 0)
        self.clear_consent = QToolButton(self.consent_box)
        self.clear_consent.setText("Clear")
        self.clear_consent.setToolTip("Remove the consent record")
        self.clear_consent.clicked.connect(lambda: self._set(self.clear_consent, consent=None))
        kbox.addWidget(section("Consent record", self.consent_box, self.clear_consent))
        kform = AlignedForm()
        self.consent_who = QLineEdit(self.consent_box)
        self.consent_who.setPlaceholderText("Full name of the person")
        self.consent_when = QLineEdit(self.consent_box)
        self.consent_when.setPlaceholderText("2026-11-22")
        self.consent_scope = QLineEdit(self.consent_box)
        self.consent_scope.setPlaceholderText("What it covers: previs for this project, no distribution…")
        self.consent_file = QLineEdit(self.consent_box)
        self.consent_file.setPlaceholderText("Signed release (copied into the project)")
        self.consent_browse = QToolButton(self.consent_box)
        self.consent_browse.setIcon(theme.icon("mdi6.paperclip"))
        self.consent_browse.setToolTip("Attach the signed release")
        self.consent_browse.clicked.connect(lambda: self.attach_evidence())
        for edit in (self.consent_who, self.consent_when, self.consent_scope, self.consent_file):
            edit.editingFinished.connect(lambda e=edit: self._consent_done(e))
        kform.addRow("Who", self.consent_who)
        kform.addRow("Date", self.consent_when)
        kform.addRow("Scope", self.consent_scope)
        row = QHBoxLayout()
        row.addWidget(self.consent_file, 1)
        row.addWidget(self.consent_browse)
        kform.addRow("Evidence", row)
        kbox.addLayout(kform)
        cbox.addWidget(self.consent_box)
        box.addWidget(self.character_box)
        box.addStretch(1)
        compact_combos(w)
        return w

    # ---- document -> widgets ----------------------------------------------------------------------
    def detach(self) -> None:
        if self._unsubscribe:
            self._unsubscribe()
            self._unsubscribe = None
        self.model.detach()

    def _on_change(self, change: Change) -> None:
        if change.kind in (ChangeKind.BIBLE, ChangeKind.PROJECT):
            self._load()

    def _model_reset(self) -> None:
        # keep the entry being edited selected across the model's reset
        keep = self.entry.id if self.entry is not None else None
        if not (keep and self.select_entry(keep)) and self.proxy.rowCount():
            self.list.setCurrentIndex(self.proxy.index(0, 0))

    def select_entry(self, entry_id: str) -> bool:
        row = self.model.row_of(entry_id)
        if row is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid():
            self.tabs.setCurrentIndex(0)
            index = self.proxy.mapFromSource(self.model.index(row, 0))
        self.list.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        return True

    def current_entry_id(self) -> str | None:
        index = self.list.currentIndex()
        return role(index, EntryIdRole) if index.isValid() else None

    def _current_changed(self) -> None:
        entry_id = self.current_entry_id()
        if self.entry is not None and entry_id != self.entry.id:
            self._clear_errors()
        self._load()

    def _clear_errors(self) -> None:
        for w in (self.name, self.kind, self.description, self.color, self.voice, self.real_person,
                  self.consent_who, self.consent_when, self.consent_scope, self.consent_file, self.add_image,
                  self.images):
            clear_error(w)

    def _load(self) -> None:
        entry_id = self.current_entry_id()
        try:
            entry = self.doc.project.bible_entry(entry_id) if entry_id else None
        except ValidationError:
            entry = None
        self.entry = entry
        self.stack.setCurrentIndex(1 if entry is not None else 0)
        self.remove_button.setEnabled(entry is not None)
        if entry is None:
            return
        self._loading = True
        try:
            self._fill(entry)
        finally:
            self._loading = False

    def _set_line(self, edit: QLineEdit, text: str) -> None:
        if field_error(edit) or (edit.hasFocus() and edit.isModified()):
            return
        edit.setText(text)
        edit.setModified(False)

    def _fill(self, entry: BibleEntry) -> None:
        self._set_line(self.name, entry.name)
        self.kind.setCurrentIndex(self.kind.findData(entry.kind.value))
        if not field_error(self.description) and not (self.description.hasFocus() and self.description.dirty):
            self.description.set_text(entry.description)
        self.images.clear()
        for rel in entry.reference_images:
            item = QListWidgetItem(Path(rel).name)
            item.setData(Qt.ItemDataRole.UserRole, rel)
            item.setToolTip(rel)
            item.setSizeHint(QSize(THUMB.width() + 8, THUMB.height() + 26))
            self.images.addItem(item)
        self._refresh_thumbnails()
        self.remove_image.setEnabled(bool(entry.reference_images))
        is_character = entry.kind is BibleKind.CHARACTER
        self.character_box.setVisible(is_character)
        self._set_line(self.color, entry.color)
        self.color_button.setIcon(_swatch_icon(entry.color))
        if not field_error(self.voice) and not self.voice.lineEdit().hasFocus():
            self.voice.setEditText(entry.voice)
        self.real_person.setChecked(entry.real_person)
        self.consent_box.setVisible(is_character and (entry.real_person or entry.consent is not None))
        consent = entry.consent
        for edit, value in ((self.consent_who, consent.who if consent else ""),
                            (self.consent_when, consent.when if consent else ""),
                            (self.consent_scope, consent.scope if consent else ""),
                            (self.consent_file, consent.evidence_file if consent else "")):
            self._set_line(edit, value)
        self.clear_consent.setEnabled(consent is not None)
        if not entry.usable:
            self.warning.setText("⚠  A real person without a consent record. Shots that use this character "
                                 "will not be generated until you record their consent below.")
        self.warning.setVisible(not entry.usable)

    def _refresh_thumbnails(self) -> None:
        placeholder = None
        for i in range(self.images.count()):
            item = self.images.item(i)
            path = str(self.doc.folder / item.data(Qt.ItemDataRole.UserRole))
            image = self.thumbnails.image(path)
            if image is not None:
                item.setIcon(QIcon(QPixmap.fromImage(image)))
            else:
                if placeholder is None:
                    pixmap = QPixmap(THUMB)
                    pixmap.fill(theme.CARD)
                    placeholder = QIcon(pixmap)
                item.setIcon(placeholder)

    def _thumbnail_loaded(self, path: str) -> None:
        if self.entry is not None and any(str(self.doc.folder / r) == path for r in self.entry.reference_images):
            self._refresh_thumbnails()

    # ---- widgets -> commands ----------------------------------------------------------------------
    def _set(self, widget: QWidget, **changes) -> bool:
        if self._loading or self.entry is None:
            return False
        entry = self.entry

        def command():
            new = entry.with_(**changes)
            return None if new == entry else SetBibleEntry(new)
        return run_edit(self.doc, widget, command)

    def _line_done(self, edit: QLineEdit, name: str) -> None:
        if not edit.isModified() and not field_error(edit):
            return
        edit.setModified(False)
        self._set(edit, **{name: edit.text()})

    def _voice_done(self) -> None:
        if self.entry is not None and self.voice.currentText().strip() != self.entry.voice:
            self._set(self.voice, voice=self.voice.currentText())

    def _consent_done(self, edit: QLineEdit) -> None:
        """The four consent fields make one record: it is saved once who, date and scope are all valid;
        until then the field the record refuses is marked and everything typed stays."""
        if self._loading or self.entry is None or not edit.isModified():
            return
        edit.setModified(False)
        values = dict(who=self.consent_who.text().strip(), when=self.consent_when.text().strip(),
                      scope=self.consent_scope.text().strip(), evidence_file=self.consent_file.text().strip())
        current = self.entry.consent
        if current is not None and values == {k: getattr(current, k) for k in values}:
            return
        fields = {"who": self.consent_who, "when": self.consent_when, "scope": self.consent_scope,
                  "evidence_file": self.consent_file}
        errors = _consent_errors(values)
        for key, widget in fields.items():
            if key in errors:
                mark_error(widget, errors[key])
            else:
                clear_error(widget)
        if errors:
            return
        record = ConsentRecord(**values)
        self._set(edit, consent=record)

    def add_entry(self, kind: BibleKind | str, name: str | None = None) -> str | None:
        kind = BibleKind(kind)
        base = name or f"New {KIND_TITLES[kind].lower()}"
        taken = {e.name.lower() for e in self.doc.project.bible if e.kind is kind}
        unique, n = base, 2
        while unique.lower() in taken:
            unique, n = f"{base} {n}", n + 1
        entry = BibleEntry(new_id(_PREFIX[kind]), kind, unique)
        if not run_edit(self.doc, self.add_button, lambda: AddBibleEntry(entry)):
            return None
        if self.proxy.kind and self.proxy.kind != kind.value:
            self.tabs.setCurrentIndex(0)
        self.select_entry(entry.id)
        self.name.setFocus()
        self.name.selectAll()
        return entry.id

    def remove_current(self) -> None:
        if self.entry is not None:
            entry_id = self.entry.id
            run_edit(self.doc, self.remove_button, lambda: RemoveBibleEntry(entry_id))

    def pick_color(self) -> None:
        if self.entry is None:
            return
        color = QColorDialog.getColor(QColor(self.entry.color or "#c0504d"), self, "Character colour")
        if color.isValid():
            self._set(self.color, color=color.name())

    def add_reference_image(self, path: str | None = None) -> str | None:
        """Copy a picture into media/imports and add it to the entry (one undoable edit)."""
        if self.entry is None:
            return None
        if not path:
            path, _ = QFileDialog.getOpenFileName(self, "Add a reference image", str(Path.home()), IMAGE_FILTER)
            if not path:
                return None
        entry = self.entry
        try:
            rel = import_image(self.doc, path)
        except (UserError, EngineError, OSError) as exc:
            mark_error(self.add_image, str(exc))
            return None
        if rel in entry.reference_images:
            clear_error(self.add_image)
            return rel
        if run_edit(self.doc, self.add_image,
                    lambda: SetBibleEntry(entry.with_(reference_images=entry.reference_images + (rel,)))):
            return rel
        return None

    def remove_reference_image(self) -> None:
        item = self.images.currentItem()
        if self.entry is None or item is None:
            return
        rel = item.data(Qt.ItemDataRole.UserRole)
        entry = self.entry
        run_edit(self.doc, self.images, lambda: SetBibleEntry(
            entry.with_(reference_images=tuple(r for r in entry.reference_images if r != rel))))

    def attach_evidence(self, path: str | None = None) -> str | None:
        if self.entry is None:
            return None
        if not path:
            path, _ = QFileDialog.getOpenFileName(self, "Attach the signed release", str(Path.home()),
                                                  "Documents (*.pdf *.png *.jpg *.jpeg *.txt);;All files (*)")
            if not path:
                return None
        try:
            rel = import_file(self.doc, path)
        except (UserError, EngineError, OSError) as exc:
            mark_error(self.consent_file, str(exc))
            return None
        self.consent_file.setText(rel)
        self.consent_file.setModified(True)
        self._consent_done(self.consent_file)
        return rel


def _consent_errors(values: dict[str, str]) -> dict[str, str]:
    """The model's complaint about each consent field on its own (the others filled with valid samples),
    so every field that needs attention is marked, not just the first one the record checks."""
    sample = dict(who="someone", when="2000-01-01", scope="previs", evidence_file="")
    errors = {}
    for key, value in values.items():
        try:
            ConsentRecord(**{**sample, key: value})
        except ValidationError as exc:
            errors[key] = str(exc)
    return errors


def _swatch_icon(color: str) -> QIcon:
    pixmap = QPixmap(16, 16)
    pixmap.fill(QColor(color) if color else theme.CARD)
    return QIcon(pixmap)
