// Run ▸ Run method through the GUI (issue #16): Layer Drop on the Qwen demo model runs on the worker,
// its plan goes into the session (saved and read back with core's Session) and into the Compare
// view, and the similarity chart shows exactly what core's computeLayerSimilarity and layerDropPlan
// give on the same calibration blocks, computed here directly; the dropped layers are highlighted.
// Also: the method's parameters are checked inline (Drop N past the MoE layers is refused) and only
// its fields are shown; Run ▸ Decompose factors another method's plan (Expert Drop's) exactly as
// core's decompose stage does.
#include "core/calib/dataset.h"
#include "core/compress/layer_drop.h"
#include "core/io/tokenizer.h"
#include "core/model/moe_model.h"
#include "core/pipeline/moe_i2_stages.h"
#include "core/session/session.h"

#include "app/gui/main_window.h"
#include "app/gui/method_types.h"
#include "app/gui/parameters_dock.h"
#include "app/gui/worker.h"
#include "support/gui_jobs.h"
#include "support/paths.h"
#include "widgets/compare_view.h"
#include "widgets/rank_editor.h"
#include "widgets/similarity_chart.h"

#include <QComboBox>
#include <QGroupBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <algorithm>
#include <cmath>

using namespace moewb::test; // demo(), waitForJob(), ...

class TestHolistic : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void layerDropMatchesCore();
    void everyMethodRunsAndEvaluates();
    void decomposeAnotherMethodsPlan();
};

void TestHolistic::layerDropMatchesCore()
{
    MOEWB_REQUIRE_DEMO_MODEL("qwen");
    moewb::gui::MainWindow w;
    QVERIFY(openDemoModel(w, "qwen"));
    moewb::gui::RunSettings s = demoRun(QStringLiteral("layer-drop"), 4, 64);
    s.calibrationSeed = 3;
    const int moeLayers = static_cast<int>(w.model().moeLayers.size());
    QVERIFY(moeLayers >= 3);

    // Inline check: more sublayers than the model has is an error and the run is refused.
    s.methodParameters.dropN = moeLayers + 1;
    w.setRunSettings(s);
    QVERIFY(!w.parameters()->issues().isEmpty());
    QCOMPARE(w.parameters()->issues().front().field, QStringLiteral("dropN"));
    QVERIFY(!w.parameters()->runButton()->isEnabled());
    QCOMPARE(w.runMethod(), 0);
    // Only Layer / Block Drop's fields are visible; MoE-I²'s groups are hidden.
    auto* dropN = w.parameters()->findChild<QSpinBox*>(QStringLiteral("dropN"));
    auto* population = w.parameters()->findChild<QSpinBox*>(QStringLiteral("population"));
    QVERIFY(dropN && population);
    QVERIFY(!dropN->isHidden() && dropN->parentWidget()->isVisibleTo(w.parameters()));
    QVERIFY(!population->parentWidget()->isVisibleTo(w.parameters()));

    s.methodParameters.dropN = 2;
    w.setRunSettings(s);
    QVERIFY(w.parameters()->issues().isEmpty());
    QSignalSpy similarity(w.worker(), &moewb::gui::Worker::similarityReady);
    QVERIFY(waitForJob(w, w.runMethod()));
    QCoreApplication::processEvents();
    QCOMPARE(similarity.size(), 1);

    // The same blocks and scores, directly from core.
    using namespace moewb;
    auto model = MoeModel::open(demo("models/qwen").toStdString(), ComputeOptions{torch::kFloat, torch::kCPU});
    model->makeResident();
    const auto tokenizer = Tokenizer::fromFile(model->path() / "tokenizer.json");
    const auto blocks = loadTextBlocks(
        demo("calib.txt").toStdString(), tokenizer, BlockOptions{4, 64, BlockSelection::Random, 3});
    const LayerSimilarity sim = computeLayerSimilarity(*model, blocks.ids);
    const Plan plan = layerDropPlan(model->spec(), sim, 2);
    std::vector<int> dropped;
    for (const auto& step : plan.steps)
        dropped.push_back(std::get<DropMoeSublayer>(step).layer);
    QCOMPARE(dropped.size(), size_t(2));

    auto* chart = w.similarityChart();
    QCOMPARE(w.centralTabs()->currentWidget(), chart);
    QCOMPARE(chart->bars(), sim.numLayers);
    int scored = 0;
    for (int l = 0; l < sim.numLayers; ++l) {
        const double expected = sim.moe[static_cast<size_t>(l)];
        if (std::isnan(expected)) {
            QVERIFY(std::isnan(chart->score(l))); // a dense layer: no bar
            continue;
        }
        ++scored;
        QVERIFY2(std::abs(chart->score(l) - expected) < 1e-6,
            qPrintable(QStringLiteral("layer %1: chart %2, core %3").arg(l).arg(chart->score(l)).arg(expected)));
        QVERIFY(expected > -1.0 && expected <= 1.0);
        const bool isDropped = std::find(dropped.begin(), dropped.end(), l) != dropped.end();
        QCOMPARE(chart->isDropped(l), isDropped);
        qInfo("layer %d: similarity %.6f%s", l, expected, isDropped ? "  (dropped)" : "");
    }
    QCOMPARE(scored, moeLayers);
    // The dropped ones are the two highest scores (the most redundant sublayers).
    for (int l = 0; l < sim.numLayers; ++l)
        if (!chart->isDropped(l) && !std::isnan(chart->score(l)))
            for (int d : dropped)
                QVERIFY(chart->score(d) >= chart->score(l));

    // The plan is in the session under the CLI's name, with the same steps, and in Compare.
    QTemporaryDir dir;
    const QString file = dir.filePath(QStringLiteral("s.h5"));
    QVERIFY(waitForJob(w, w.saveSessionAs(file)));
    const Session session = Session::open(file.toStdString());
    const auto it = session.plans().find("layer-drop-2");
    QVERIFY(it != session.plans().end());
    QCOMPARE(it->second.plan.steps.size(), size_t(2));
    for (size_t i = 0; i < 2; ++i)
        QCOMPARE(std::get<DropMoeSublayer>(it->second.plan.steps[i]).layer, dropped[i]);
    QVERIFY(inCompare(w, QStringLiteral("layer-drop-2")));
    // A second run reuses the session's cached scores: the same chart.
    const double first = chart->score(dropped[0]);
    QVERIFY(waitForJob(w, w.runMethod()));
    QCoreApplication::processEvents();
    QCOMPARE(chart->score(dropped[0]), first);

    // MOEWB_SCREENSHOTS=DIR: the chart for docs/ after Layer Drop with the default calibration
    // (16 blocks x 128 tokens) and drop N = 2.
    const QString shots = qEnvironmentVariable("MOEWB_SCREENSHOTS");
    if (shots.isEmpty())
        return;
    s.samples = 16;
    s.sequenceLength = 128;
    s.calibrationSeed = 0;
    w.setRunSettings(s);
    QVERIFY(waitForJob(w, w.runMethod()));
    QCoreApplication::processEvents();
    QVERIFY(saveTabScreenshot(w, chart, QSize(960, 520), shots, QStringLiteral("similarity.png")));
}

// Every method of the combo runs through Run method on the DeepSeek-style demo (shared experts, a
// dense first layer) on tiny settings, stores its plan under the CLI's name, and Apply & evaluate
// evaluates every plan (removals and drops through forward overrides, masks / deltas / condensed
// layers through applyPlan): each smaller than the original, with a finite perplexity.
void TestHolistic::everyMethodRunsAndEvaluates()
{
    MOEWB_REQUIRE_DEMO_MODEL("deepseek");
    moewb::gui::MainWindow w;
    QVERIFY(openDemoModel(w, "deepseek"));
    moewb::gui::RunSettings s = demoRun(QString(), 2, 32); // the method set below
    s.methodParameters.dropN = 1;
    s.methodParameters.pattern = QStringLiteral("2:4");
    const QStringList expected = {QStringLiteral("expert-drop-layerwise-0.25"), QStringLiteral("layer-drop-1"),
        QStringLiteral("block-drop-discrete-1"), QStringLiteral("wanda-2:4"), QStringLiteral("sparsegpt-2:4"),
        QStringLiteral("cd-moe-1x2")};
    const QStringList methods = moewb::gui::extraMethodNames();
    for (int i = 0; i < methods.size(); ++i) {
        s.method = methods[i];
        w.setRunSettings(s);
        QVERIFY2(w.parameters()->issues().isEmpty(), qPrintable(methods[i]));
        QSignalSpy stored(w.worker(), &moewb::gui::Worker::planStored);
        QVERIFY2(waitForJob(w, w.runMethod()), qPrintable(methods[i]));
        QCoreApplication::processEvents();
        QCOMPARE(stored.size(), 1);
        QCOMPARE(stored.front().at(0).toString(), expected[i]);
    }
    moewb::gui::EvalSettings e;
    e.windows = 2;
    e.windowLength = 32;
    e.maxQuestions = 4;
    w.setEvalSettings(e);
    QVERIFY(waitForJob(w, w.applyAndEvaluate()));
    QCoreApplication::processEvents();
    const auto& variants = w.compareView()->variants();
    QCOMPARE(variants.size(), size_t(1 + expected.size()));
    const double params = variants.front().metrics.at(QStringLiteral("params"));
    for (const auto& v : variants) {
        const double ppl = v.metrics.at(QStringLiteral("perplexity"));
        qInfo("%s: perplexity %.3f, params %.0f", qPrintable(v.name), ppl, v.metrics.at(QStringLiteral("params")));
        QVERIFY(std::isfinite(ppl) && ppl > 1);
        if (!v.original && !v.name.startsWith(QStringLiteral("wanda")) && !v.name.startsWith(QStringLiteral("sparsegpt")))
            QVERIFY2(v.metrics.at(QStringLiteral("params")) < params, qPrintable(v.name));
    }
}

// Run ▸ Decompose from Expert Drop's plan, chosen in Low rank ▸ Start from: the plan
// "expert-drop-layerwise-0.25-lowrank" keeps Expert Drop's removals and factors the survivors with the
// ranks and factors core's decompose stage gives on the same calibration blocks; a missing plan is refused.
void TestHolistic::decomposeAnotherMethodsPlan()
{
    MOEWB_REQUIRE_DEMO_MODEL("qwen");
    moewb::gui::MainWindow w;
    QVERIFY(openDemoModel(w, "qwen"));
    moewb::gui::RunSettings s = demoRun(QStringLiteral("expert-drop"), 2, 32);
    s.calibrationSeed = 4;
    w.setRunSettings(s);
    auto* from = w.parameters()->findChild<QComboBox*>(QStringLiteral("decomposeFrom"));
    QVERIFY(from);
    QVERIFY(from->isVisibleTo(w.parameters())); // Low rank is shown for every method
    QVERIFY(waitForJob(w, w.runMethod()));
    QCoreApplication::processEvents();
    const QString dropPlan = QStringLiteral("expert-drop-layerwise-0.25");
    const int index = from->findData(dropPlan);
    QVERIFY2(index >= 0, "Start from lists the new plan");

    // A plan the session lacks is refused by name.
    s.decomposeFrom = QStringLiteral("no-such-plan");
    w.setRunSettings(s);
    QSignalSpy failed(w.worker(), &moewb::gui::Worker::jobFailed);
    QVERIFY(!waitForJob(w, w.decompose()));
    QVERIFY(!failed.isEmpty());
    QVERIFY2(failed.last().at(1).toString().contains(QStringLiteral("no plan 'no-such-plan' in the session")),
        qPrintable(failed.last().at(1).toString()));
    QCoreApplication::processEvents();

    // Chosen in the dock, as a user does.
    from->setCurrentIndex(from->findData(dropPlan));
    QCOMPARE(w.runSettings().decomposeFrom, dropPlan);
    QVERIFY(waitForJob(w, w.decompose()));
    QCoreApplication::processEvents();
    QCOMPARE(w.centralTabs()->currentWidget(), static_cast<QWidget*>(w.rankEditor()));
    QVERIFY(w.rankEditor()->rows() > 0);
    QVERIFY2(w.rankEditor()->summary().startsWith(QStringLiteral("Plan expert-drop-layerwise-0.25-lowrank. ")),
        qPrintable(w.rankEditor()->summary()));

    QTemporaryDir dir;
    const QString file = dir.filePath(QStringLiteral("s.h5"));
    QVERIFY(waitForJob(w, w.saveSessionAs(file)));
    using namespace moewb;
    Session session = Session::open(file.toStdString());
    QVERIFY(!session.plans().count("moe-i2")); // MoE-I²'s plan name is not taken
    const auto lowrank = session.plans().find("expert-drop-layerwise-0.25-lowrank");
    QVERIFY(lowrank != session.plans().end());
    const Plan& drop = session.plans().at(dropPlan.toStdString()).plan;
    const Plan& made = lowrank->second.plan;
    QCOMPARE(made.parameters.value("pruning_plan", std::string()), dropPlan.toStdString());
    QVERIFY(made.steps.size() > drop.steps.size());
    QVERIFY(std::equal(drop.steps.begin(), drop.steps.end(), made.steps.begin())); // the removals kept

    // Core's stage on the same blocks, into the same session under another name.
    auto model = MoeModel::open(demo("models/qwen").toStdString(), ComputeOptions{torch::kFloat, torch::kCPU});
    const auto tokenizer = Tokenizer::fromFile(model->path() / "tokenizer.json");
    const auto blocks = loadTextBlocks(
        demo("calib.txt").toStdString(), tokenizer, BlockOptions{2, 32, BlockSelection::Random, 4});
    DecomposeStageOptions o;
    o.pruningPlan = dropPlan.toStdString();
    o.decompose.rate = s.decompositionRate;
    o.decompose.alpha = s.alpha;
    o.decompose.planName = "direct";
    const auto direct = decomposeIntoSession(model->path(), model->options(), blocks.ids, session, o);
    QCOMPARE(direct.plan->steps.size(), made.steps.size());
    int factored = 0;
    for (size_t i = drop.steps.size(); i < made.steps.size(); ++i) {
        const auto& mine = std::get<FactorExperts>(made.steps[i]);
        const auto& core = std::get<FactorExperts>(direct.plan->steps[i]);
        QCOMPARE(mine.layer, core.layer);
        QVERIFY(mine.ranks == core.ranks);
        for (const auto& r : mine.ranks) {
            const auto a = session.tensor<float>(factorTensorName(mine.factors, r.expert, Proj::Down, true));
            const auto b = session.tensor<float>(factorTensorName(core.factors, r.expert, Proj::Down, true));
            QVERIFY(a.shape == b.shape && a.data == b.data);
            ++factored;
        }
    }
    QVERIFY(factored > 0);
    qInfo("%d experts factored after Expert Drop's %zu removal steps", factored, drop.steps.size());
}

QTEST_MAIN(TestHolistic)
#include "tst_holistic.moc"
