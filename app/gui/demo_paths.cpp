#include "app/gui/demo_paths.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

namespace moewb::gui {

QStringList demoDirectoryCandidates()
{
    // In this order; the first holding models/ or calib.txt wins:
    // 1. $MOEWB_DEMO_DIR, an explicit override;
    // 2. the demo relative to this executable (<prefix>/bin/../share/moe-workbench/demo), so that a
    //    package extracted or installed under any prefix (dpkg -x, cmake --install --prefix) uses its own;
    // 3. the configured install dir (CMAKE_INSTALL_PREFIX at build time), for an executable that was
    //    copied elsewhere;
    // 4. resources/demo of the source tree this was built from, for a build tree.
    QStringList candidates;
    if (const QString env = qEnvironmentVariable("MOEWB_DEMO_DIR"); !env.isEmpty())
        candidates << env;
#ifdef MOEWB_DEMO_RELATIVE_DIR
    if (QCoreApplication::instance())
        candidates << QCoreApplication::applicationDirPath() + QLatin1Char('/')
                + QStringLiteral(MOEWB_DEMO_RELATIVE_DIR);
#endif
#ifdef MOEWB_DEMO_INSTALL_DIR
    candidates << QStringLiteral(MOEWB_DEMO_INSTALL_DIR);
#endif
#ifdef MOEWB_DEMO_SOURCE_DIR
    candidates << QStringLiteral(MOEWB_DEMO_SOURCE_DIR);
#endif
    return candidates;
}

QString demoDirectory()
{
    for (const QString& dir : demoDirectoryCandidates())
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
