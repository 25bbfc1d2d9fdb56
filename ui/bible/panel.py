"""`BiblePanel`: the world of the project — characters, locations, props and style entries.

A filtered list on the left, the selected entry on the right: name, kind, description, reference images
(thumbnails; "Add…" copies the picture into media/imports atomically), a character's colour and voice,
and for a real person the consent record: who, to whom, when, until, the uses it covers, the evidence file
(copied into media/consent, hash kept), revocation with a reason, and every shot, take and export that used
the likeness. A real person without consent in force (none, revoked, expired) carries a warning badge in the
list and a banner in the editor.

Every edit is a studio command (`AddBibleEntry`, `SetBibleEntry`, `RemoveBibleEntry`; consent:
`SetConsent`, `RevokeConsent`, `RemoveConsent` from studio.consent) through
`doc.execute`; a refused value is marked on its field and kept as typed.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, QRect, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (QCheckBox, QColorDialog, QComboBox, QDoubleSpinBox, QFileDialog, QFrame, QHBoxLayout, QLabel,
                               QGridLayout, QLineEdit, QListView, QListWidget, QListWidgetItem, QMenu, QScrollArea, QSplitter,
                               QStackedWidget, QStyle, QStyledItemDelegate, QTabBar, QToolButton, QVBoxLayout,
                               QWidget)

from engine.errors import EngineError
from studio.commands import AddBibleEntry, Change, ChangeKind, RemoveBibleEntry, SetBibleEntry
from studio.consent import USE_LABELS, import_evidence, is_likeness, likeness_uses, standing
from studio.consent_commands import RemoveConsent, RevokeConsent, SetConsent
from studio.errors import UserError
from studio.media import import_model
from studio.model import BibleEntry, BibleKind, ConsentRecord, LoraRef, ValidationError, new_id

from .. import theme
from ..inspector.fields import (AlignedForm, CommitTextEdit, clear_error, compact_combos, field_error,
                                mark_error, run_edit, section)
from ..qtcompat import role
from ..selection import ShotSelection
from ..storyboard.thumbnails import ThumbnailLoader
from .media import IMAGE_FILTER, import_image
from .model import (KIND_ICONS, KIND_TITLES, BibleItemModel, BibleKindFilter, EntryIdRole, KindRole,
                    UsableRole)

VOICES = ("", "en-us", "en-gb", "en-us+m1", "en-us+m3", "en-gb+m7", "en-us+f2", "en-gb+f3", "en-us+f4", "en-sc")
_PREFIX = {BibleKind.CHARACTER: "ch", BibleKind.LOCATION: "lo", BibleKind.PROP: "pr", BibleKind.STYLE: "st"}
_TABS = (("All", ""), ("Cast", "character"), ("Places", "location"), ("Props", "prop"), ("Style", "style"))
THUMB = QSize(112, 63)
_USE_KINDS = ("take_recorded", "take_changed", "shot_changed", "shot_added", "shot_removed")


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

        # The entry's own 3D model (.glb): a character's figure, a prop, a location's set in the previs.
        self.model_box = QWidget(w)
        mbox = QVBoxLayout(self.model_box)
        mbox.setContentsMargins(0, 0, 0, 0)
        mbox.setSpacing(4)
        self.attach_model_button = QToolButton(self.model_box)
        self.attach_model_button.setText("Attach…")
        self.attach_model_button.setIcon(theme.icon("mdi6.cube-outline"))
        self.attach_model_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.attach_model_button.setToolTip("Attach (or replace) the entry's 3D model: a glTF binary (.glb), "
                                            "copied into media/models")
        self.attach_model_button.clicked.connect(lambda: self.attach_model())
        self.clear_model_button = QToolButton(self.model_box)
        self.clear_model_button.setIcon(theme.icon("mdi6.close-circle-outline"))
        self.clear_model_button.setToolTip("Clear the 3D model (the previs draws its own again; the file stays "
                                           "in media/models)")
        self.clear_model_button.clicked.connect(self.clear_model)
        mtrail = QWidget(self.model_box)
        mt = QHBoxLayout(mtrail)
        mt.setContentsMargins(0, 0, 0, 0)
        mt.addWidget(self.attach_model_button)
        mt.addWidget(self.clear_model_button)
        mbox.addWidget(section("3D model", self.model_box, mtrail))
        self.model_path = QLineEdit(self.model_box)
        self.model_path.setReadOnly(True)
        self.model_path.setPlaceholderText("None: the previs draws its own (mannequin, kit prop, kit set)")
        mbox.addWidget(self.model_path)
        box.addWidget(self.model_box)

        # LoRAs (BibleEntry.loras): every diffusion shot that references the entry loads them.
        self.lora_box = QWidget(w)
        lbox = QVBoxLayout(self.lora_box)
        lbox.setContentsMargins(0, 0, 0, 0)
        lbox.setSpacing(4)
        self.add_lora_button = QToolButton(self.lora_box)
        self.add_lora_button.setText("Add…")
        self.add_lora_button.setIcon(theme.icon("mdi6.plus"))
        self.add_lora_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.add_lora_button.setToolTip("Add a LoRA adapter (.safetensors) for diffusion shots using this entry")
        self.add_lora_button.clicked.connect(lambda: self.add_lora())
        self.remove_lora_button = QToolButton(self.lora_box)
        self.remove_lora_button.setIcon(theme.icon("mdi6.minus"))
        self.remove_lora_button.setToolTip("Remove the selected LoRA")
        self.remove_lora_button.clicked.connect(self.remove_lora)
        ltrail = QWidget(self.lora_box)
        lt = QHBoxLayout(ltrail)
        lt.setContentsMargins(0, 0, 0, 0)
        lt.addWidget(self.add_lora_button)
        lt.addWidget(self.remove_lora_button)
        lbox.addWidget(section("LoRAs", self.lora_box, ltrail))
        self.loras = QListWidget(self.lora_box)
        self.loras.setMaximumHeight(90)
        self.loras.currentRowChanged.connect(lambda *_: self._fill_lora_fields())
        lbox.addWidget(self.loras)
        lform = AlignedForm()
        self.lora_weight = QDoubleSpinBox(self.lora_box)
        self.lora_weight.setRange(-4.0, 4.0)
        self.lora_weight.setSingleStep(0.05)
        self.lora_weight.setDecimals(2)
        self.lora_weight.editingFinished.connect(lambda: self.set_lora(weight=self.lora_weight.value()))
        self.lora_trigger = QLineEdit(self.lora_box)
        self.lora_trigger.setPlaceholderText("Trigger words it was trained on (put before the prompt)")
        self.lora_trigger.editingFinished.connect(lambda: self.set_lora(trigger=self.lora_trigger.text()))
        lform.addRow("Weight", self.lora_weight)
        lform.addRow("Trigger", self.lora_trigger)
        lbox.addLayout(lform)
        box.addWidget(self.lora_box)

        self.character_box = QWidget(w)
        cbox = QVBoxLayout(self.character_box)
        cbox.setContentsMargins(0, 0, 0, 0)
        cbox.setSpacing(4)
        cbox.addWidget(section("Character", self.character_box))
        cform = AlignedForm()
        self.color = QLineEdit(self.character_box)
        self.color.setPlaceholderText("Optional, like #c0504d")  # a bare sample read as set
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
        self.clear_consent.setToolTip("Delete the consent record (the likeness is then refused everywhere)")
        self.clear_consent.clicked.connect(self.clear_record)
        kbox.addWidget(section("Consent record", self.consent_box, self.clear_consent))
        kform = AlignedForm()
        self.consent_who = QLineEdit(self.consent_box)
        self.consent_who.setPlaceholderText("Required: full name of the person")
        self.consent_to = QLineEdit(self.consent_box)
        self.consent_to.setPlaceholderText("Studio or production it is granted to")
        self.consent_when = QLineEdit(self.consent_box)
        self.consent_when.setPlaceholderText("Required: date signed, YYYY-MM-DD")  # a sample date read as filled in
        self.consent_until = QLineEdit(self.consent_box)
        self.consent_until.setPlaceholderText("No expiry (or the last day, 2027-06-30)")
        self.consent_scope = QWidget(self.consent_box)
        grid = QGridLayout(self.consent_scope)
        grid.setContentsMargins(0, 0, 0, 0)
        self.consent_uses: dict[str, QCheckBox] = {}
        for i, (use, label) in enumerate((("previs", "Previs"), ("diffusion", "Diffusion generation"),
                                           ("reference", "Reference images, LoRAs"),
                                           ("export", "Export, distribution"))):
            box_ = QCheckBox(label, self.consent_scope)
            box_.setToolTip(f"The consent covers {USE_LABELS[use]}")
            box_.toggled.connect(lambda _on, b=box_: self._consent_done(b))
            self.consent_uses[use] = box_
            grid.addWidget(box_, i // 2, i % 2)
        self.consent_terms = QLineEdit(self.consent_box)
        self.consent_terms.setPlaceholderText("The release's own words (optional)")
        self.consent_file = QLineEdit(self.consent_box)
        self.consent_file.setPlaceholderText("Signed release (copied into the project)")
        self.consent_file.setReadOnly(True)
        self.consent_browse = QToolButton(self.consent_box)
        self.consent_browse.setIcon(theme.icon("mdi6.paperclip"))
        self.consent_browse.setToolTip("Attach the signed release (copied into the project, its hash kept)")
        self.consent_browse.clicked.connect(lambda: self.attach_evidence())
        for edit in (self.consent_who, self.consent_to, self.consent_when, self.consent_until, self.consent_terms):
            edit.editingFinished.connect(lambda e=edit: self._consent_done(e))
        kform.addRow("Who", self.consent_who)
        kform.addRow("Granted to", self.consent_to)
        kform.addRow("Given", self.consent_when)
        kform.addRow("Until", self.consent_until)
        kform.addRow("Covers", self.consent_scope)
        kform.addRow("Terms", self.consent_terms)
        row = QHBoxLayout()
        row.addWidget(self.consent_file, 1)
        row.addWidget(self.consent_browse)
        kform.addRow("Evidence", row)
        self.consent_reason = QLineEdit(self.consent_box)
        self.consent_reason.setPlaceholderText("Why it is withdrawn (kept in the record)")
        self.revoke_button = QToolButton(self.consent_box)
        self.revoke_button.setText("Revoke")
        self.revoke_button.setToolTip("Withdraw the consent: nothing may use the likeness any more, and takes "
                                      "made with it are marked 'likeness withdrawn'")
        self.revoke_button.clicked.connect(lambda: self.revoke())
        row = QHBoxLayout()
        row.addWidget(self.consent_reason, 1)
        row.addWidget(self.revoke_button)
        kform.addRow("Revoke", row)
        kbox.addLayout(kform)
        self.consent_status = QLabel(self.consent_box)
        self.consent_status.setWordWrap(True)
        self.consent_status.setStyleSheet(f"color: {theme.TEXT_DIM.name()};")
        kbox.addWidget(self.consent_status)
        kbox.addWidget(section("Where the likeness is used", self.consent_box))
        self.consent_used = QListWidget(self.consent_box)
        self.consent_used.setMaximumHeight(170)
        self.consent_used.setToolTip("Every shot, take and export that used this likeness (double-click a shot "
                                     "or take to select its shot)")
        self.consent_used.itemDoubleClicked.connect(self._use_activated)
        kbox.addWidget(self.consent_used)
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
        elif change.kind in _USE_KINDS and self.entry is not None and is_likeness(self.entry):
            self._fill_uses(self.entry)

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
                  self.consent_who, self.consent_to, self.consent_when, self.consent_until, self.consent_scope,
                  self.consent_terms, self.consent_file, self.revoke_button, self.clear_consent, self.add_image,
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
        self.model_box.setVisible(entry.kind is not BibleKind.STYLE)
        self._set_line(self.model_path, entry.model)
        self.attach_model_button.setText("Replace…" if entry.model else "Attach…")
        self.clear_model_button.setEnabled(bool(entry.model))
        self.lora_box.setVisible(entry.kind in (BibleKind.CHARACTER, BibleKind.STYLE))
        row = self.loras.currentRow()
        self.loras.blockSignals(True)
        self.loras.clear()
        for lora in entry.loras:
            self.loras.addItem(f"{Path(lora.path).name}  ×{lora.weight:g}" + (f"  “{lora.trigger}”" if lora.trigger
                                                                              else ""))
        self.loras.setCurrentRow(min(max(row, 0), len(entry.loras) - 1) if entry.loras else -1)
        self.loras.blockSignals(False)
        self._fill_lora_fields()
        self.character_box.setVisible(is_character)
        self._set_line(self.color, entry.color)
        self.color_button.setIcon(_swatch_icon(entry.color))
        if not field_error(self.voice) and not self.voice.lineEdit().hasFocus():
            self.voice.setEditText(entry.voice)
        self.real_person.setChecked(entry.real_person)
        self.consent_box.setVisible(is_character and (entry.real_person or entry.consent is not None))
        consent = entry.consent
        for edit, value in ((self.consent_who, consent.who if consent else ""),
                            (self.consent_to, consent.to if consent else ""),
                            (self.consent_when, consent.when if consent else ""),
                            (self.consent_until, consent.until if consent else ""),
                            (self.consent_terms, consent.terms if consent else ""),
                            (self.consent_file, consent.evidence_file if consent else "")):
            self._set_line(edit, value)
        if not field_error(self.consent_scope):
            for use, box_ in self.consent_uses.items():
                box_.setChecked(bool(consent) and use in consent.scope)
        revoked = bool(consent and consent.revoked)
        for w in (self.consent_who, self.consent_to, self.consent_when, self.consent_until, self.consent_terms,
                  self.consent_browse, self.consent_scope):
            w.setEnabled(True)  # a revoked grant is never revived: editing it makes a new record
        self.clear_consent.setEnabled(consent is not None)
        self.revoke_button.setEnabled(consent is not None and not revoked)
        self.consent_reason.setEnabled(consent is not None and not revoked)
        if consent is None:
            self.consent_status.setText("No record yet: fill in who, when and what it covers.")
        else:
            state = (f"REVOKED {consent.revoked[:10]}" + (f" — {consent.revoked_reason}" if consent.revoked_reason
                                                          else "") + ". Editing it records a new grant."
                     if revoked else "In force" + (f" until {consent.until}" if consent.until else ", no expiry"))
            evidence = f" · evidence sha256 {consent.evidence_sha256[:12]}…" if consent.evidence_sha256 else ""
            self.consent_status.setText(f"Record {consent.id} · sha256 {consent.digest[:12]}…{evidence}\n{state}")
        self._fill_uses(entry)
        why = standing(entry)
        if why:
            tail = (" Shots that use this character will not be generated until you record their consent below."
                    if consent is None else " Shots that use this character are refused; takes made with it are "
                    "marked 'likeness withdrawn'." if revoked else " Shots that use this character are refused.")
            self.warning.setText(f"⚠  {why[0].upper() + why[1:]}.{tail}")
        self.warning.setVisible(bool(why))

    def _fill_uses(self, entry: BibleEntry) -> None:
        self.consent_used.clear()
        if not is_likeness(entry):
            return
        try:
            uses = likeness_uses(self.doc.project, self.doc.folder, entry.id)
        except UserError as exc:
            self.consent_used.addItem(str(exc))
            return
        for shot in uses.shots:
            item = QListWidgetItem(theme.icon("mdi6.movie-open-outline"),
                                   f"{shot['label']} — via {', '.join(shot['via'])}")
            item.setData(Qt.ItemDataRole.UserRole, shot["shot_id"])
            self.consent_used.addItem(item)
        for take in uses.takes:
            flag = f"  [{take['status']}]" if take["status"] != "ready" else ""
            item = QListWidgetItem(theme.icon("mdi6.filmstrip"), f"take {take['take_id']} of {take['shot']}{flag}")
            item.setData(Qt.ItemDataRole.UserRole, take["shot_id"])
            self.consent_used.addItem(item)
        for export in uses.exports:
            self.consent_used.addItem(QListWidgetItem(theme.icon("mdi6.export"),
                                                      f"export {Path(export['path']).name} · {export['at'][:16]}"))
        if not self.consent_used.count():
            self.consent_used.addItem("Not used yet")

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

    def _use_activated(self, item: QListWidgetItem) -> None:
        shot_id = item.data(Qt.ItemDataRole.UserRole)
        if shot_id and self.selection is not None and any(s.id == shot_id for _, s in self.doc.project.shots()):
            self.selection.set([shot_id])

    def _consent_values(self) -> dict:
        return dict(who=self.consent_who.text().strip(), to=self.consent_to.text().strip(),
                    when=self.consent_when.text().strip(), until=self.consent_until.text().strip(),
                    scope=tuple(u for u, b in self.consent_uses.items() if b.isChecked()),
                    terms=self.consent_terms.text().strip())

    def _consent_done(self, widget: QWidget, evidence: tuple[str, str] | None = None) -> bool:
        """The consent fields make one record (`SetConsent`, merged per character): it is saved once who,
        date and at least one use are valid; until then the refused field is marked and everything typed
        stays. A revoked grant is never revived: an edit after a revocation records a new grant."""
        if self._loading or self.entry is None:
            return False
        if isinstance(widget, QLineEdit):
            if not widget.isModified() and evidence is None:
                return False
            widget.setModified(False)
        values = self._consent_values()
        current = self.entry.consent
        in_force = current is not None and not current.revoked
        if evidence is not None:
            values["evidence_file"], values["evidence_sha256"] = evidence
        elif in_force:
            values["evidence_file"], values["evidence_sha256"] = current.evidence_file, current.evidence_sha256
        if in_force and all(getattr(current, k) == v for k, v in values.items()):
            return False
        fields = {"who": self.consent_who, "to": self.consent_to, "when": self.consent_when,
                  "until": self.consent_until, "scope": self.consent_scope, "terms": self.consent_terms}
        errors = _consent_errors(values)
        if not values["scope"]:
            errors["scope"] = "consent scope: tick at least one use it covers"
        for key, w in fields.items():
            if key in errors:
                mark_error(w, errors[key])
            else:
                clear_error(w)
        if errors:
            return False
        try:
            record = ConsentRecord(**values, id=current.id if in_force else new_id("cs"))
        except ValidationError as exc:  # a rule across fields (until before the date given)
            mark_error(self.consent_until, str(exc))
            return False
        entry_id = self.entry.id
        return run_edit(self.doc, widget, lambda: SetConsent(entry_id, record))

    def revoke(self, reason: str | None = None) -> bool:
        """Withdraw the consent (`RevokeConsent`, one undo step) with the reason typed beside the button."""
        if self.entry is None or self.entry.consent is None:
            return False
        entry_id = self.entry.id
        why = self.consent_reason.text().strip() if reason is None else reason
        if run_edit(self.doc, self.revoke_button, lambda: RevokeConsent(entry_id, why)):
            self.consent_reason.clear()
            return True
        return False

    def clear_record(self) -> bool:
        if self.entry is None or self.entry.consent is None:
            return False
        entry_id = self.entry.id
        return run_edit(self.doc, self.clear_consent, lambda: RemoveConsent(entry_id))

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

    def attach_model(self, path: str | None = None) -> str | None:
        """Copy a .glb into media/models (checked first, as the previs checks it) and make it the
        entry's 3D model, replacing any (one undoable edit)."""
        if self.entry is None:
            return None
        if not path:
            path, _ = QFileDialog.getOpenFileName(self, "Attach a 3D model", str(Path.home()),
                                                  "glTF binary (*.glb)")
            if not path:
                return None
        entry = self.entry
        try:
            rel = import_model(self.doc, path)
        except (UserError, EngineError, OSError) as exc:
            mark_error(self.attach_model_button, str(exc))
            return None
        clear_error(self.attach_model_button)
        if rel == entry.model:
            return rel
        self.doc.end_gesture()   # a file picked is a step of its own (not merged with the last model edit)
        return rel if run_edit(self.doc, self.attach_model_button,
                               lambda: SetBibleEntry(entry.with_(model=rel))) else None

    def _fill_lora_fields(self) -> None:
        entry, row = self.entry, self.loras.currentRow()
        lora = entry.loras[row] if entry is not None and 0 <= row < len(entry.loras) else None
        for widget in (self.lora_weight, self.lora_trigger, self.remove_lora_button):
            widget.setEnabled(lora is not None)
        self.lora_weight.blockSignals(True)
        self.lora_weight.setValue(lora.weight if lora else 1.0)
        self.lora_weight.blockSignals(False)
        self._set_line(self.lora_trigger, lora.trigger if lora else "")

    def add_lora(self, path: str | None = None) -> bool:
        """Add a .safetensors LoRA (weight 1) to the entry's list (one undoable edit)."""
        if self.entry is None:
            return False
        if not path:
            path, _ = QFileDialog.getOpenFileName(self, "Add a LoRA", str(Path.home()), "LoRA (*.safetensors)")
            if not path:
                return False
        entry = self.entry
        from studio.media import import_lora  # checked as safetensors, copied into media/loras/ (one place)
        try:
            lora = LoraRef(import_lora(self.doc, path))
        except (UserError, ValidationError) as exc:
            mark_error(self.add_lora_button, str(exc))
            return False
        clear_error(self.add_lora_button)
        self.doc.end_gesture()
        ok = run_edit(self.doc, self.add_lora_button, lambda: SetBibleEntry(entry.with_(loras=entry.loras + (lora,))))
        if ok:
            self.loras.setCurrentRow(len(entry.loras))
        return bool(ok)

    def set_lora(self, **changes) -> bool:
        """Change the selected LoRA's weight or trigger words."""
        entry, row = self.entry, self.loras.currentRow()
        if self._loading or entry is None or not 0 <= row < len(entry.loras):
            return False
        loras = list(entry.loras)
        loras[row] = loras[row].with_(**changes)
        if tuple(loras) == entry.loras:
            return False
        self.doc.end_gesture()
        return bool(run_edit(self.doc, self.loras, lambda: SetBibleEntry(entry.with_(loras=tuple(loras)))))

    def remove_lora(self) -> None:
        entry, row = self.entry, self.loras.currentRow()
        if entry is None or not 0 <= row < len(entry.loras):
            return
        self.doc.end_gesture()
        run_edit(self.doc, self.loras, lambda: SetBibleEntry(
            entry.with_(loras=entry.loras[:row] + entry.loras[row + 1:])))

    def clear_model(self) -> None:
        if self.entry is None or not self.entry.model:
            return
        entry = self.entry
        self.doc.end_gesture()
        run_edit(self.doc, self.clear_model_button, lambda: SetBibleEntry(entry.with_(model="")))

    def remove_reference_image(self) -> None:
        item = self.images.currentItem()
        if self.entry is None or item is None:
            return
        rel = item.data(Qt.ItemDataRole.UserRole)
        entry = self.entry
        run_edit(self.doc, self.images, lambda: SetBibleEntry(
            entry.with_(reference_images=tuple(r for r in entry.reference_images if r != rel))))

    def attach_evidence(self, path: str | None = None) -> str | None:
        """Copy the signed release into the project (media/consent, sha256 kept; never a reference to a file
        outside the project) and save it in the record."""
        if self.entry is None:
            return None
        if not path:
            path, _ = QFileDialog.getOpenFileName(self, "Attach the signed release", str(Path.home()),
                                                  "Documents (*.pdf *.png *.jpg *.jpeg *.txt);;All files (*)")
            if not path:
                return None
        try:
            rel, digest = import_evidence(self.doc.folder, path)
        except (UserError, OSError) as exc:
            mark_error(self.consent_file, str(exc))
            return None
        clear_error(self.consent_file)
        self.consent_file.setText(rel)
        self._consent_done(self.consent_browse, evidence=(rel, digest))
        return rel


def _consent_errors(values: dict) -> dict[str, str]:
    """The model's complaint about each consent field on its own (the others filled with valid samples),
    so every field that needs attention is marked, not just the first one the record checks."""
    sample = dict(who="someone", when="2000-01-01", scope=("previs",))
    errors = {}
    for key, value in values.items():
        if key in ("evidence_file", "evidence_sha256"):
            continue
        try:
            ConsentRecord(**{**sample, key: value})
        except ValidationError as exc:
            errors[key] = str(exc)
    return errors


def _swatch_icon(color: str) -> QIcon:
    pixmap = QPixmap(16, 16)
    pixmap.fill(QColor(color) if color else theme.CARD)
    return QIcon(pixmap)
