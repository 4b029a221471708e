// The methods' `moe-compress run` options in the Parameters dock (docs/gui.md): Expert Drop's score
// kind, Layer / Block Drop's max span, Wanda / SparseGPT's shared experts, SparseGPT's block size
// and damping, CD-MoE's candidate layers and the holistic methods' "Run after plan" (--after). Each
// is set through the dock's own widget, run through Run method on the Qwen demo model, and compared
// with what core gives for the same options, called as app/cli/run_holistic.cpp and run_condense.cpp
// call it; and with core's result for the default option, which must differ, so a field the worker
// ignores fails here. Also the fields' visibility, checks (a malformed candidate list) and QSettings;
// the new fields' defaults, enabling and QSettings too (their runs are in tst_run_options.cpp), and
// a Plan name of one's own for Wanda's plan and masks.
#include "core/calib/dataset.h"
#include "core/compress/condense.h"
#include "core/compress/expert_drop.h"
#include "core/compress/layer_drop.h"
#include "core/compress/slimming.h"
#include "core/io/error.h"
#include "core/io/tokenizer.h"
#include "core/model/moe_model.h"
#include "core/plan/apply.h"
#include "core/session/session.h"

#include "app/gui/main_window.h"
#include "app/gui/method_form.h"
#include "app/gui/parameters_dock.h"
#include "support/gui_jobs.h"
#include "support/method_runs.h"
#include "support/paths.h"
#include "widgets/similarity_chart.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QLineEdit>
#include <QSettings>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <cmath>
#include <map>

using namespace moewb::test; // demo(), waitForJob(), qwen(), tinyRun(), field(), ...
using moewb::gui::MainWindow;
using moewb::gui::MethodParameters;

namespace {

// Tensors as slimExperts hands them out.
using Tensors = std::map<std::string, torch::Tensor>;
moewb::TensorSink into(Tensors& out)
{
    return [&out](const std::string& n, const torch::Tensor& t) { out[n] = t.clone(); };
}

double largestDifference(const Tensors& a, const moewb::PlanTensorSource& b)
{
    double d = 0;
    for (const auto& [name, t] : a)
        d = std::max(d, (t.to(torch::kDouble) - b(name).to(torch::kDouble)).abs().max().item<double>());
    return d;
}

} // namespace

class TestMethodOptions : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void fieldsShownCheckedAndKept();
    void expertScoreKind();
    void maxSpan();
    void slimmingOptions();
    void candidateLayers();
    void runAfterPlan();
};

// Each new field is shown for its methods only, reaches parameters(), survives QSettings, and a
// malformed candidate list is an inline error with a red frame that blocks the run.
void TestMethodOptions::fieldsShownCheckedAndKept()
{
    moewb::gui::MethodForm form;
    const auto shown = [&form](const char* name) {
        auto* widget = form.findChild<QWidget*>(QLatin1String(name));
        return widget && widget->isVisibleTo(&form);
    };
    form.setMethod(QStringLiteral("wanda"));
    QVERIFY(shown("sharedExperts") && !shown("sparseGptBlock") && !shown("damping") && shown("after"));
    form.setMethod(QStringLiteral("sparsegpt"));
    QVERIFY(shown("sharedExperts") && shown("sparseGptBlock") && shown("damping"));
    form.setMethod(QStringLiteral("layer-drop"));
    QVERIFY(shown("maxSpan") && !shown("blockMode") && !shown("expertScore"));
    form.setMethod(QStringLiteral("expert-drop"));
    QVERIFY(shown("expertScore") && !shown("maxSpan"));
    form.setMethod(QStringLiteral("condense"));
    QVERIFY(shown("condenseCandidates") && !shown("after"));

    // The CLI's defaults.
    const MethodParameters defaults;
    QCOMPARE(form.parameters(), defaults);
    QCOMPARE(defaults.expertScore, QStringLiteral("auto"));
    QCOMPARE(defaults.maxSpan, 0);
    QCOMPARE(defaults.sparseGptBlock, 128);
    QCOMPARE(defaults.damping, 0.01);
    QVERIFY(!defaults.sharedExperts && defaults.condenseCandidates.isEmpty() && defaults.after.isEmpty());
    // CD-MoE's: a layer count, fine-tuning batch 8, warm-up 5, no weight decay, shared experts trained
    // (app/cli/run_condense.cpp's CondenseFinetuneOptions); the plan's default name.
    QVERIFY(!defaults.condenseByTarget && defaults.condenseTargetParams == 0 && defaults.planName.isEmpty());
    QCOMPARE(defaults.condenseFinetuneBatch, 8);
    QCOMPARE(defaults.condenseFinetuneWarmup, 5);
    QCOMPARE(defaults.condenseFinetuneWeightDecay, 0.0);
    QVERIFY(defaults.condenseFinetuneShared);
    QCOMPARE(moewb::gui::RunSettings{}.batchTokens, 2048);
    const auto enabled = [&form](const char* name) { return form.findChild<QWidget*>(QLatin1String(name))->isEnabled(); };
    QVERIFY(enabled("condenseLayers") && !enabled("condenseTargetParams"));
    QVERIFY(!enabled("condenseFinetuneBatch") && !enabled("condenseFinetuneShared") && !enabled("condenseTrainPath"));
    auto* planName = form.findChild<QLineEdit*>(QStringLiteral("planName"));
    QVERIFY(planName && shown("planName"));
    QCOMPARE(planName->placeholderText(), QStringLiteral("cd-moe-1x2"));

    choose(form.findChild<QComboBox*>(QStringLiteral("expertScore")), QStringLiteral("softmax"));
    form.findChild<QSpinBox*>(QStringLiteral("maxSpan"))->setValue(3);
    form.findChild<QCheckBox*>(QStringLiteral("sharedExperts"))->setChecked(true);
    form.findChild<QSpinBox*>(QStringLiteral("sparseGptBlock"))->setValue(32);
    form.findChild<QDoubleSpinBox*>(QStringLiteral("damping"))->setValue(0.05);
    form.findChild<QLineEdit*>(QStringLiteral("condenseCandidates"))->setText(QStringLiteral("1, 3-4"));
    form.setPlans({QStringLiteral("moe-i2")});
    choose(form.findChild<QComboBox*>(QStringLiteral("after")), QStringLiteral("moe-i2"));
    choose(form.findChild<QComboBox*>(QStringLiteral("condenseBy")), QStringLiteral("target"));
    QVERIFY(!enabled("condenseLayers") && enabled("condenseTargetParams"));
    form.findChild<QDoubleSpinBox*>(QStringLiteral("condenseTargetParams"))->setValue(3456789);
    QCOMPARE(planName->placeholderText(), QStringLiteral("cd-moe-target3456789x2"));
    form.findChild<QSpinBox*>(QStringLiteral("condenseFinetuneSteps"))->setValue(4);
    QVERIFY(enabled("condenseFinetuneBatch") && enabled("condenseFinetuneShared") && enabled("condenseTrainPath"));
    form.findChild<QSpinBox*>(QStringLiteral("condenseFinetuneBatch"))->setValue(3);
    form.findChild<QSpinBox*>(QStringLiteral("condenseFinetuneWarmup"))->setValue(2);
    form.findChild<QDoubleSpinBox*>(QStringLiteral("condenseFinetuneWeightDecay"))->setValue(0.05);
    form.findChild<QCheckBox*>(QStringLiteral("condenseFinetuneShared"))->setChecked(false);
    planName->setText(QStringLiteral("my plan"));
    form.setMethod(QStringLiteral("layer-drop"));
    QCOMPARE(planName->placeholderText(), QStringLiteral("moe-i2 + layer-drop-1")); // after moe-i2
    const MethodParameters p = form.parameters();
    QVERIFY(p.condenseByTarget);
    QCOMPARE(p.condenseTargetParams, qint64(3456789));
    QCOMPARE(p.condenseFinetuneBatch, 3);
    QCOMPARE(p.condenseFinetuneWarmup, 2);
    QCOMPARE(p.condenseFinetuneWeightDecay, 0.05);
    QVERIFY(!p.condenseFinetuneShared);
    QCOMPARE(p.planName, QStringLiteral("my plan"));
    QCOMPARE(p.expertScore, QStringLiteral("softmax"));
    QCOMPARE(p.maxSpan, 3);
    QVERIFY(p.sharedExperts);
    QCOMPARE(p.sparseGptBlock, 32);
    QCOMPARE(p.damping, 0.05);
    QCOMPARE(p.condenseCandidates, QStringLiteral("1, 3-4"));
    QCOMPARE(p.after, QStringLiteral("moe-i2"));
    form.setPlans({}); // the plan left the session
    QCOMPARE(form.parameters().after, QString());

    QSettings settings;
    settings.beginGroup(QStringLiteral("test-method-options"));
    moewb::gui::saveMethodParameters(settings, p);
    MethodParameters back;
    moewb::gui::loadMethodParameters(settings, back);
    settings.endGroup();
    settings.remove(QStringLiteral("test-method-options"));
    MethodParameters expected = p;
    expected.after.clear(); // a session's plan, not kept
    expected.planName.clear(); // one run's choice: remembered, it would replace that plan in later runs
    QCOMPARE(back, expected);
    MethodParameters untouched; // keys absent: the defaults stay
    settings.beginGroup(QStringLiteral("test-method-options-empty"));
    moewb::gui::loadMethodParameters(settings, untouched);
    settings.endGroup();
    QCOMPARE(untouched, MethodParameters{});

    QVERIFY(
        moewb::gui::parseLayerList(QStringLiteral("1, 3-4,3")) == std::optional(std::vector<int>{1, 3, 4}));
    QVERIFY(moewb::gui::parseLayerList(QStringLiteral(" ")) == std::optional(std::vector<int>{}));
    for (const char* bad : {"3-", "a", "4-2", "1,,2", "-1", "1;2"})
        QVERIFY2(!moewb::gui::parseLayerList(QLatin1String(bad)), bad);

    // Inline: a malformed list and a layer that is not a MoE layer of the Qwen demo.
    MOEWB_REQUIRE_DEMO_MODEL("qwen");
    MainWindow w;
    QVERIFY(openDemoModel(w, "qwen"));
    w.setRunSettings(tinyRun(QStringLiteral("condense")));
    auto* candidates = field<QLineEdit>(w, "condenseCandidates");
    candidates->setText(QStringLiteral("1-"));
    QCOMPARE(w.parameters()->issues().size(), 1);
    QCOMPARE(w.parameters()->issues().front().field, QStringLiteral("condenseCandidates"));
    QVERIFY(w.parameters()->issues().front().message.contains(QStringLiteral("3-5")));
    QVERIFY(candidates->styleSheet().contains(QStringLiteral("#b00020")));
    QVERIFY(!w.parameters()->runButton()->isEnabled());
    QCOMPARE(w.runMethod(), 0);
    candidates->setText(QStringLiteral("999"));
    QCOMPARE(w.parameters()->issues().front().field, QStringLiteral("condenseCandidates"));
    candidates->setText(QString());
    QVERIFY(w.parameters()->issues().isEmpty());
    QVERIFY(candidates->styleSheet().isEmpty());
}

// Expert Drop with the gate-weight score: the GUI's plan is core's with that score kind, and not the
// default (auto: softmax mass for Qwen).
void TestMethodOptions::expertScoreKind()
{
    MOEWB_REQUIRE_DEMO_MODEL("qwen");
    using namespace moewb;
    MainWindow w;
    QVERIFY(openDemoModel(w, "qwen"));
    w.setRunSettings(tinyRun(QStringLiteral("expert-drop")));
    auto* score = field<QComboBox>(w, "expertScore");
    QVERIFY(score && score->isVisibleTo(w.parameters()));
    choose(score, QStringLiteral("gate"));
    QVERIFY(waitForJob(w, w.runMethod()));
    QTemporaryDir dir;
    const Plan gui = planOf(savedSession(w, dir), "expert-drop-layerwise-0.25");

    const Reference r = qwen();
    const ExpertDropOptions o; // layerwise, 0.25: the dock's defaults
    const Plan gate = expertDropPlan(
        r.model->spec(), computeExpertScores(*r.model, r.blocks.ids, parseExpertScore("gate")), o);
    const Plan automatic = expertDropPlan(
        r.model->spec(), computeExpertScores(*r.model, r.blocks.ids, parseExpertScore("auto")), o);
    QVERIFY(gui.steps == gate.steps);
    QVERIFY2(gate.steps != automatic.steps, "the demo's gate and softmax scores drop the same experts");
}

// Block Drop (consecutive, drop 2) with max span 3: the session caches spans of up to 3 blocks, the
// ones core measures with that max span, where the default measures every length. The plan itself
// is the same either way (the span it needs, 2, is measured in both).
void TestMethodOptions::maxSpan()
{
    MOEWB_REQUIRE_DEMO_MODEL("qwen");
    using namespace moewb;
    const Reference r = qwen();
    const int layers = r.model->spec().numLayers;
    QVERIFY(layers > 3);
    for (const int span : {3, 0}) {
        MainWindow w; // a new session each: cached spans would be reused
        QVERIFY(openDemoModel(w, "qwen"));
        moewb::gui::RunSettings s = tinyRun(QStringLiteral("block-drop"));
        s.methodParameters.dropN = 2;
        s.methodParameters.blockMode = QStringLiteral("consecutive");
        w.setRunSettings(s);
        auto* box = field<QSpinBox>(w, "maxSpan");
        QVERIFY(box && box->isVisibleTo(w.parameters()));
        box->setValue(span);
        QVERIFY(waitForJob(w, w.runMethod()));
        QTemporaryDir dir;
        const Session session = savedSession(w, dir);
        const auto cached = loadLayerSimilarity(session, layers, 1);
        QVERIFY(cached);

        SimilarityOptions so;
        so.maxSpan = span;
        const LayerSimilarity core = computeLayerSimilarity(*r.model, r.blocks.ids, so);
        QCOMPARE(cached->maxSpan, span == 0 ? layers : span);
        QCOMPARE(cached->maxSpan, core.maxSpan);
        for (size_t i = 0; i < core.span.size(); ++i)
            QVERIFY(std::isnan(core.span[i]) ? std::isnan(cached->span[i])
                                             : std::abs(core.span[i] - cached->span[i]) < 1e-6);
        const Plan plan = blockDropPlan(r.model->spec(), core, 2, BlockDropMode::Consecutive);
        QVERIFY(planOf(session, "block-drop-consecutive-2").steps == plan.steps);
    }
}

// Wanda with the shared experts: core's steps for them too (the default has none). SparseGPT with
// block size 16 and damping 0.2: core's masks and deltas with those options, which differ from the
// default options'.
void TestMethodOptions::slimmingOptions()
{
    MOEWB_REQUIRE_DEMO_MODEL("qwen");
    using namespace moewb;
    const Reference r = qwen();
    MainWindow w;
    QVERIFY(openDemoModel(w, "qwen"));
    w.setRunSettings(tinyRun(QStringLiteral("wanda")));
    field<QCheckBox>(w, "sharedExperts")->setChecked(true);
    field<QLineEdit>(w, "planName")->setText(QStringLiteral("my wanda")); // its masks under masks/my-wanda
    QVERIFY(waitForJob(w, w.runMethod()));
    moewb::gui::RunSettings s = tinyRun(QStringLiteral("sparsegpt"));
    s.methodParameters.sharedExperts = false;
    w.setRunSettings(s);
    field<QSpinBox>(w, "sparseGptBlock")->setValue(16);
    field<QDoubleSpinBox>(w, "damping")->setValue(0.2);
    QVERIFY(waitForJob(w, w.runMethod()));
    QTemporaryDir dir;
    const Session session = savedSession(w, dir);

    const auto slim = [&r](SlimMethod method, const std::string& name, bool shared, int64_t block,
                          double damping, Tensors& tensors) {
        SlimmingOptions so;
        so.method = method;
        so.pattern = SparsityPattern::parse("unstructured", 0.5);
        so.sharedExperts = shared;
        so.sparseGpt.blockSize = block;
        so.sparseGpt.damping = damping;
        so.tensorPrefix = slimmingTensorPrefix(name);
        return slimExperts(*r.model, r.blocks.ids, so, into(tensors)).plan;
    };
    Tensors wanda, sparseGpt, sparseGptDefault, unused;
    const Plan shared = slim(SlimMethod::Wanda, "my wanda", true, 128, 0.01, wanda);
    const Plan routedOnly = slim(SlimMethod::Wanda, "my wanda", false, 128, 0.01, unused);
    QVERIFY(!session.plans().count("wanda-unstructured-0.5"));
    QVERIFY(planOf(session, "my wanda").steps == shared.steps);
    QVERIFY(!wanda.empty() && wanda.begin()->first.rfind("masks/my-wanda/", 0) == 0);
    QVERIFY(shared.steps.size() > routedOnly.steps.size());
    const auto tensors = sessionTensorSource(session);
    QVERIFY(largestDifference(wanda, tensors) == 0.0);

    const Plan tuned = slim(SlimMethod::SparseGpt, "sparsegpt-unstructured-0.5", false, 16, 0.2, sparseGpt);
    slim(SlimMethod::SparseGpt, "sparsegpt-unstructured-0.5", false, 128, 0.01, sparseGptDefault);
    QVERIFY(planOf(session, "sparsegpt-unstructured-0.5").steps == tuned.steps);
    const double same = largestDifference(sparseGpt, tensors);
    const double fromDefault = largestDifference(sparseGptDefault, tensors);
    qInfo("sparsegpt block 16, damping 0.2: largest difference to core %.3g, to core's defaults %.3g", same,
        fromDefault);
    QVERIFY(same < 1e-6);
    QVERIFY(fromDefault > 1e-3);
}

// CD-MoE with the candidate layers the default's choice is not among: core's plan for those
// candidates, not the default's.
void TestMethodOptions::candidateLayers()
{
    MOEWB_REQUIRE_DEMO_MODEL("qwen");
    using namespace moewb;
    const Reference r = qwen();
    CondenseOptions co; // the dock's defaults: 1 layer, 2 experts, js
    const Plan chosen = condenseLayers(*r.model, r.blocks.ids, co).plan;
    QCOMPARE(chosen.steps.size(), size_t(1));
    const int first = std::get<CondenseLayer>(chosen.steps.front()).layer;
    QStringList others;
    for (int l : r.model->spec().moeLayerIndices())
        if (l != first) {
            others << QString::number(l);
            co.candidateLayers.push_back(l);
        }
    const Plan restricted = condenseLayers(*r.model, r.blocks.ids, co).plan;

    MainWindow w;
    QVERIFY(openDemoModel(w, "qwen"));
    w.setRunSettings(tinyRun(QStringLiteral("condense")));
    auto* edit = field<QLineEdit>(w, "condenseCandidates");
    QVERIFY(edit && edit->isVisibleTo(w.parameters()));
    edit->setText(others.join(QLatin1Char(',')));
    QVERIFY(w.parameters()->issues().isEmpty());
    QVERIFY(waitForJob(w, w.runMethod()));
    QTemporaryDir dir;
    const Plan gui = planOf(savedSession(w, dir), "cd-moe-1x2");
    QVERIFY(gui.steps == restricted.steps);
    QVERIFY(gui.steps != chosen.steps);
}

// Layer Drop after Expert Drop's plan: scores of the model with that plan applied (the chart shows
// them), and the plan is Expert Drop's steps followed by Layer Drop's, named as the CLI names it.
void TestMethodOptions::runAfterPlan()
{
    MOEWB_REQUIRE_DEMO_MODEL("qwen");
    using namespace moewb;
    MainWindow w;
    QVERIFY(openDemoModel(w, "qwen"));
    w.setRunSettings(tinyRun(QStringLiteral("expert-drop")));
    QVERIFY(waitForJob(w, w.runMethod()));
    QCoreApplication::processEvents(); // the session's plans reach the dock
    w.setRunSettings(tinyRun(QStringLiteral("layer-drop")));
    auto* after = field<QComboBox>(w, "after");
    QVERIFY(after && after->isVisibleTo(w.parameters()));
    QVERIFY(after->findData(QStringLiteral("expert-drop-layerwise-0.25")) > 0);
    choose(after, QStringLiteral("expert-drop-layerwise-0.25"));
    // Named as the plan it runs after: its tensors would replace those the applied copy reads.
    auto* name = field<QLineEdit>(w, "planName");
    name->setText(QStringLiteral("expert-drop-layerwise-0.25"));
    const auto issues = w.parameters()->issues();
    QCOMPARE(issues.size(), 1);
    QCOMPARE(issues.front().field, QStringLiteral("planName"));
    QVERIFY2(issues.front().message.contains(QStringLiteral("runs after")), qPrintable(issues.front().message));
    QCOMPARE(w.runMethod(), 0);
    name->clear();
    QVERIFY(waitForJob(w, w.runMethod()));
    QCoreApplication::processEvents();
    QTemporaryDir dir;
    const Session session = savedSession(w, dir);
    const Plan base = planOf(session, "expert-drop-layerwise-0.25");
    const Plan gui = planOf(session, "expert-drop-layerwise-0.25 + layer-drop-1");
    QCOMPARE(gui.parameters.value("second", nlohmann::json::object()).value("name", std::string()),
        std::string("layer-drop-1")); // the method's own name, as composePlans records it

    const Reference r = qwen();
    auto copy = MoeModel::open(r.model->path(), r.model->options());
    applyPlan(*copy, base, sessionTensorSource(session));
    const LayerSimilarity onCopy = computeLayerSimilarity(*copy, r.blocks.ids);
    const LayerSimilarity onSource = computeLayerSimilarity(*r.model, r.blocks.ids);
    const Plan composed = composePlans(r.model->spec(), base, layerDropPlan(r.model->spec(), onCopy, 1));
    QVERIFY(gui.steps == composed.steps);
    QVERIFY(gui.steps.size() > base.steps.size());
    double moved = 0;
    for (int l = 0; l < onCopy.numLayers; ++l) {
        const double expected = onCopy.moe[static_cast<size_t>(l)];
        if (std::isnan(expected))
            continue;
        QVERIFY(std::abs(w.similarityChart()->score(l) - expected) < 1e-6);
        moved = std::max(moved, std::abs(expected - onSource.moe[static_cast<size_t>(l)]));
    }
    QVERIFY2(moved > 1e-6, "the scores after the plan are the original model's");

    // MOEWB_SCREENSHOTS=DIR: the dock, floated, with SparseGPT after that plan (shared experts, block
    // 16, damping 0.2) and with CD-MoE and a malformed candidate list; for looking at, not for docs/.
    const QString shots = qEnvironmentVariable("MOEWB_SCREENSHOTS");
    if (shots.isEmpty())
        return;
    moewb::gui::RunSettings s = tinyRun(QStringLiteral("sparsegpt"));
    s.methodParameters.after = QStringLiteral("expert-drop-layerwise-0.25");
    s.methodParameters.sharedExperts = true;
    s.methodParameters.sparseGptBlock = 16;
    s.methodParameters.damping = 0.2;
    w.setRunSettings(s);
    w.resize(1400, 900);
    w.show();
    for (auto* dock : w.findChildren<QDockWidget*>())
        if (dock->widget() == w.parameters()) {
            dock->setFloating(true);
            dock->resize(440, 1040);
        }
    QTest::qWait(300);
    QVERIFY(
        w.parameters()->grab().save(QDir(shots).filePath(QStringLiteral("method-options-sparsegpt.png"))));
    s.method = QStringLiteral("condense");
    s.methodParameters.condenseCandidates = QStringLiteral("1,3-");
    w.setRunSettings(s);
    QTest::qWait(300);
    QVERIFY(w.parameters()->grab().save(QDir(shots).filePath(QStringLiteral("method-options-condense.png"))));
}

QTEST_MAIN(TestMethodOptions)
#include "tst_method_options.moc"
