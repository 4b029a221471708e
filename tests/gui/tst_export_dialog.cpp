// File ▸ Export compressed model… (app/gui/export_dialog.h) on the Mixtral demo model with a session
// holding two hand-written plans: "drop-one" removes expert 7 of every MoE layer (the standard format
// holds it), "lowrank" removes one expert of the first MoE layer and factors two others (extended
// only). The dialog shows core's deployability report before writing; Export writes on the worker
// thread and reports the reload check; the written folders reload with MoeModel::open with the
// plan's expert counts, and the standard export's logits equal those of the source model with the
// plan applied, computed here independently. Refusals (non-empty folder, a kind that cannot hold the
// plan, a full disk) are shown in the report and disable Export; a cancelled export leaves nothing.
// LibTorch before Qt (Qt's `slots` keyword breaks LibTorch headers).
#include "core/model/moe_model.h"
#include "core/plan/apply.h"
#include "core/session/session.h"
// clang-format off
#include "app/gui/export_dialog.h"
#include "app/gui/main_window.h"
#include "app/gui/worker.h"
#include "support/paths.h"
// clang-format on

#include <QCheckBox>
#include <QComboBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>
#include <fstream>
#include <sstream>

using moewb::gui::ExportDialog;

namespace {

const std::filesystem::path kModel = moewb::test::sourceDir() / "resources/demo/models/mixtral";

// Waits for the dialog's next report (after the 250 ms debounce and the worker's preview).
bool nextReport(ExportDialog& dialog)
{
    QSignalSpy ready(&dialog, &ExportDialog::reportReady);
    return ready.wait(60000);
}

} // namespace

class TestExportDialog : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void reportThenStandardExport();
    void extendedExportAndRefusals();
    void cancelLeavesNothing();

private:
    QTemporaryDir m_dir;
    QString m_session;
    moewb::Plan m_dropOne;
    std::unique_ptr<moewb::gui::MainWindow> m_window;
};

void TestExportDialog::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    if (!std::filesystem::exists(kModel / "config.json"))
        QSKIP("the Mixtral demo model is not there");
    const auto model = moewb::MoeModel::open(kModel);
    const auto& spec = model->spec();
    std::ifstream in(kModel / "config.json");
    std::stringstream config;
    config << in.rdbuf();
    moewb::Session session;
    session.setSource({kModel, config.str(), model->checkpoint().identityHash()});
    moewb::Plan dropOne;
    dropOne.name = "drop-one";
    dropOne.method = "moe-i2";
    for (int layer : spec.moeLayerIndices())
        dropOne.steps.push_back(moewb::RemoveExperts{layer, {7}});
    session.setPlan(dropOne);
    m_dropOne = dropOne;
    moewb::Plan lowrank;
    lowrank.name = "lowrank";
    lowrank.method = "moe-i2";
    const int first = spec.moeLayerIndices().front();
    lowrank.steps.push_back(moewb::RemoveExperts{first, {7}});
    lowrank.steps.push_back(
        moewb::FactorExperts{first, {{0, 16, moewb::SvdMode::Plain}, {3, 24, moewb::SvdMode::Plain}}, ""});
    session.setPlan(lowrank);
    m_session = m_dir.filePath(QStringLiteral("export.h5"));
    session.save(m_session.toStdString());

    m_window = std::make_unique<moewb::gui::MainWindow>();
    QSignalSpy finished(m_window->worker(), &moewb::gui::Worker::jobFinished);
    m_window->openSession(m_session);
    QVERIFY(finished.wait(60000));
    QCoreApplication::processEvents();
}

void TestExportDialog::reportThenStandardExport()
{
    const QString target = m_dir.filePath(QStringLiteral("standard"));
    ExportDialog dialog(m_window->worker(), target);
    dialog.show();
    QVERIFY(nextReport(dialog));
    // Without a choice the dialog reports on the first plan and lists every plan of the session.
    QCOMPARE(dialog.planCombo()->count(), 2);
    QCOMPARE(dialog.planCombo()->currentText(), QStringLiteral("drop-one"));
    const auto& report = dialog.report();
    QCOMPARE(report.plan, QStringLiteral("drop-one"));
    QVERIFY2(report.error.isEmpty(), qPrintable(report.error));
    QCOMPARE(report.kind, QStringLiteral("standard"));
    const auto model = moewb::MoeModel::open(kModel);
    const auto& spec = model->spec();
    const auto moe = spec.moeLayerIndices();
    QCOMPARE(report.layers, spec.numLayers);
    QVERIFY(report.parameters < report.sourceParameters);
    QVERIFY(!report.runtimes.empty());
    const QString shown = dialog.reportView()->toPlainText();
    QVERIFY2(shown.contains(QStringLiteral("transformers")), qPrintable(shown));
    QVERIFY(shown.contains(QStringLiteral("standard")));
    QVERIFY(dialog.exportButton()->isEnabled());
    QVERIFY(!QFile::exists(target)); // the report wrote nothing

    QSignalSpy done(&dialog, &ExportDialog::exportDone);
    QTest::mouseClick(dialog.exportButton(), Qt::LeftButton);
    QVERIFY(dialog.exporting());
    QVERIFY(!dialog.exportButton()->isEnabled());
    QVERIFY(done.wait(300000));
    QVERIFY2(done.at(0).at(0).toBool(), qPrintable(dialog.result().error));
    const auto& result = dialog.result();
    QVERIFY(result.written && result.verified && result.verificationPassed);
    QVERIFY(result.maxDiff <= result.tolerance);
    QVERIFY(dialog.resultLabel()->text().contains(QStringLiteral("Verified")));
    QVERIFY(QFile::exists(target + QStringLiteral("/config.json")));

    // Independently: the folder reloads with our loader with 7 experts in every MoE layer, and its
    // logits equal the source model's with the plan applied (no rounding: the demo's own dtype).
    const auto reloaded = moewb::MoeModel::open(target.toStdString());
    for (int layer : moe)
        QCOMPARE(reloaded->spec().layers[static_cast<size_t>(layer)].numExperts, 7);
    auto applied = moewb::MoeModel::open(kModel);
    moewb::applyPlan(*applied, m_dropOne);
    const auto ids = torch::arange(1, 33, torch::kLong).reshape({1, 32}) * 7 % spec.vocabSize;
    const auto expected = applied->forward(ids).logits;
    const auto got = reloaded->forward(ids).logits;
    const double scale = expected.abs().max().item<double>();
    const double diff = (expected - got).abs().max().item<double>();
    qInfo("standard export: max |logit diff| %.3g of max |logit| %.3g; dialog: %s", diff, scale,
        qPrintable(dialog.resultLabel()->text()));
    QVERIFY(diff <= 1e-4 * scale);
}

void TestExportDialog::extendedExportAndRefusals()
{
    QTemporaryDir busy; // a folder with a file in it
    QFile file(busy.filePath(QStringLiteral("keep.txt")));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("x");
    file.close();

    ExportDialog dialog(m_window->worker(), busy.path());
    moewb::gui::ExportSettings s;
    s.target = busy.path();
    s.plan = QStringLiteral("lowrank");
    dialog.setSettings(s);
    QVERIFY(nextReport(dialog));
    QVERIFY(dialog.report().error.contains(QStringLiteral("not empty")));
    QVERIFY(dialog.reportView()->toPlainText().contains(QStringLiteral("not empty")));
    QVERIFY(!dialog.exportButton()->isEnabled());
    dialog.replaceCheck()->setChecked(true);
    QVERIFY(nextReport(dialog));
    QVERIFY2(dialog.report().error.isEmpty(), qPrintable(dialog.report().error));
    QCOMPARE(dialog.report().kind, QStringLiteral("extended")); // auto: factored experts
    QVERIFY(!dialog.report().notStandard.isEmpty());

    dialog.kindCombo()->setCurrentIndex(dialog.kindCombo()->findData(QStringLiteral("standard")));
    QVERIFY(nextReport(dialog));
    QVERIFY(dialog.report().error.contains(QStringLiteral("standard format")));
    QVERIFY(!dialog.exportButton()->isEnabled());
    dialog.kindCombo()->setCurrentIndex(dialog.kindCombo()->findData(QStringLiteral("auto")));
    dialog.setFreeBytesOverride(1000); // a full disk
    QVERIFY(nextReport(dialog));
    QVERIFY2(dialog.report().error.contains(QStringLiteral("free")), qPrintable(dialog.report().error));
    QVERIFY(!dialog.exportButton()->isEnabled());
    dialog.setFreeBytesOverride(std::nullopt);

    const QString target = m_dir.filePath(QStringLiteral("extended"));
    dialog.folderEdit()->setText(target);
    QVERIFY(nextReport(dialog));
    QVERIFY(dialog.exportButton()->isEnabled());
    QSignalSpy done(&dialog, &ExportDialog::exportDone);
    dialog.startExport();
    QVERIFY(done.wait(300000));
    QVERIFY2(done.at(0).at(0).toBool(), qPrintable(dialog.result().error));
    QVERIFY(dialog.result().verificationPassed);
    QVERIFY(QFile::exists(busy.filePath(QStringLiteral("keep.txt")))); // never written into
    const auto reloaded = moewb::MoeModel::open(target.toStdString());
    const auto moe = reloaded->spec().moeLayerIndices();
    QCOMPARE(reloaded->spec().layers[static_cast<size_t>(moe.front())].numExperts, 7);
    QCOMPARE(reloaded->spec().layers[static_cast<size_t>(moe.back())].numExperts, 8);
    qInfo("extended export: %s", qPrintable(dialog.resultLabel()->text()));
}

void TestExportDialog::cancelLeavesNothing()
{
    const QString target = m_dir.filePath(QStringLiteral("cancelled"));
    ExportDialog dialog(m_window->worker(), target);
    QVERIFY(nextReport(dialog));
    QVERIFY(dialog.exportButton()->isEnabled());
    QSignalSpy done(&dialog, &ExportDialog::exportDone);
    dialog.startExport();
    dialog.cancelButton()->click(); // before the worker starts it: cancelled at once
    QVERIFY(done.wait(60000));
    QCOMPARE(done.at(0).at(0).toBool(), false);
    QVERIFY(!dialog.exporting());
    QVERIFY(!QFile::exists(target));
    QVERIFY(nextReport(dialog)); // asks for the report again, and Export is possible again
    QVERIFY(dialog.exportButton()->isEnabled());
}

QTEST_MAIN(TestExportDialog)
#include "tst_export_dialog.moc"
