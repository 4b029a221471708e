// Run ▸ Run method with CD-MoE condensing and fine-tuning of the condensed experts through the GUI
// (issue #17): on the Qwen demo model at tiny settings, 3 fine-tuning steps run on the worker after
// condensing; the Recover tab's loss curve gets one point per step, and its values are the losses
// core's finetuneCondensed reports for the same settings run here directly on the plan before
// fine-tuning; the session holds both '<plan>' (condensed layers + dense deltas) and
// '<plan>-no-finetune', as `moe-compress run --method condense --finetune-steps` stores them. Also:
// a learning rate of 0 is refused inline, and Cancel during fine-tuning stores no plan. The run sets
// the fine-tuning batch, warm-up, weight decay, "fine-tune the shared experts" and the plan's name
// through the dock's widgets (not the CLI's defaults), and the plan records and core reproduces them.
#include "core/calib/dataset.h"
#include "core/io/tokenizer.h"
#include "core/model/moe_model.h"
#include "core/plan/apply.h"
#include "core/session/session.h"
#include "core/train/condense_finetune.h"

#include "app/gui/main_window.h"
#include "app/gui/method_types.h"
#include "app/gui/parameters_dock.h"
#include "app/gui/recover_panel.h"
#include "app/gui/worker.h"
#include "support/gui_jobs.h"
#include "support/paths.h"
#include "widgets/compare_view.h"
#include "widgets/loss_curve.h"

#include <QCheckBox>
#include <QDoubleSpinBox>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <cmath>

using namespace moewb::test; // demo(), waitForJob(), ...

namespace {

moewb::gui::RunSettings tinyCondense()
{
    moewb::gui::RunSettings s = demoRun(QStringLiteral("condense"), 2, 32);
    s.seed = 5;
    s.methodParameters.condenseLayers = 1;
    s.methodParameters.condenseExperts = 2;
    s.methodParameters.condenseFinetuneSteps = 3;
    s.methodParameters.condenseFinetuneLr = 1e-3;
    return s; // training text: the calibration text
}

} // namespace

class TestCondenseFinetune : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void finetuneThreeSteps();
    void cancelStoresNothing();
};

void TestCondenseFinetune::finetuneThreeSteps()
{
    MOEWB_REQUIRE_DEMO_MODEL("qwen");
    moewb::gui::MainWindow w;
    QVERIFY(openDemoModel(w, "qwen"));
    moewb::gui::RunSettings s = tinyCondense();

    // Inline check: fine-tuning with a learning rate of 0 is refused.
    s.methodParameters.condenseFinetuneLr = 0;
    w.setRunSettings(s);
    QVERIFY(!w.parameters()->issues().isEmpty());
    QCOMPARE(w.parameters()->issues().front().field, QStringLiteral("condenseFinetuneLr"));
    QCOMPARE(w.runMethod(), 0);
    auto* steps = w.parameters()->findChild<QSpinBox*>(QStringLiteral("condenseFinetuneSteps"));
    QVERIFY(steps && !steps->isHidden() && steps->parentWidget()->isVisibleTo(w.parameters()));

    s.methodParameters.condenseFinetuneLr = 1e-3;
    w.setRunSettings(s);
    QVERIFY(w.parameters()->issues().isEmpty());
    QCOMPARE(steps->value(), 3);
    // Batch 2, warm-up 2, weight decay 0.1, routed experts only, plan "cd-ft" (defaults 8, 5, 0, shared).
    const auto child = [&w](auto* type, const char* name) {
        return w.parameters()->findChild<std::remove_pointer_t<decltype(type)>*>(QLatin1String(name));
    };
    child((QSpinBox*)nullptr, "condenseFinetuneBatch")->setValue(2);
    child((QSpinBox*)nullptr, "condenseFinetuneWarmup")->setValue(2);
    child((QDoubleSpinBox*)nullptr, "condenseFinetuneWeightDecay")->setValue(0.1);
    auto* shared = child((QCheckBox*)nullptr, "condenseFinetuneShared");
    QVERIFY(shared->isChecked() && shared->isEnabled());
    shared->setChecked(false);
    child((QLineEdit*)nullptr, "planName")->setText(QStringLiteral("cd-ft"));
    QVERIFY(w.parameters()->issues().isEmpty());
    QSignalSpy points(w.worker(), &moewb::gui::Worker::lossPointReady);
    QSignalSpy stored(w.worker(), &moewb::gui::Worker::planStored);
    QVERIFY(waitForJob(w, w.runMethod()));
    QCoreApplication::processEvents();
    const QString name = QStringLiteral("cd-ft");
    QCOMPARE(stored.size(), 1);
    QCOMPARE(stored.front().at(0).toString(), name);
    QCOMPARE(w.centralTabs()->currentWidget(), w.recoverPanel());
    auto* curve = w.lossCurve();
    QCOMPARE(curve->title(), QStringLiteral("CD-MoE fine-tuning of cd-ft (3 steps)"));
    QCOMPARE(curve->lossPoints(), 3); // one per step
    QCOMPARE(curve->perplexityPoints(), 0);
    QCOMPARE(points.size(), 3);
    for (int i = 0; i < 3; ++i) {
        const auto p = points.at(i).at(0).value<moewb::gui::LossPoint>();
        QCOMPARE(p.run, name);
        QCOMPARE(p.step, static_cast<long long>(i + 1));
        QCOMPARE(p.steps, 3LL);
    }

    // Both plans are in the session: the one before fine-tuning holds only the condensed layers,
    // the fine-tuned one those followed by dense deltas.
    using namespace moewb;
    QTemporaryDir dir; // the window keeps saving the session there
    const QString file = dir.filePath(QStringLiteral("condense.h5"));
    QVERIFY(waitForJob(w, w.saveSessionAs(file)));
    const Session session = Session::open(file.toStdString());
    const auto tuned = session.plans().find(name.toStdString());
    const auto before = session.plans().find(name.toStdString() + "-no-finetune");
    QVERIFY(tuned != session.plans().end());
    QVERIFY(before != session.plans().end());
    std::vector<int> layers;
    for (const auto& step : before->second.plan.steps) {
        QVERIFY(std::holds_alternative<CondenseLayer>(step));
        layers.push_back(std::get<CondenseLayer>(step).layer);
    }
    QCOMPARE(layers.size(), size_t(1));
    const auto& tunedSteps = tuned->second.plan.steps;
    QVERIFY(tunedSteps.size() > layers.size());
    QVERIFY(std::get<CondenseLayer>(tunedSteps.front()) == std::get<CondenseLayer>(before->second.plan.steps.front()));
    for (size_t i = layers.size(); i < tunedSteps.size(); ++i)
        QVERIFY(std::holds_alternative<ApplyDelta>(tunedSteps[i]));
    const auto& recorded = tuned->second.plan.parameters.at("finetune");
    const auto& stored3 = recorded.at("losses");
    QCOMPARE(stored3.size(), size_t(3));
    QCOMPARE(recorded.at("batch_size").get<int>(), 2);
    QCOMPARE(recorded.at("warmup_steps").get<int>(), 2);
    QCOMPARE(recorded.at("weight_decay").get<double>(), 0.1);
    QCOMPARE(recorded.at("shared_experts").get<bool>(), false);

    // The same fine-tuning directly through core on the plan before it: the same losses.
    auto model = MoeModel::open(demo("models/qwen").toStdString(), ComputeOptions{torch::kFloat, torch::kCPU});
    model->makeResident();
    applyPlan(*model, before->second.plan);
    const auto tokenizer = Tokenizer::fromFile(model->path() / "tokenizer.json");
    const auto train = tokenize(readTextCorpus(demo("calib.txt").toStdString()), tokenizer);
    CondenseFinetuneOptions fit;
    fit.steps = 3;
    fit.lr = 1e-3;
    fit.seqLen = 32;
    fit.seed = 5;
    fit.batchSize = 2;
    fit.warmupSteps = 2;
    fit.weightDecay = 0.1;
    fit.sharedExperts = false;
    std::vector<double> lrs;
    const CondenseFinetuneResult direct = finetuneCondensed(*model, layers, train, fit, [&lrs](const CondenseFinetuneStep& step) {
        lrs.push_back(step.lr);
        return true;
    });
    QCOMPARE(direct.losses.size(), size_t(3));
    // Only the kept routed experts were trained: the session's deltas are core's, none of a shared expert.
    size_t deltas = 0;
    for (const auto& step : tunedSteps)
        deltas += std::holds_alternative<ApplyDelta>(step);
    QCOMPARE(deltas, direct.deltas.size());
    for (const auto& [parameter, delta] : direct.deltas)
        QVERIFY2(parameter.find("shared") == std::string::npos, parameter.c_str());
    for (int i = 0; i < 3; ++i) {
        const double core = direct.losses[static_cast<size_t>(i)];
        const auto point = points.at(i).at(0).value<moewb::gui::LossPoint>();
        QCOMPARE(point.lr, lrs[static_cast<size_t>(i)]); // warm-up 2's schedule (5's starts at lr / 5)
        qInfo("step %d: GUI loss %.6f, core loss %.6f", i + 1, curve->lossAt(i), core);
        QVERIFY(std::isfinite(core) && core > 0);
        QVERIFY(std::abs(curve->lossAt(i) - core) < 1e-4);
        QVERIFY(std::abs(stored3.at(static_cast<size_t>(i)).get<double>() - core) < 1e-4);
    }
    // The deltas' tensors are in the session: the fine-tuned plan applies.
    auto check = MoeModel::open(demo("models/qwen").toStdString(), ComputeOptions{torch::kFloat, torch::kCPU});
    check->makeResident();
    applyPlan(*check, tuned->second.plan, sessionTensorSource(session));
    QVERIFY(inCompare(w, name));
}

// Cancel during fine-tuning: the job ends as cancelled soon after (at the next step) and neither plan
// is stored.
void TestCondenseFinetune::cancelStoresNothing()
{
    MOEWB_REQUIRE_DEMO_MODEL("qwen");
    moewb::gui::MainWindow w;
    QVERIFY(openDemoModel(w, "qwen"));
    moewb::gui::RunSettings s = tinyCondense();
    s.methodParameters.condenseFinetuneSteps = 100000;
    w.setRunSettings(s);
    QSignalSpy stored(w.worker(), &moewb::gui::Worker::planStored);
    const qint64 ms = cancelAtFirstLossPoint(w, [&] { return w.runMethod(); });
    QVERIFY(ms >= 0 && ms < 5000);
    QCOMPARE(stored.size(), 0);
    for (const auto& v : w.compareView()->variants())
        QVERIFY(!v.name.startsWith(QStringLiteral("cd-moe")));
}

QTEST_MAIN(TestCondenseFinetune)
#include "tst_condense_finetune.moc"
