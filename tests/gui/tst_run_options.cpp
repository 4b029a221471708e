// The last `moe-compress run` options the Parameters dock gained (docs/gui.md, "Other methods"):
// CD-MoE to a parameter target (--target-params), the result's Plan name (--plan-name, core's rule
// for names, core/plan/plan_name.h) and Advanced ▸ Batch tokens (--batch-tokens), each set through
// the dock's own widget and run through Run method (and Apply & evaluate) on the Qwen demo model;
// the plan compared with core's for the same options, the batch size seen in core's chunk counters
// (core/pipeline/compute_counter.h). Their defaults, enabling and QSettings are in tst_method_options.
#include "core/compress/condense.h"
#include "core/compress/condense_target.h"
#include "core/pipeline/compute_counter.h"
#include "core/plan/plan.h"

#include "app/gui/main_window.h"
#include "app/gui/parameters_dock.h"
#include "app/gui/preferences.h"
#include "support/gui_jobs.h"
#include "support/method_runs.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <cmath>
#include <map>

using namespace moewb::test; // demo(), waitForJob(), qwen(), tinyRun(), field(), ...
using moewb::gui::MainWindow;

class TestRunOptions : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void condenseToParameterTarget();
    void planNameChecked();
    void batchTokensReachCore();
};

// CD-MoE to a parameter target, with a plan name of one's own: a target not set or below what
// condensing every MoE layer leaves is refused inline (the run too); then the session holds, under
// that name only, core's plan for the same target (condenseLayers with targetParameters): the two
// layers the target needs, where the default layer count condenses one, holding at most the target.
void TestRunOptions::condenseToParameterTarget()
{
    MOEWB_REQUIRE_DEMO_MODEL("qwen");
    using namespace moewb;
    const Reference r = qwen();
    const ModelSpec& spec = r.model->spec();
    const auto moe = spec.moeLayerIndices();
    QVERIFY(moe.size() >= 3);
    const uint64_t source = condensedParameters(spec, {}, 2), one = condensedParameters(spec, {moe[0]}, 2);
    const uint64_t target = condensedParameters(spec, {moe[0], moe[1]}, 2); // the demo's MoE layers are alike
    const uint64_t smallest = condensedParameters(spec, moe, 2);
    QVERIFY(source > one && one > target && target > smallest);
    CondenseOptions co;
    co.targetParameters = target;
    const Plan core = condenseLayers(*r.model, r.blocks.ids, co).plan;
    QCOMPARE(core.steps.size(), size_t(2));

    MainWindow w;
    QVERIFY(openDemoModel(w, "qwen"));
    w.setRunSettings(tinyRun(QStringLiteral("condense")));
    auto* by = field<QComboBox>(w, "condenseBy");
    auto* box = field<QDoubleSpinBox>(w, "condenseTargetParams");
    QVERIFY(by && box && box->isVisibleTo(w.parameters()) && !box->isEnabled());
    choose(by, QStringLiteral("target"));
    QVERIFY(box->isEnabled() && !field<QSpinBox>(w, "condenseLayers")->isEnabled());
    const auto issues = [&w] { return w.parameters()->issues(); };
    QCOMPARE(issues().size(), 1);
    QCOMPARE(issues().front().field, QStringLiteral("condenseTargetParams"));
    QVERIFY(issues().front().message.contains(QStringLiteral("Set the parameter target")));
    box->setValue(1000);
    QCOMPARE(issues().size(), 1);
    const QString message = issues().front().message;
    QVERIFY2(message.contains(QStringLiteral("leaves %1 parameters, above the target 1000").arg(smallest)),
        qPrintable(message));
    QVERIFY(box->styleSheet().contains(QStringLiteral("#b00020")));
    QCOMPARE(w.runMethod(), 0);
    box->setValue(static_cast<double>(source)); // met already: a warning, one layer is condensed anyway
    QCOMPARE(issues().size(), 1);
    QCOMPARE(issues().front().severity, moewb::gui::ParameterIssue::Severity::Warning);

    box->setValue(static_cast<double>(target));
    auto* name = field<QLineEdit>(w, "planName");
    QCOMPARE(name->placeholderText(), QStringLiteral("cd-moe-target%1x2").arg(target));
    name->setText(QStringLiteral("qwen-small"));
    QVERIFY(issues().isEmpty());
    QVERIFY(waitForJob(w, w.runMethod()));
    QCoreApplication::processEvents();
    QTemporaryDir dir;
    const Session session = savedSession(w, dir);
    QCOMPARE(session.plans().size(), size_t(1));
    const Plan gui = planOf(session, "qwen-small");
    const uint64_t held = accountPlan(spec, gui).result.total();
    qInfo("target %llu: the GUI's plan condenses %zu layers and holds %llu parameters (source %llu, one layer %llu)",
        static_cast<unsigned long long>(target), gui.steps.size(), static_cast<unsigned long long>(held),
        static_cast<unsigned long long>(source), static_cast<unsigned long long>(one));
    QVERIFY(gui.steps == core.steps);
    QVERIFY(held <= target);
    QCOMPARE(gui.parameters.value("target_parameters", uint64_t(0)), target);
    QVERIFY(inCompare(w, QStringLiteral("qwen-small")));
}

// Plan name: core's rule (core/plan/plan_name.h) inline, the field framed red and the run refused;
// a good name is the stored plan's, the default's not stored.
void TestRunOptions::planNameChecked()
{
    MOEWB_REQUIRE_DEMO_MODEL("qwen");
    MainWindow w;
    QVERIFY(openDemoModel(w, "qwen"));
    w.setRunSettings(tinyRun(QStringLiteral("layer-drop")));
    auto* name = field<QLineEdit>(w, "planName");
    QVERIFY(name && name->isVisibleTo(w.parameters()));
    QCOMPARE(name->placeholderText(), QStringLiteral("layer-drop-1"));
    const std::pair<QString, QString> bad[] = {{QStringLiteral(" lead"), QStringLiteral("starts or ends with a space")},
        {QStringLiteral("   "), QStringLiteral("only spaces")},
        {QStringLiteral("a\tb"), QStringLiteral("control characters")},
        {QString(201, QLatin1Char('x')), QStringLiteral("at most 200 bytes")}};
    for (const auto& [text, why] : bad) {
        name->setText(text);
        const auto issues = w.parameters()->issues();
        QCOMPARE(issues.size(), 1);
        QCOMPARE(issues.front().field, QStringLiteral("planName"));
        QVERIFY2(issues.front().message.contains(why), qPrintable(issues.front().message));
        QVERIFY(name->styleSheet().contains(QStringLiteral("#b00020")));
        QCOMPARE(w.runMethod(), 0);
    }
    name->setText(QStringLiteral("drop one"));
    QVERIFY(w.parameters()->issues().isEmpty());
    QVERIFY(waitForJob(w, w.runMethod()));
    QTemporaryDir dir;
    const moewb::Session session = savedSession(w, dir);
    QVERIFY(!session.plans().count("layer-drop-1"));
    QCOMPARE(planOf(session, "drop one").steps.size(), size_t(1));
}

// Advanced ▸ Batch tokens reaches core: the 4 calibration blocks of 64 tokens go through a layer in
// one chunk at 2048 tokens and in 4 at 64 (CD-MoE's passes), the evaluation's 4 windows of 64 tokens
// likewise (Apply & evaluate); the plan is the same. The value is kept with the last-run settings.
void TestRunOptions::batchTokensReachCore()
{
    MOEWB_REQUIRE_DEMO_MODEL("qwen");
    MainWindow w;
    QVERIFY(openDemoModel(w, "qwen"));
    moewb::gui::EvalSettings e;
    e.windows = 4;
    e.windowLength = 64;
    e.maxQuestions = 2;
    w.setEvalSettings(e);
    std::map<int, std::pair<uint64_t, uint64_t>> counts; // batch tokens -> (layer chunks, eval batches)
    std::map<int, moewb::Plan> plans;
    QTemporaryDir dirs[2];
    int run = 0;
    for (const int tokens : {2048, 64}) {
        w.setRunSettings(tinyRun(QStringLiteral("condense")));
        auto* box = field<QSpinBox>(w, "batchTokens");
        QVERIFY(box && box->isVisibleTo(w.parameters()));
        QCOMPARE(box->value(), 2048);
        box->setValue(tokens);
        QCOMPARE(w.runSettings().batchTokens, tokens);
        moewb::resetComputeCounts();
        QVERIFY(waitForJob(w, w.runMethod()));
        const uint64_t chunks = moewb::computeCount("layer_chunks");
        QVERIFY(waitForJob(w, w.applyAndEvaluate()));
        counts[tokens] = {chunks, moewb::computeCount("eval_batches")};
        plans[tokens] = planOf(savedSession(w, dirs[run++]), "cd-moe-1x2");
        qInfo("batch tokens %d: %llu layer chunks, %llu evaluation batches", tokens,
            static_cast<unsigned long long>(counts[tokens].first), static_cast<unsigned long long>(counts[tokens].second));
    }
    QVERIFY(counts[2048].first > 0 && counts[2048].second > 0);
    QCOMPARE(counts[64].first, 4 * counts[2048].first);
    QCOMPARE(counts[64].second, 4 * counts[2048].second);
    // The same layers and experts; the mean gate weights agree to rounding (summed in other chunks).
    QCOMPARE(plans[64].steps.size(), plans[2048].steps.size());
    QVERIFY(!plans[64].steps.empty());
    for (size_t i = 0; i < plans[64].steps.size(); ++i) {
        const auto& a = std::get<moewb::CondenseLayer>(plans[64].steps[i]);
        const auto& b = std::get<moewb::CondenseLayer>(plans[2048].steps[i]);
        QCOMPARE(a.layer, b.layer);
        QVERIFY(a.keptExperts == b.keptExperts);
        for (size_t e = 0; e < a.weights.size(); ++e)
            QVERIFY2(std::abs(a.weights[e] - b.weights[e]) < 1e-6,
                qPrintable(QStringLiteral("%1 vs %2").arg(a.weights[e], 0, 'g', 17).arg(b.weights[e], 0, 'g', 17)));
    }
    moewb::gui::saveLastRunSettings(w.runSettings());
    QCOMPARE(moewb::gui::loadLastRunSettings(moewb::gui::Preferences{}).batchTokens, 64);
}

QTEST_MAIN(TestRunOptions)
#include "tst_run_options.moc"
