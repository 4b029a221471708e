// MainWindow: menus, file dialogs, recent models, preferences and help.
#include "app/gui/demo_paths.h"
#include "app/gui/export_dialog.h"
#include "app/gui/main_window.h"
#include "app/gui/parameter_checks.h"
#include "app/gui/parameters_dock.h"
#include "app/gui/preferences_dialog.h"
#include "app/gui/worker.h"
#include "core/io/version.h"

#include <QAction>
#include <QApplication>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QStatusBar>

namespace moewb::gui {

namespace {
const QString kRecentKey = QStringLiteral("recentModels");
constexpr int kMaxRecent = 8;
} // namespace

void MainWindow::createMenus()
{
    auto* file = menuBar()->addMenu(tr("&File"));
    auto* open = file->addAction(tr("&Open checkpoint\u2026"), this, &MainWindow::chooseCheckpoint);
    open->setShortcut(QKeySequence::Open);
    auto* demo = file->addMenu(tr("Open &demo model"));
    for (const QString& name : demoModelNames()) {
        const QString label = name == QLatin1String("qwen") ? tr("Qwen1.5-MoE style (shared experts)")
            : name == QLatin1String("mixtral")              ? tr("Mixtral style (8 experts, top-2)")
                                                            : tr("DeepSeek-V2 style (MLA, shared experts)");
        auto* action = demo->addAction(label, this, [this, name] { openModel(demoModelPath(name)); });
        action->setEnabled(!demoModelPath(name).isEmpty());
        if (!action->isEnabled())
            action->setToolTip(tr("Not found in this installation"));
    }
    m_recentMenu = file->addMenu(tr("Open &recent"));
    rebuildRecentMenu();
    file->addSeparator();
    file->addAction(tr("Open &session\u2026"), this, &MainWindow::chooseSession);
    auto* save = file->addAction(tr("&Save session"), this, &MainWindow::saveSession);
    save->setShortcut(QKeySequence::Save);
    auto* saveAs = file->addAction(tr("Save session &as\u2026"), this, &MainWindow::saveSessionWithDialog);
    saveAs->setShortcut(QKeySequence::SaveAs);
    file->addSeparator();
    auto* exportModel = file->addAction(tr("&Export compressed model\u2026"), this, [this] {
        if (m_worker->busy()) { // the dialog's jobs would take the worker's current slot from a run
            statusBar()->showMessage(tr("Wait until the running job has finished, or cancel it, before exporting."), 8000);
            return;
        }
        const QString folder = QDir::home().filePath(m_model.name.isEmpty() ? QStringLiteral("moe-export")
                                                                            : m_model.name + QStringLiteral("-compressed"));
        auto* dialog = new ExportDialog(m_worker, folder, this);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        dialog->open();
    });
    exportModel->setStatusTip(tr("Write a plan of the session as a checkpoint folder, after a deployability report"));
    file->addSeparator();
    auto* quit = file->addAction(tr("&Quit"), qApp, &QApplication::quit);
    quit->setShortcut(QKeySequence::Quit);

    auto* edit = menuBar()->addMenu(tr("&Edit"));
    auto* preferences = edit->addAction(tr("&Preferences\u2026"), this, &MainWindow::editPreferences);
    preferences->setShortcut(QKeySequence::Preferences);
    preferences->setMenuRole(QAction::PreferencesRole);

    auto* run = menuBar()->addMenu(tr("&Run"));
    auto* analyze = run->addAction(tr("&Analyze importance"), this, &MainWindow::runAnalysis);
    analyze->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_1));
    analyze->setStatusTip(
        tr("Calibration pass: expert removal losses and routing statistics, layer by layer"));
    auto* search = run->addAction(tr("&Search"), this, &MainWindow::runSearch);
    search->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_2));
    search->setStatusTip(tr("Genetic search per layer, then the KT block search (reuses the analysis)"));
    auto* all = run->addAction(tr("Run a&ll"), this, &MainWindow::runAll);
    all->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    auto* decompose = run->addAction(tr("&Decompose (low rank)"), this, &MainWindow::decompose);
    decompose->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_5)); // Ctrl+4: Run method (gui4)
    decompose->setStatusTip(
        tr("Factor the surviving experts of the plan chosen under Low rank: rank allocation and SVD"));
    auto* evaluate = run->addAction(tr("Apply && &evaluate"), this, &MainWindow::applyAndEvaluate);
    evaluate->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_3));
    evaluate->setStatusTip(
        tr("Perplexity, KL, task accuracy, size and speed of the original and every plan"));
    auto* method = run->addAction(tr("Run &method"), this, &MainWindow::runMethod);
    method->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_4));
    method->setStatusTip(tr("Expert/Layer/Block Drop, Wanda, SparseGPT or CD-MoE as chosen in Parameters"));
    auto* recover = run->addAction(tr("Rec&over\u2026"), this, &MainWindow::showRecover);
    recover->setStatusTip(tr("LoRA recovery fine-tuning of a plan, with the live loss curve"));
    m_runActions = {analyze, search, all, decompose, evaluate, method, recover};
    m_runActions.append(exportModel);
    run->addSeparator();
    m_cancelAction = run->addAction(tr("&Cancel"), this, &MainWindow::cancel);
    m_cancelAction->setShortcut(QKeySequence(Qt::Key_Escape));
    run->addSeparator();
    run->addAction(tr("&Parameters\u2026"), this, &MainWindow::showParameters);

    m_viewMenu = menuBar()->addMenu(tr("&View"));
    for (auto* dock : findChildren<QDockWidget*>())
        m_viewMenu->addAction(dock->toggleViewAction());

    auto* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&Methods guide"), this, &MainWindow::showMethodsGuide);
    help->addAction(tr("&About MoE Workbench"), this, &MainWindow::showAbout);
    onBusyChanged();
}

void MainWindow::chooseCheckpoint()
{
    const QString dir
        = QFileDialog::getExistingDirectory(this, tr("Open checkpoint folder (config.json + safetensors)"));
    if (!dir.isEmpty())
        openModel(dir);
}

void MainWindow::chooseSession()
{
    const QString file
        = QFileDialog::getOpenFileName(this, tr("Open session"), QString(), tr("Sessions (*.h5)"));
    if (!file.isEmpty())
        openSession(file);
}

void MainWindow::saveSession()
{
    if (m_worker->sessionPath().isEmpty())
        saveSessionWithDialog();
    else
        saveSessionAs(m_worker->sessionPath());
}

void MainWindow::saveSessionWithDialog()
{
    QString file = QFileDialog::getSaveFileName(
        this, tr("Save session"), m_worker->sessionPath(), tr("Sessions (*.h5)"));
    if (file.isEmpty())
        return;
    if (QFileInfo(file).suffix().isEmpty())
        file += QStringLiteral(".h5");
    saveSessionAs(file);
}

void MainWindow::showParameters()
{
    for (auto* dock : findChildren<QDockWidget*>())
        if (dock->widget() == m_parameters) {
            dock->show();
            dock->raise();
        }
    m_parameters->setFocus();
}

void MainWindow::editPreferences()
{
    PreferencesDialog dialog(m_preferences, this);
    if (dialog.exec() == QDialog::Accepted)
        setPreferences(dialog.preferences());
}

void MainWindow::setPreferences(const Preferences& preferences)
{
    const Preferences before = m_preferences;
    m_preferences = preferences;
    m_preferences.save();
    m_evalSettings = preferences.evaluation;
    if (preferences.threads != before.threads) {
        if (m_worker->busy()) // a queued job would become the current one and hide the run's results
            statusBar()->showMessage(tr("The thread count applies from the next start."), 5000);
        else
            m_worker->setThreads(preferences.threads);
    }
    if (preferences.device != before.device) { // the next run moves the model there
        RunSettings s = m_settings;
        s.device = preferences.device;
        setRunSettings(s);
    }
}

bool MainWindow::refuseInvalidParameters()
{
    const auto issues = checkParameters(m_settings, m_model);
    if (!hasErrors(issues))
        return false;
    QStringList errors;
    for (const auto& issue : issues)
        if (issue.severity == ParameterIssue::Severity::Error)
            errors << issue.message;
    m_lastError = errors.join(QLatin1Char('\n'));
    statusBar()->showMessage(tr("Not started: %1").arg(errors.front()), 10000);
    showParameters();
    return true;
}

void MainWindow::rememberRecent(const QString& directory)
{
    QSettings settings;
    QStringList recent = settings.value(kRecentKey).toStringList();
    recent.removeAll(directory);
    recent.prepend(directory);
    while (recent.size() > kMaxRecent)
        recent.removeLast();
    settings.setValue(kRecentKey, recent);
    rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu()
{
    m_recentMenu->clear();
    const QStringList recent = QSettings().value(kRecentKey).toStringList();
    for (const QString& dir : recent)
        m_recentMenu->addAction(dir, this, [this, dir] { openModel(dir); });
    m_recentMenu->setEnabled(!recent.isEmpty());
}

void MainWindow::showAbout()
{
    QMessageBox::about(this, tr("About MoE Workbench"),
        tr("<h3>MoE Workbench %1</h3>"
           "<p>Analyse, compress, evaluate and export Mixture-of-Experts language "
           "models: MoE-I\u00b2, expert/layer/block drop and CD-MoE condensing.</p>")
            .arg(QString::fromLatin1(moewb::version())));
}

void MainWindow::showMethodsGuide()
{
    auto* box = new QMessageBox(QMessageBox::Information, tr("Methods guide"),
        tr("<h3>MoE-I\u00b2 expert pruning</h3>"), QMessageBox::Close, this);
    box->setInformativeText(
        tr("<p><b>1. Analyze importance.</b> Calibration text runs through the model one layer at a time. "
           "For every expert the exact change of the MoE block's output when that expert alone is removed "
           "is its <i>removal loss</i>; a layer's importance is the sum over its experts. The heatmap also "
           "shows routing statistics: how often an expert is selected, its mean gate weight when selected "
           "and its mean softmax mass.</p>"
           "<p><b>2. Pruning counts.</b> A global ratio of routed experts is removed; important layers lose "
           "fewer (the orange bars in the layer chart).</p>"
           "<p><b>3. Search.</b> For each layer a genetic search looks for the set of experts whose removal "
           "changes the layer output least; the convergence plot shows the best, mean and worst loss of each "
           "generation. Small layers are enumerated exactly instead.</p>"
           "<p><b>4. KT block search.</b> Consecutive blocks of T layers try every combination of each "
           "layer's K best sets through the real layers and keep the combination with the smallest output "
           "change. Removed experts are marked \u2715 in the heatmap.</p>"
           "<p>Everything is saved in the session file and can be run the same way with "
           "<tt>moe-compress analyze</tt> and <tt>moe-compress search</tt>.</p>"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

} // namespace moewb::gui
