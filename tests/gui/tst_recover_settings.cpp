// Recover's Advanced section and training data through the GUI: the fields' ranges, collapse and
// QSettings; the values typed into the panel reach core's finetuneLora (batch, sequence length,
// evaluation interval and windows, warm-up, patience; checked against core run directly); a run
// without held-out text keeps its last step; JSONL instruction pairs train as core does and a
// malformed line is refused with its line number.
#include "app/gui/main_window.h"
#include "app/gui/recover_panel.h"
#include "app/gui/worker.h"
#include "support/gui_jobs.h"
#include "support/paths.h"
#include "support/recover_fixtures.h"
#include "widgets/loss_curve.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFile>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>
#include <cmath>

using namespace moewb::test; // demo(), waitForJob(), tinyRecover(), coreRun(), ...

class TestRecoverSettings : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void advancedChecks();
    void advancedFieldsReachCore();
    void keptAtLastStepWithoutHeldOut();
    void instructionPairs();
};

// The Advanced fields without a model: out-of-range values (only possible through RecoverSettings,
// the spin boxes stop them) are refused, the section is collapsed for the defaults and shown for
// others, and the six values are remembered in QSettings group `recover`.
void TestRecoverSettings::advancedChecks()
{
    using moewb::gui::RecoverPanel;
    moewb::gui::RecoverSettings r;
    r.plan = QStringLiteral("p");
    QVERIFY(RecoverPanel::problemOf(r).isEmpty());
    for (int* value : {&r.batchSize, &r.evalEvery, &r.evalBlocks, &r.patience}) {
        const int kept = *value;
        *value = -2;
        QVERIFY(RecoverPanel::problemOf(r).startsWith(QStringLiteral("Advanced")));
        *value = kept;
    }
    r.sequenceLength = 1;
    QVERIFY(!RecoverPanel::problemOf(r).isEmpty());
    r.sequenceLength = 2;
    r.warmupSteps = -2;
    QVERIFY(!RecoverPanel::problemOf(r).isEmpty());
    r.warmupSteps = -1; // auto
    QVERIFY(RecoverPanel::problemOf(r).isEmpty());

    RecoverPanel panel;
    panel.setPlans({QStringLiteral("p")});
    panel.setSettings(moewb::gui::RecoverSettings{});
    auto* advanced = panel.findChild<QToolButton*>(QStringLiteral("advanced"));
    QVERIFY(advanced && !advanced->isChecked());
    QCOMPARE(advancedField(&panel, "warmupSteps")->text(), QStringLiteral("Auto"));
    r.batchSize = 6;
    r.sequenceLength = 48;
    r.evalEvery = 7;
    r.evalBlocks = 5;
    r.warmupSteps = 2;
    r.patience = 0;
    panel.setSettings(r);
    QVERIFY(advanced->isChecked());
    QVERIFY(advancedField(&panel, "patience")->isVisibleTo(&panel));
    QCOMPARE(advancedField(&panel, "patience")->text(), QStringLiteral("Never stop early"));
    RecoverPanel::saveSettings(panel.settings());
    const auto loaded = RecoverPanel::loadSettings();
    QSettings().remove(QStringLiteral("recover"));
    QCOMPARE(loaded.batchSize, 6);
    QCOMPARE(loaded.sequenceLength, 48);
    QCOMPARE(loaded.evalEvery, 7);
    QCOMPARE(loaded.evalBlocks, 5);
    QCOMPARE(loaded.warmupSteps, 2);
    QCOMPARE(loaded.patience, 0);
}

// The Advanced fields, typed into the panel (not set in RecoverSettings), reach core. Batch 2, 32
// tokens, held-out every 5 steps on 3 windows, warm-up 3, 6 steps: the curve has perplexity points at
// steps 0, 5 and 6 (every 10 steps would give 0 and 6), its losses and held-out perplexities are
// core's for those settings (batch 4, 128 tokens or 4 windows give others), step 1's learning rate is
// a third of the peak (auto warm-up is 0 steps here: the full rate), and the plan records batch 2 and
// seq_len 32. Then patience 1 with a learning rate of 1.0 and an evaluation after every step: core
// stops at the first evaluation without a new best, before the last of 3 steps, and so does the GUI
// (with patience 3 it would train all 3).
void TestRecoverSettings::advancedFieldsReachCore()
{
    MOEWB_REQUIRE_DEMO_MODEL("qwen");
    moewb::gui::MainWindow w;
    const QString base = expertDropOnQwen(w);
    QVERIFY(!base.isEmpty());
    auto* panel = w.recoverPanel();
    moewb::gui::RecoverSettings r; // the defaults, but for the plan, the texts and a small run
    r.plan = base;
    r.trainPath = demo("calib.txt");
    r.heldOutPath = demo("eval.txt");
    r.steps = 6;
    r.rank = 2;
    r.alpha = 4;
    panel->setSettings(r);
    auto* advanced = panel->findChild<QToolButton*>(QStringLiteral("advanced"));
    QVERIFY(advanced);
    QVERIFY(!advanced->isChecked()); // the defaults: collapsed
    QVERIFY(!advancedField(panel, "batchSize")->isVisibleTo(panel));
    advanced->click();
    QVERIFY(advancedField(panel, "batchSize")->isVisibleTo(panel));
    advancedField(panel, "batchSize")->setValue(2);
    advancedField(panel, "sequenceLength")->setValue(32);
    advancedField(panel, "evalEvery")->setValue(5);
    advancedField(panel, "evalBlocks")->setValue(3);
    advancedField(panel, "warmupSteps")->setValue(3);
    moewb::gui::RecoverSettings typed = r; // what the fields say
    typed.batchSize = 2;
    typed.sequenceLength = 32;
    typed.evalEvery = 5;
    typed.evalBlocks = 3;
    typed.warmupSteps = 3;

    QSignalSpy spy(w.worker(), &moewb::gui::Worker::lossPointReady);
    QVERIFY(waitForJob(w, w.recover(panel->settings())));
    QCoreApplication::processEvents();
    auto* curve = w.lossCurve();
    QCOMPARE(curve->lossPoints(), 6);
    QCOMPARE(curve->perplexityPoints(), 3);

    using namespace moewb;
    QTemporaryDir dir;
    const QString file = dir.filePath(QStringLiteral("advanced.h5"));
    QVERIFY(waitForJob(w, w.saveSessionAs(file)));
    const Session session = Session::open(file.toStdString());
    const auto lora = session.plans().find(base.toStdString() + "-lora");
    QVERIFY(lora != session.plans().end());
    const auto& parameters = lora->second.plan.parameters.at("lora");
    QCOMPARE(parameters.at("batch").get<int>(), 2);
    QCOMPARE(parameters.at("seq_len").get<int>(), 32);

    const auto run = coreRun(session, typed);
    QCOMPARE(run.losses.size(), size_t(6));
    for (int i = 0; i < 6; ++i) {
        qInfo("step %d: GUI loss %.6f, core loss %.6f", i + 1, curve->lossAt(i), run.losses[size_t(i)]);
        QVERIFY(std::abs(curve->lossAt(i) - run.losses[size_t(i)]) < 1e-3);
    }
    QCOMPARE(run.heldOut.size(), size_t(3));
    int compared = 0;
    for (const auto& p : caught(spy)) {
        if (p.step == 1) {
            qInfo("step 1: learning rate %g (peak %g)", p.lr, r.lr);
            QVERIFY(std::abs(p.lr - r.lr / 3) < 1e-12);
        }
        if (std::isnan(p.heldOutPerplexity))
            continue;
        for (const auto& [step, perplexity] : run.heldOut)
            if (step == p.step) {
                qInfo("step %lld: GUI held-out perplexity %.4f, core %.4f", p.step, p.heldOutPerplexity, perplexity);
                QVERIFY(std::abs(p.heldOutPerplexity - perplexity) < 1e-4 * perplexity);
                ++compared;
            }
    }
    QCOMPARE(compared, 3);

    // Patience 1 at a learning rate of 1.0, evaluated after every step.
    r.steps = 3;
    r.lr = 1.0;
    r.evalEvery = 1;
    r.batchSize = 2;
    r.sequenceLength = 32;
    r.evalBlocks = 2;
    panel->setSettings(r);
    QVERIFY(advanced->isChecked()); // not the defaults: shown
    advancedField(panel, "patience")->setValue(1);
    typed = r;
    typed.patience = 1;
    QVERIFY(waitForJob(w, w.recover(panel->settings())));
    QCoreApplication::processEvents();
    const auto stopped = coreRun(session, typed);
    qInfo("patience 1: core trained %zu of 3 steps (early stop %d), the GUI %d", stopped.losses.size(),
        int(stopped.earlyStopped), curve->lossPoints());
    QVERIFY(stopped.earlyStopped);
    QVERIFY(stopped.losses.size() < 3);
    QCOMPARE(curve->lossPoints(), int(stopped.losses.size()));
}

// Without held-out text nothing selects the adapters: the last step's are kept, and the curve marks
// that step ("kept: step 2" after 2 steps), with no perplexity point.
void TestRecoverSettings::keptAtLastStepWithoutHeldOut()
{
    MOEWB_REQUIRE_DEMO_MODEL("qwen");
    moewb::gui::MainWindow w;
    const QString base = expertDropOnQwen(w);
    QVERIFY(!base.isEmpty());
    moewb::gui::RecoverSettings r = tinyRecover(base, 2);
    r.heldOutPath = QStringLiteral("-"); // none
    QVERIFY(waitForJob(w, w.recover(r)));
    QCoreApplication::processEvents();
    auto* curve = w.lossCurve();
    QCOMPARE(curve->lossPoints(), 2);
    QCOMPARE(curve->perplexityPoints(), 0);
    QCOMPARE(curve->keptStep(), 2LL);
    QCOMPARE(curve->keptLabel(), QStringLiteral("kept: step 2"));
}

// JSONL instruction pairs as the training text, in the format `moe-compress finetune --train` takes:
// the plan records data "instruction pairs" and the curve's losses are core's on the same pairs
// (loss on the responses). A malformed line fails the job with the file and the line named.
void TestRecoverSettings::instructionPairs()
{
    MOEWB_REQUIRE_DEMO_MODEL("qwen");
    moewb::gui::MainWindow w;
    const QString base = expertDropOnQwen(w);
    QVERIFY(!base.isEmpty());
    QTemporaryDir dir;
    const QString pairs = dir.filePath(QStringLiteral("pairs.jsonl"));
    {
        QFile f(pairs);
        QVERIFY(f.open(QIODevice::WriteOnly));
        for (int i = 0; i < 12; ++i)
            f.write(QStringLiteral("{\"prompt\": \"And God said, Let there be light %1:\", \"response\": \" and "
                                   "there was light.\"}\n")
                        .arg(i)
                        .toUtf8());
    }
    moewb::gui::RecoverSettings r = tinyRecover(base, 2);
    r.trainPath = pairs;
    QVERIFY(waitForJob(w, w.recover(r)));
    QCoreApplication::processEvents();
    auto* curve = w.lossCurve();
    QCOMPARE(curve->lossPoints(), 2);

    using namespace moewb;
    const QString file = dir.filePath(QStringLiteral("pairs.h5"));
    QVERIFY(waitForJob(w, w.saveSessionAs(file)));
    const Session session = Session::open(file.toStdString());
    const auto lora = session.plans().find(base.toStdString() + "-lora");
    QVERIFY(lora != session.plans().end());
    QCOMPARE(QString::fromStdString(lora->second.plan.parameters.at("lora").at("data").get<std::string>()),
        QStringLiteral("instruction pairs"));
    const auto run = coreRun(session, r);
    QCOMPARE(run.losses.size(), size_t(2));
    for (int i = 0; i < 2; ++i) {
        qInfo("pairs, step %d: GUI loss %.6f, core loss %.6f", i + 1, curve->lossAt(i), run.losses[size_t(i)]);
        QVERIFY(std::abs(curve->lossAt(i) - run.losses[size_t(i)]) < 1e-3);
    }

    const QString bad = dir.filePath(QStringLiteral("bad.jsonl"));
    {
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("{\"prompt\": \"Let there be\", \"response\": \" light.\"}\n{\"prompt\": \"unclosed\n");
    }
    r.plan = base;
    r.trainPath = bad;
    QVERIFY(!waitForJob(w, w.recover(r)));
    qInfo("malformed pairs: %s", qPrintable(w.lastError()));
    QVERIFY(w.lastError().contains(QStringLiteral("bad.jsonl")));
    QVERIFY(w.lastError().contains(QStringLiteral("line 2")));
}

QTEST_MAIN(TestRecoverSettings)
#include "tst_recover_settings.moc"
