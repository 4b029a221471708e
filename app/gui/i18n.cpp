#include "app/gui/i18n.h"

#include <QCoreApplication>
#include <QLibraryInfo>
#include <QLocale>
#include <QTranslator>

namespace moewb::gui {

QList<QPair<QString, QString>> availableLanguages()
{
    // Each language names itself, so that a user who cannot read the current one finds theirs.
    return {{QStringLiteral("en"), QStringLiteral("English")},
        {QStringLiteral("zh_CN"), QStringLiteral("\u7b80\u4f53\u4e2d\u6587")},
        {QStringLiteral("de"), QStringLiteral("Deutsch")}};
}

QString resolveLanguage(const QString& preference)
{
    const auto known = availableLanguages();
    for (const auto& [code, name] : known)
        if (preference == code)
            return code;
    const QLocale system = QLocale::system();
    if (system.language() == QLocale::Chinese)
        return QStringLiteral("zh_CN"); // the only Chinese translation (Simplified)
    if (system.language() == QLocale::German)
        return QStringLiteral("de");
    return QStringLiteral("en");
}

bool installTranslators(QCoreApplication& app, const QString& code)
{
    if (code == QLatin1String("en"))
        return true;
    auto* own = new QTranslator(&app);
    if (!own->load(QStringLiteral(":/i18n/moe-workbench_%1.qm").arg(code))) {
        delete own;
        return false;
    }
    QCoreApplication::installTranslator(own);
    // Qt's own strings (standard buttons, file dialogs) when the Qt translations are installed.
    auto* qt = new QTranslator(&app);
    if (qt->load(QStringLiteral("qtbase_%1").arg(code), QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
        QCoreApplication::installTranslator(qt);
    else
        delete qt;
    return true;
}

} // namespace moewb::gui
