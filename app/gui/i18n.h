// Languages of the workbench: English (the source), Simplified Chinese and German, compiled from
// translations/*.ts into resources (:/i18n/moe-workbench_<code>.qm). The language follows the
// system locale unless Preferences names one; a change takes effect at the next start.
#pragma once
#include <QList>
#include <QPair>
#include <QString>

class QCoreApplication;

namespace moewb::gui {

// (code, name in that language): "en", "zh_CN", "de".
QList<QPair<QString, QString>> availableLanguages();

// The language to load for a preference: "" or "system" follows QLocale::system(); an unknown
// language falls back to English. Returns a code from availableLanguages().
QString resolveLanguage(const QString& preference);

// Installs the workbench's translator (and Qt's own, where installed) for `code` on `app`. Returns
// false when no compiled translation for it is embedded (English needs none).
bool installTranslators(QCoreApplication& app, const QString& code);

} // namespace moewb::gui
