// Run ▸ Recover through the GUI (issue #18): after Expert Drop on the Qwen demo model, LoRA recovery
// for a few steps on tiny settings runs on the worker; the loss curve gets one point per step (and
// held-out perplexity points at step 0 and every evaluated step), its values are the losses core's
// finetuneLora reports for the same settings run here directly, and the plan '<plan>-lora' is in the
// session (the base plan's steps followed by low-rank deltas) and in the Compare view.
#include "core/calib/dataset.h"
#include "core/io/tokenizer.h"
#include "core/model/moe_model.h"
#include "core/plan/apply.h"
#include "core/session/session.h"
#include "core/train/lora.h"

#include "app/gui/main_window.h"
#include "app/gui/recover_panel.h"
#include "app/gui/worker.h"
#include "support/gui_jobs.h"
#include "support/paths.h"
#include "widgets/compare_view.h"
#include "widgets/loss_curve.h"

#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <cmath>

using namespace moewb::test; // demo(), waitForJob(), ...

class TestRecover : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void recoverFewSteps();
    void cancelStoresNothing();
};

void TestRecover::recoverFewSteps()
{
    MOEWB_REQUIRE_DEMO_MODEL("qwen");
    moewb::gui::MainWindow w;
    QVERIFY(openDemoModel(w, "qwen"));
    moewb::gui::RunSettings s = demoRun(QStringLiteral("expert-drop"), 2, 32);
    s.methodParameters.dropRatio = 0.25;
    w.setRunSettings(s);
    QVERIFY(waitForJob(w, w.runMethod()));
    QCoreApplication::processEvents();
    const QString base = QStringLiteral("expert-drop-layerwise-0.25");

    moewb::gui::RecoverSettings r;
    r.plan = base;
    r.trainPath = demo("calib.txt");
    r.heldOutPath = demo("eval.txt");
    r.steps = 3;
    r.lr = 1e-3;
    r.rank = 2;
    r.alpha = 4;
    r.batchSize = 2;
    r.sequenceLength = 32;
    r.evalEvery = 2;
    r.evalBlocks = 2;
    // Refused without a plan or with a learning rate of 0.
    moewb::gui::RecoverSettings bad = r;
    bad.lr = 0;
    QCOMPARE(w.recover(bad), 0);
    bad = r;
    bad.plan.clear();
    QCOMPARE(w.recover(bad), 0);

    QSignalSpy points(w.worker(), &moewb::gui::Worker::lossPointReady);
    QVERIFY(waitForJob(w, w.recover(r)));
    QCoreApplication::processEvents();
    QCOMPARE(w.centralTabs()->currentWidget(), w.recoverPanel());
    auto* curve = w.lossCurve();
    QCOMPARE(curve->lossPoints(), 3); // one per step
    QCOMPARE(curve->perplexityPoints(), 3); // before training, step 2, the last step
    QCOMPARE(points.size(), 4);

    // The same run directly through core: the same losses.
    using namespace moewb;
    QTemporaryDir dir; // the window keeps saving the session there
    const QString file = dir.filePath(QStringLiteral("recover.h5"));
    QVERIFY(waitForJob(w, w.saveSessionAs(file)));
    const Session session = Session::open(file.toStdString());
    const auto basePlan = session.plans().find(base.toStdString());
    const auto lora = session.plans().find(base.toStdString() + "-lora");
    QVERIFY(basePlan != session.plans().end());
    QVERIFY(lora != session.plans().end());
    const auto& steps = lora->second.plan.steps;
    QVERIFY(steps.size() > basePlan->second.plan.steps.size());
    for (size_t i = basePlan->second.plan.steps.size(); i < steps.size(); ++i)
        QVERIFY(std::holds_alternative<ApplyDelta>(steps[i]));

    auto model = MoeModel::open(demo("models/qwen").toStdString(), ComputeOptions{torch::kFloat, torch::kCPU});
    model->makeResident();
    applyPlan(*model, basePlan->second.plan, sessionTensorSource(session));
    const auto tokenizer = Tokenizer::fromFile(model->path() / "tokenizer.json");
    const auto train = tokenize(readTextCorpus(demo("calib.txt").toStdString()), tokenizer);
    const auto heldOut = tokenize(readTextCorpus(demo("eval.txt").toStdString()), tokenizer);
    LoraOptions lo;
    lo.rank = 2;
    lo.alpha = 4;
    auto adapters = attachLora(*model, lo);
    FinetuneOptions fo;
    fo.steps = 3;
    fo.lr = 1e-3;
    fo.batchSize = 2;
    fo.seqLen = 32;
    fo.evalEvery = 2;
    fo.evalBlocks = 2;
    fo.warmupSteps = 0; // the GUI caps warm-up at a tenth of the steps
    const FinetuneResult direct = finetuneLora(*model, adapters, train, heldOut, fo);
    QCOMPARE(direct.losses.size(), size_t(3));
    for (int i = 0; i < 3; ++i) {
        qInfo("step %d: GUI loss %.6f, core loss %.6f", i + 1, curve->lossAt(i), direct.losses[static_cast<size_t>(i)]);
        QVERIFY(std::abs(curve->lossAt(i) - direct.losses[static_cast<size_t>(i)]) < 1e-3);
    }

    QVERIFY(inCompare(w, base + QStringLiteral("-lora")));

    // MOEWB_SCREENSHOTS=DIR: the Recover tab for docs/ with a longer run (60 steps, 4 x 64 tokens a
    // step, held-out perplexity every 10 steps on 8 windows) of a harsher plan (half the experts).
    const QString shots = qEnvironmentVariable("MOEWB_SCREENSHOTS");
    if (shots.isEmpty())
        return;
    s.samples = 8;
    s.sequenceLength = 64;
    s.methodParameters.dropRatio = 0.5;
    w.setRunSettings(s);
    QVERIFY(waitForJob(w, w.runMethod()));
    r.plan = QStringLiteral("expert-drop-layerwise-0.5");
    r.steps = 60;
    r.rank = 8;
    r.alpha = 16;
    r.lr = 2e-3;
    r.batchSize = 4;
    r.sequenceLength = 64;
    r.evalEvery = 10;
    r.evalBlocks = 8;
    QCoreApplication::processEvents();
    w.recoverPanel()->setSettings(r);
    QSignalSpy shotPoints(w.worker(), &moewb::gui::Worker::lossPointReady);
    QVERIFY(waitForJob(w, w.recover(r), 600000));
    QCoreApplication::processEvents();
    for (const auto& args : shotPoints) {
        const auto p = args.at(0).value<moewb::gui::LossPoint>();
        if (!std::isnan(p.heldOutPerplexity))
            qInfo("step %lld: held-out perplexity %.3f", p.step, p.heldOutPerplexity);
    }
    QVERIFY(saveTabScreenshot(w, w.recoverPanel(), QSize(1200, 560), shots, QStringLiteral("recover.png")));
}

// Cancel during fine-tuning: the job ends as cancelled soon after (at the next step), and no
// '<plan>-lora' is stored.
void TestRecover::cancelStoresNothing()
{
    MOEWB_REQUIRE_DEMO_MODEL("qwen");
    moewb::gui::MainWindow w;
    QVERIFY(openDemoModel(w, "qwen"));
    w.setRunSettings(demoRun(QStringLiteral("layer-drop"), 2, 32));
    QVERIFY(waitForJob(w, w.runMethod()));
    moewb::gui::RecoverSettings r;
    r.plan = QStringLiteral("layer-drop-1");
    r.trainPath = demo("calib.txt");
    r.heldOutPath = QStringLiteral("-"); // none
    r.steps = 100000;
    r.rank = 2;
    r.batchSize = 2;
    r.sequenceLength = 32;
    const qint64 ms = cancelAtFirstLossPoint(w, [&] { return w.recover(r); });
    QVERIFY(ms >= 0 && ms < 5000);
    QVERIFY(!inCompare(w, QStringLiteral("layer-drop-1-lora")));
}

QTEST_MAIN(TestRecover)
#include "tst_recover.moc"
