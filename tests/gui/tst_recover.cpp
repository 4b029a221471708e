// Run ▸ Recover through the GUI (issue #18): after Expert Drop on the Qwen demo model, LoRA recovery
// for a few steps on tiny settings runs on the worker; the loss curve gets one point per step (and
// held-out perplexity points at step 0 and every evaluated step), its values are the losses core's
// finetuneLora reports for the same settings run here directly, and the plan '<plan>-lora' is in the
// session (the base plan's steps followed by low-rank deltas) and in the Compare view. The same with
// distillation from the original model (T 2, weight 0.5): core's losses for those settings, the
// objective in the plan's parameters; its temperature and weight are checked as typed.
#include "core/calib/dataset.h"
#include "core/io/tokenizer.h"
#include "core/model/moe_model.h"
#include "core/plan/apply.h"
#include "core/session/session.h"
#include "core/train/lora.h"
#include "core/train/lora_train_data.h"

#include "app/gui/main_window.h"
#include "app/gui/recover_panel.h"
#include "app/gui/worker.h"
#include "support/gui_jobs.h"
#include "support/paths.h"
#include "widgets/compare_view.h"
#include "widgets/loss_curve.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFile>
#include <QPushButton>
#include <QSpinBox>
#include <QToolButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <cmath>

using namespace moewb::test; // demo(), waitForJob(), ...

namespace {

// Recover's tiny settings on the demo: 2 x 32 tokens a step, LoRA rank 2, alpha 4.
moewb::gui::RecoverSettings tinyRecover(const QString& plan, int steps)
{
    moewb::gui::RecoverSettings r;
    r.plan = plan;
    r.trainPath = demo("calib.txt");
    r.heldOutPath = demo("eval.txt");
    r.steps = steps;
    r.lr = 1e-3;
    r.rank = 2;
    r.alpha = 4;
    r.batchSize = 2;
    r.sequenceLength = 32;
    r.evalEvery = 2;
    r.evalBlocks = 2;
    return r;
}

// The fine-tuning Recover ran with `r`, directly through core on the saved session's plan `r.plan`
// (distillation: the original Qwen demo as the teacher): its per-step losses, held-out values and
// kept step.
moewb::FinetuneResult coreRun(const moewb::Session& session, const moewb::gui::RecoverSettings& r)
{
    using namespace moewb;
    const auto base = session.plans().find(r.plan.toStdString());
    if (base == session.plans().end())
        return {};
    const ComputeOptions compute{torch::kFloat, torch::kCPU};
    auto model = MoeModel::open(demo("models/qwen").toStdString(), compute);
    model->makeResident();
    applyPlan(*model, base->second.plan, sessionTensorSource(session));
    const auto tokenizer = Tokenizer::fromFile(model->path() / "tokenizer.json");
    const auto train = readLoraTrainData(r.trainPath.toStdString(), tokenizer);
    const auto heldOut = r.heldOutPath == QLatin1String("-")
        ? std::vector<int32_t>{}
        : tokenize(readTextCorpus(r.heldOutPath.toStdString()), tokenizer);
    LoraOptions lo;
    lo.rank = r.rank;
    lo.alpha = r.alpha;
    auto adapters = attachLora(*model, lo);
    FinetuneOptions fo;
    fo.steps = r.steps;
    fo.lr = r.lr;
    fo.batchSize = r.batchSize;
    fo.seqLen = r.sequenceLength;
    fo.evalEvery = r.evalEvery;
    fo.evalBlocks = r.evalBlocks;
    fo.warmupSteps = r.warmupSteps >= 0 ? r.warmupSteps : std::min(10, r.steps / 10); // -1: the GUI's auto
    fo.patience = r.patience;
    fo.objective = parseObjective(r.objective.toStdString());
    std::unique_ptr<MoeModel> teacher;
    if (fo.objective == FinetuneObjective::Distill) {
        teacher = MoeModel::open(demo("models/qwen").toStdString(), compute);
        teacher->makeResident();
        fo.teacher = teacher.get();
        fo.temperature = r.temperature;
        fo.distillWeight = r.distillWeight;
    }
    return finetuneLora(*model, adapters, train, heldOut, fo);
}

// Opens the Qwen demo and runs Expert Drop 25 % on 2 x 32 calibration tokens: the plan Recover starts
// from. Returns its name (empty when a step failed).
QString expertDropOnQwen(moewb::gui::MainWindow& w)
{
    if (!openDemoModel(w, "qwen"))
        return {};
    moewb::gui::RunSettings s = demoRun(QStringLiteral("expert-drop"), 2, 32);
    s.methodParameters.dropRatio = 0.25;
    w.setRunSettings(s);
    if (!waitForJob(w, w.runMethod()))
        return {};
    QCoreApplication::processEvents();
    return QStringLiteral("expert-drop-layerwise-0.25");
}

} // namespace

class TestRecover : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void recoverFewSteps();
    void recoverByDistillation();
    void distillationChecks();
    void cancelStoresNothing();
    void advancedChecks();
    void advancedFieldsReachCore();
    void keptAtLastStepWithoutHeldOut();
    void instructionPairs();
};

void TestRecover::recoverFewSteps()
{
    MOEWB_REQUIRE_DEMO_MODEL("qwen");
    moewb::gui::MainWindow w;
    const QString base = expertDropOnQwen(w);
    QVERIFY(!base.isEmpty());

    moewb::gui::RecoverSettings r = tinyRecover(base, 3);
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

    QCOMPARE(curve->lossLabel(), QStringLiteral("Cross-entropy loss (nats)"));
    const auto run = coreRun(session, r);
    const auto& direct = run.losses;
    QCOMPARE(direct.size(), size_t(3));
    for (int i = 0; i < 3; ++i) {
        qInfo("step %d: GUI loss %.6f, core loss %.6f", i + 1, curve->lossAt(i),
            direct[static_cast<size_t>(i)]);
        QVERIFY(std::abs(curve->lossAt(i) - direct[static_cast<size_t>(i)]) < 1e-3);
    }
    QCOMPARE(
        QString::fromStdString(lora->second.plan.parameters.at("lora").at("objective").get<std::string>()),
        QStringLiteral("lm"));
    // LM: no held-out loss series (the perplexity points show it), the kept step marked as core keeps it.
    QVERIFY(curve->heldOutLoss().isEmpty());
    qInfo("LM: kept step GUI %lld, core %lld", curve->keptStep(), static_cast<long long>(run.bestStep));
    QCOMPARE(curve->keptStep(), static_cast<long long>(run.bestStep));
    QCOMPARE(curve->keptLabel(), QStringLiteral("kept: step %1").arg(run.bestStep));
    // A learning rate far too high (1.0, 2 steps, held-out after each): training makes the held-out
    // perplexity worse, core keeps an earlier step than the last, and the marker follows core.
    moewb::gui::RecoverSettings wild = r;
    wild.lr = 1.0;
    wild.steps = 2;
    wild.evalEvery = 1;
    QVERIFY(waitForJob(w, w.recover(wild)));
    QCoreApplication::processEvents();
    const auto wildRun = coreRun(session, wild);
    qInfo("lr 1: kept step GUI %lld, core %lld of %lld", curve->keptStep(), static_cast<long long>(wildRun.bestStep),
        static_cast<long long>(wildRun.steps));
    QVERIFY(wildRun.bestStep < wildRun.steps);
    QCOMPARE(curve->keptStep(), static_cast<long long>(wildRun.bestStep));

    QVERIFY(inCompare(w, base + QStringLiteral("-lora")));

    // MOEWB_SCREENSHOTS=DIR: the Recover tab for docs/ with a longer run (60 steps, 4 x 64 tokens a
    // step, held-out perplexity every 10 steps on 8 windows) of a harsher plan (half the experts).
    const QString shots = qEnvironmentVariable("MOEWB_SCREENSHOTS");
    if (shots.isEmpty())
        return;
    moewb::gui::RunSettings s = demoRun(QStringLiteral("expert-drop"), 8, 64);
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
    QVERIFY(saveTabScreenshot(w, w.recoverPanel(), QSize(1200, 760), shots, QStringLiteral("recover.png")));
}

// Distillation (T 2, weight 0.5) for 2 steps after Expert Drop 25 %: the curve's losses are core's
// for the same settings with the original model as the teacher (an LM run's, or one with T 1, would
// differ), the axis says what the loss is, and '<plan>-lora' records the objective, T and A. The
// held-out distillation loss (evaluated before training and at step 2) is drawn as core's
// heldOutObjective, and the kept marker sits at core's bestStep.
void TestRecover::recoverByDistillation()
{
    MOEWB_REQUIRE_DEMO_MODEL("qwen");
    moewb::gui::MainWindow w;
    const QString base = expertDropOnQwen(w);
    QVERIFY(!base.isEmpty());

    moewb::gui::RecoverSettings r = tinyRecover(base, 2);
    r.objective = QStringLiteral("distill");
    r.temperature = 2.0;
    r.distillWeight = 0.5;
    moewb::gui::RecoverSettings bad = r; // refused: T <= 0
    bad.temperature = 0;
    QCOMPARE(w.recover(bad), 0);

    QVERIFY(waitForJob(w, w.recover(r)));
    QCoreApplication::processEvents();
    auto* curve = w.lossCurve();
    QCOMPARE(curve->lossPoints(), 2);
    QCOMPARE(curve->lossLabel(), QStringLiteral("Distillation loss (nats)"));

    using namespace moewb;
    QTemporaryDir dir;
    const QString file = dir.filePath(QStringLiteral("distill.h5"));
    QVERIFY(waitForJob(w, w.saveSessionAs(file)));
    const Session session = Session::open(file.toStdString());
    const auto lora = session.plans().find(base.toStdString() + "-lora");
    QVERIFY(lora != session.plans().end());
    const auto& parameters = lora->second.plan.parameters.at("lora");
    QCOMPARE(
        QString::fromStdString(parameters.at("objective").get<std::string>()), QStringLiteral("distill"));
    QCOMPARE(parameters.at("temperature").get<double>(), 2.0);
    QCOMPARE(parameters.at("distill_weight").get<double>(), 0.5);

    const auto run = coreRun(session, r);
    const auto& direct = run.losses;
    moewb::gui::RecoverSettings lm = r;
    lm.objective = QStringLiteral("lm");
    const auto lmDirect = coreRun(session, lm).losses;
    QCOMPARE(direct.size(), size_t(2));
    QCOMPARE(lmDirect.size(), size_t(2));
    for (int i = 0; i < 2; ++i) {
        qInfo("step %d: GUI loss %.6f, core distillation loss %.6f, core LM loss %.6f", i + 1,
            curve->lossAt(i), direct[static_cast<size_t>(i)], lmDirect[static_cast<size_t>(i)]);
        QVERIFY(std::abs(curve->lossAt(i) - direct[static_cast<size_t>(i)]) < 1e-3);
    }
    QVERIFY(std::abs(direct[0] - lmDirect[0]) > 0.05); // the objective matters at step 1

    const auto heldOut = curve->heldOutLoss();
    QCOMPARE(run.heldOutObjective.size(), size_t(2)); // before training and at step 2
    QCOMPARE(heldOut.size(), 2);
    for (int i = 0; i < 2; ++i) {
        const auto e = static_cast<size_t>(i);
        qInfo("step %lld: GUI held-out loss %.6f, core held-out objective %.6f (log perplexity %.6f)",
            static_cast<long long>(run.heldOut[e].first), heldOut[i].y(), run.heldOutObjective[e],
            std::log(run.heldOut[e].second));
        QCOMPARE(heldOut[i].x(), static_cast<double>(run.heldOut[e].first));
        QVERIFY(std::abs(heldOut[i].y() - run.heldOutObjective[e]) < 1e-4);
        QVERIFY(std::abs(heldOut[i].y() - std::log(run.heldOut[e].second)) > 0.05); // not the LM value
    }
    qInfo("distillation: kept step GUI %lld, core %lld", curve->keptStep(), static_cast<long long>(run.bestStep));
    QCOMPARE(curve->keptStep(), static_cast<long long>(run.bestStep));
    QCOMPARE(parameters.at("best_step").get<long long>(), curve->keptStep());
    QVERIFY(inCompare(w, base + QStringLiteral("-lora")));
}

// The panel's objective fields: temperature and weight enabled only for distillation, T <= 0 and A
// outside [0, 1] refused there (and ignored for LM), remembered in QSettings group `recover`.
void TestRecover::distillationChecks()
{
    using moewb::gui::RecoverPanel;
    moewb::gui::RecoverSettings r;
    r.plan = QStringLiteral("p");
    QVERIFY(RecoverPanel::problemOf(r).isEmpty());
    r.temperature = 0; // not used by the LM objective
    QVERIFY(RecoverPanel::problemOf(r).isEmpty());
    r.objective = QStringLiteral("distill");
    QVERIFY(RecoverPanel::problemOf(r).contains(QStringLiteral("temperature")));
    r.temperature = -1;
    QVERIFY(!RecoverPanel::problemOf(r).isEmpty());
    r.temperature = 2;
    QVERIFY(RecoverPanel::problemOf(r).isEmpty());
    r.distillWeight = 1.5;
    QVERIFY(RecoverPanel::problemOf(r).contains(QStringLiteral("weight")));
    r.distillWeight = 0;
    QVERIFY(RecoverPanel::problemOf(r).isEmpty());
    r.objective = QStringLiteral("kd");
    QVERIFY(!RecoverPanel::problemOf(r).isEmpty());

    RecoverPanel panel;
    panel.setPlans({QStringLiteral("p")});
    auto* temperature = panel.findChild<QDoubleSpinBox*>(QStringLiteral("temperature"));
    auto* weight = panel.findChild<QDoubleSpinBox*>(QStringLiteral("distillWeight"));
    auto* objective = panel.findChild<QComboBox*>(QStringLiteral("objective"));
    QVERIFY(temperature && weight && objective);
    r.objective = QStringLiteral("lm");
    r.temperature = 0;
    panel.setSettings(r);
    QVERIFY(!temperature->isEnabled() && !weight->isEnabled());
    QVERIFY(panel.startButton()->isEnabled());
    objective->setCurrentIndex(objective->findData(QStringLiteral("distill")));
    QVERIFY(temperature->isEnabled() && weight->isEnabled());
    QVERIFY(!panel.startButton()->isEnabled()); // T 0
    QVERIFY(!panel.problem().isEmpty());
    temperature->setValue(1.5);
    weight->setValue(0.25);
    QVERIFY(panel.startButton()->isEnabled());
    QCOMPARE(panel.settings().objective, QStringLiteral("distill"));

    RecoverPanel::saveSettings(panel.settings());
    const auto loaded = RecoverPanel::loadSettings();
    QCOMPARE(loaded.objective, QStringLiteral("distill"));
    QCOMPARE(loaded.temperature, 1.5);
    QCOMPARE(loaded.distillWeight, 0.25);
    QSettings().remove(QStringLiteral("recover"));
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

namespace {

// The Recover points `spy` caught (Worker::lossPointReady).
QList<moewb::gui::LossPoint> caught(const QSignalSpy& spy)
{
    QList<moewb::gui::LossPoint> points;
    for (const auto& args : spy)
        points.push_back(args.at(0).value<moewb::gui::LossPoint>());
    return points;
}

QSpinBox* advancedField(moewb::gui::RecoverPanel* panel, const char* name)
{
    return panel->findChild<QSpinBox*>(QLatin1String(name));
}

} // namespace

// The Advanced fields without a model: out-of-range values (only possible through RecoverSettings,
// the spin boxes stop them) are refused, the section is collapsed for the defaults and shown for
// others, and the six values are remembered in QSettings group `recover`.
void TestRecover::advancedChecks()
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
void TestRecover::advancedFieldsReachCore()
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
void TestRecover::keptAtLastStepWithoutHeldOut()
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
void TestRecover::instructionPairs()
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

QTEST_MAIN(TestRecover)
#include "tst_recover.moc"
