// moe-workbench [MODEL_DIR]: the Qt GUI. Opens MODEL_DIR, or the Qwen-style demo model when it is
// installed (or in the source tree of this build; --print-demo-dir says which, app/gui/demo_paths.h).
#include "app/gui/demo_paths.h"
#include "app/gui/i18n.h"
#include "app/gui/main_window.h"
#include "app/gui/preferences.h"
#include "app/gui/screenshots.h"
#include "app/gui/worker.h"
#include "core/io/warning.h"
#include "core/util/runtime.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QPointer>
#include <QStatusBar>
#include <QTimer>
#include <cstdio>
#include <memory>

namespace {

// --print-demo-dir: the folder on stdout, or (exit 1) where it was looked for on stderr.
int printDemoDirectory()
{
    const QString dir = moewb::gui::demoDirectory();
    if (dir.isEmpty()) {
        std::fprintf(stderr, "moe-workbench: no demo folder in: %s\n",
            qPrintable(moewb::gui::demoDirectoryCandidates().join(QStringLiteral(", "))));
        return 1;
    }
    std::printf("%s\n", qPrintable(dir));
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    moewb::relaunchWithPassiveOpenMp(argv);  // before Qt or LibTorch start threads (docs/decisions.md)
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("moe-workbench"));
    QApplication::setOrganizationName(QStringLiteral("MoE Workbench"));
    QApplication::setApplicationDisplayName(QStringLiteral("MoE Workbench"));
    const moewb::gui::Preferences preferences = moewb::gui::Preferences::load();
    moewb::initRuntime(preferences.threads);
    // The language comes before any translated string; --language (parsed by hand for that reason)
    // overrides Preferences, which default to the system locale.
    QString language = preferences.language;
    const QStringList arguments = QApplication::arguments();
    for (qsizetype i = 0; i < arguments.size(); ++i) {
        if (arguments[i] == QLatin1String("--language") && i + 1 < arguments.size())
            language = arguments[i + 1];
        else if (arguments[i].startsWith(QLatin1String("--language=")))
            language = arguments[i].mid(11);
    }
    moewb::gui::installTranslators(app, moewb::gui::resolveLanguage(language));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QApplication::translate("main", "Workbench for compressing Mixture-of-Experts models"));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("MODEL_DIR"),
        QApplication::translate("main", "Checkpoint folder to open (default: the Qwen demo model)"));
    const QCommandLineOption runAll(QStringLiteral("run-all"),
        QApplication::translate("main", "Start Run all (analysis and search) once the model is open"));
    const QCommandLineOption shots(QStringLiteral("screenshots"),
        QApplication::translate("main", "After the run, save PNGs of every view into DIR and quit"),
        QStringLiteral("DIR"));
    const QCommandLineOption forceGenetic(QStringLiteral("force-genetic"),
        QApplication::translate("main", "Search genetically even where every set can be enumerated"));
    const QCommandLineOption languageOption(QStringLiteral("language"),
        QApplication::translate("main", "User interface language: en, zh_CN or de (default: Preferences)"),
        QStringLiteral("CODE"));
    const QCommandLineOption printDemoDir(QStringLiteral("print-demo-dir"),
        QApplication::translate("main", "Print the demo folder this executable uses and quit"));
    parser.addOption(languageOption);
    parser.addOption(runAll);
    parser.addOption(shots);
    parser.addOption(forceGenetic);
    parser.addOption(printDemoDir);
    parser.process(app);
    if (parser.isSet(printDemoDir)) // how the package test sees which demo an installed tree uses
        return printDemoDirectory();

    moewb::gui::MainWindow window;
    // Core's warnings (e.g. a config.json that leaves checkpoint layers unused) come from the worker
    // thread: on stderr at once, and in the status bar through the event loop.
    QPointer<moewb::gui::MainWindow> shown(&window);
    moewb::setWarningHandler([shown](const std::string& message) {
        std::fprintf(stderr, "moe-workbench: warning: %s\n", message.c_str());
        const QString text = QString::fromStdString(message);
        QMetaObject::invokeMethod(qApp, [shown, text] {
            if (shown)
                shown->statusBar()->showMessage(QApplication::translate("main", "Warning: %1").arg(text), 30000);
        }, Qt::QueuedConnection);
    });
    // Screenshots show the default parameters, not the ones this user ran last.
    auto settings = parser.isSet(shots) ? moewb::gui::RunSettings{} : window.runSettings();
    settings.forceGenetic = settings.forceGenetic || parser.isSet(forceGenetic);
    window.setRunSettings(settings);
    window.show();
    const QStringList args = parser.positionalArguments();
    const QString model = args.isEmpty() ? moewb::gui::demoModelPath(QStringLiteral("qwen")) : args.front();
    if (!model.isEmpty())
        window.openModel(model);
    if (parser.isSet(runAll) || parser.isSet(shots)) {
        // A run started now would cancel the model's opening: start it once the model is open.
        auto started = std::make_shared<int>(0);
        QObject::connect(window.worker(), &moewb::gui::Worker::modelOpened, &window, [&window, started] {
            if (*started == 0)
                *started = window.runAll();
        });
        auto evaluating = std::make_shared<int>(0);
        auto decomposing = std::make_shared<int>(0);
        QObject::connect(window.worker(), &moewb::gui::Worker::jobFinished, &window,
            [&, started, decomposing, evaluating](int finished) {
                if (!parser.isSet(shots))
                    return;
                if (finished == *started && *started != 0) { // then Decompose for the Ranks tab
                    *decomposing = window.decompose();
                    return;
                }
                if (finished == *decomposing && *decomposing != 0) { // then Apply & evaluate for Compare
                    *evaluating = window.applyAndEvaluate();
                    return;
                }
                if (finished != *evaluating || *evaluating == 0)
                    return;
                // Let the throttled replots (40 ms) land before grabbing.
                QTimer::singleShot(500, &window, [&] {
                    for (const QString& file : moewb::gui::saveScreenshots(window, parser.value(shots)))
                        std::printf("%s\n", qPrintable(file));
                    QApplication::quit();
                });
            });
        QObject::connect(
            window.worker(), &moewb::gui::Worker::jobFailed, &window, [&](int, const QString& message) {
                std::fprintf(stderr, "moe-workbench: error: %s\n", qPrintable(message));
                if (parser.isSet(shots))
                    QApplication::exit(1);
            });
    }
    return QApplication::exec();
}
