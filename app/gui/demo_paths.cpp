#include "app/gui/demo_paths.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

namespace moewb::gui {

QString demoDirectory()
{
    QStringList candidates;
    if (const QString env = qEnvironmentVariable("MOEWB_DEMO_DIR"); !env.isEmpty())
        candidates << env;
    if (QCoreApplication::instance())
        candidates << QCoreApplication::applicationDirPath() + QStringLiteral("/../share/moe-workbench/demo");
#ifdef MOEWB_DEMO_INSTALL_DIR
    candidates << QStringLiteral(MOEWB_DEMO_INSTALL_DIR);
#endif
#ifdef MOEWB_DEMO_SOURCE_DIR
    candidates << QStringLiteral(MOEWB_DEMO_SOURCE_DIR);
#endif
    for (const QString& dir : candidates)
        if (QFileInfo::exists(dir + QStringLiteral("/models"))
            || QFileInfo::exists(dir + QStringLiteral("/calib.txt")))
            return QDir::cleanPath(dir);
    return {};
}

QStringList demoModelNames()
{
    return {QStringLiteral("qwen"), QStringLiteral("mixtral"), QStringLiteral("deepseek")};
}

QString demoModelPath(const QString& name)
{
    const QString dir = demoDirectory();
    if (dir.isEmpty())
        return {};
    const QString path = dir + QStringLiteral("/models/") + name;
    return QFileInfo::exists(path + QStringLiteral("/config.json")) ? path : QString();
}

QString demoCalibrationPath()
{
    return demoFilePath(QStringLiteral("calib.txt"));
}

QString demoFilePath(const QString& name)
{
    const QString dir = demoDirectory();
    const QString path = dir + QLatin1Char('/') + name;
    return !dir.isEmpty() && QFileInfo::exists(path) ? path : QString();
}

} // namespace moewb::gui
