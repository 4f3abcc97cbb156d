"""The interface language.

The program's own strings are written in Chinese (most as "中文 English" pairs) and wrapped in
tr(); English comes from `ui/translations/cati_en.qm`, built from `cati_en.ts` by
`scripts/build_translations.py`. Qt's own strings (standard buttons, context menus) come from the
qtbase translations that PySide6 ships. A translator changes the widgets created after it is
installed, so the app installs it before opening its first window.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QTranslator

SOURCE_LANGUAGE = "zh_CN"
_TRANSLATOR_NAME = "cati-translator"
_language = SOURCE_LANGUAGE  # the language the interface speaks now


def in_language(chinese: str, english: str) -> str:
    """A name the data carries in both languages (a disposition's label_zh and label_en): the
    one the interface speaks now (Chinese when there is no English)."""
    return english if _language != SOURCE_LANGUAGE and english else chinese


def translations_dir() -> Path:
    """The folder of the shipped .ts and .qm files (inside the installed `ui` package)."""
    return Path(str(resources.files("ui").joinpath("translations")))


def qm_file(language: str) -> Path:
    return translations_dir() / f"cati_{language}.qm"


def install_translator(app: QCoreApplication, language: str) -> bool:
    """Shows the interface in `language` ("zh_CN", "en") in the widgets created from now on.

    Replaces the translators this function installed before. True when the program's strings
    will be in that language: always for zh_CN (the language they are written in), otherwise
    when cati_<language>.qm was found and loaded.
    """
    global _language
    remove_translators(app)
    qt_translations = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    _install(app, f"qtbase_{language}", qt_translations)  # Qt's own strings, where shipped
    if language == SOURCE_LANGUAGE:
        return True
    path = qm_file(language)
    installed = _install(app, path.name, str(path.parent))
    if installed:
        _language = language
    return installed


def remove_translators(app: QCoreApplication) -> None:
    """Back to the strings as written (Chinese), for widgets created from now on."""
    global _language
    _language = SOURCE_LANGUAGE
    for translator in app.findChildren(QTranslator):
        if translator.objectName() == _TRANSLATOR_NAME:
            app.removeTranslator(translator)
            translator.setParent(None)
            translator.deleteLater()


def _install(app: QCoreApplication, filename: str, directory: str) -> bool:
    translator = QTranslator(app)  # the app owns it, so it lives as long as the app
    translator.setObjectName(_TRANSLATOR_NAME)
    if translator.load(filename, directory) and app.installTranslator(translator):
        return True
    translator.setParent(None)
    translator.deleteLater()
    return False
