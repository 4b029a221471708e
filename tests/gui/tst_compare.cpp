// The Compare view and Run ▸ Apply & evaluate: metric order and the table's changes against the
// original on made-up values; the evaluation settings Edit ▸ Preferences keeps; then on the Mixtral demo model, after a search, the original and the
// search's plan are evaluated: the original's KL is 0 and the plan's positive, and the plan's
// parameter count is the original's less what the model tree says the removed experts and their
// router rows hold.
#include "app/gui/main_window.h"
#include "app/gui/model_tree.h"
#include "app/gui/preferences_dialog.h"
#include "app/gui/worker.h"
#include "core/session/session.h"
#include "support/gui_jobs.h"
#include "support/paths.h"
#include "widgets/compare_view.h"
#include "widgets/heatmap_view.h"
#include "widgets/importance_panel.h"
#include "widgets/rank_editor.h"

#include <QLineEdit>
#include <QSettings>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <qcustomplot.h>

using moewb::widgets::CompareView;

using namespace moewb::test; // demo(), waitForJob(), ...

class TestCompare : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void init() { QSettings().remove(QStringLiteral("preferences")); } // each test from the defaults
    void metricsAndChanges();
    void everyBarIsLabelled();
    void preferencesChooseTheEvaluation();
    void applyAndEvaluateOnDemoModel();
};

void TestCompare::metricsAndChanges()
{
    CompareView view;
    QCOMPARE(view.metricKeys().size(), 0);
    view.setVariants({{QStringLiteral("original"), true,
                          {{QStringLiteral("perplexity"), 40.0}, {QStringLiteral("params"), 2.0e6},
                              {QStringLiteral("acc:tasks"), 0.5}, {QStringLiteral("kl"), 0.0}}},
        {QStringLiteral("plan-a"), false,
            {{QStringLiteral("perplexity"), 44.0}, {QStringLiteral("params"), 1.5e6},
                {QStringLiteral("acc:tasks"), 0.45}, {QStringLiteral("kl"), 0.12}}}});
    // Quality first (perplexity, KL, accuracies), then size.
    QCOMPARE(view.metricKeys(),
        QStringList({QStringLiteral("perplexity"), QStringLiteral("kl"), QStringLiteral("acc:tasks"),
            QStringLiteral("params")}));
    QCOMPARE(view.table()->rowCount(), 2);
    QCOMPARE(view.table()->item(1, 0)->text(), QStringLiteral("plan-a"));
    QCOMPARE(view.table()->item(1, 1)->text(), QStringLiteral("44  (+10.0%)"));
    QCOMPARE(view.table()->item(1, 4)->text(), QStringLiteral("1.50 M  (-25.0%)"));
    QCOMPARE(view.table()->item(0, 3)->text(), QStringLiteral("50.0%"));
    auto* chart = view.chart(QStringLiteral("perplexity"));
    QVERIFY(chart);
    QCOMPARE(chart->plottableCount(), 2); // the plans' bars and the original's (grey)
    QCOMPARE(static_cast<QCPBars*>(chart->plottable(0))->data()->size(), 1);
    QCOMPARE(static_cast<QCPBars*>(chart->plottable(1))->data()->size(), 1);
}

// Each bar carries its name under the axis, the last one too: QCustomPlot drops a tick label that
// crosses the plot's border, and a long last name drawn rightwards from its tick did (the -ga plan
// after a search). Checked on the rendered chart: dark pixels under each tick.
void TestCompare::everyBarIsLabelled()
{
    CompareView view;
    std::vector<CompareView::Variant> variants;
    for (const char* name : {"original", "moe-i2", "moe-i2-search", "moe-i2-search-ga-with-a-long-name"})
        variants.push_back({QString::fromLatin1(name), variants.empty(), {{QStringLiteral("perplexity"), 40.0}}});
    view.setVariants(variants);
    view.resize(900, 700);
    view.show();
    auto* chart = view.chart(QStringLiteral("perplexity"));
    QVERIFY(chart);
    QTRY_VERIFY(chart->width() > 300);
    chart->replot(QCustomPlot::rpImmediateRefresh);
    const QImage image = chart->toPixmap(chart->width(), chart->height()).toImage();
    const int below = chart->axisRect()->bottom() + 4;
    for (int i = 0; i < static_cast<int>(variants.size()); ++i) {
        const int x = static_cast<int>(chart->xAxis->coordToPixel(i));
        int dark = 0;
        for (int px = std::max(0, x - 30); px <= std::min(image.width() - 1, x + 4); ++px)
            for (int py = below; py < image.height(); ++py)
                dark += qGray(image.pixel(px, py)) < 128;
        QVERIFY2(dark > 10, qPrintable(QStringLiteral("no label under bar %1 (%2 dark pixels)").arg(i).arg(dark)));
    }
}

// Edit ▸ Preferences ▸ Apply & evaluate: the dialog's fields make the preferences' evaluation, which
// QSettings keeps and a new main window's Apply & evaluate uses.
void TestCompare::preferencesChooseTheEvaluation()
{
    const moewb::gui::EvalSettings defaults;
    moewb::gui::PreferencesDialog dialog(moewb::gui::Preferences::load());
    auto* windows = dialog.findChild<QSpinBox*>(QStringLiteral("evalWindows"));
    auto* length = dialog.findChild<QSpinBox*>(QStringLiteral("evalWindowLength"));
    auto* questions = dialog.findChild<QSpinBox*>(QStringLiteral("evalQuestions"));
    auto* text = dialog.findChild<QLineEdit*>(QStringLiteral("evalText"));
    auto* tasks = dialog.findChild<QLineEdit*>(QStringLiteral("evalTasks"));
    QVERIFY(windows && length && questions && text && tasks);
    QCOMPARE(windows->value(), defaults.windows); // 16 windows of 128 tokens, 100 questions
    QCOMPARE(length->value(), defaults.windowLength);
    QCOMPARE(questions->value(), defaults.maxQuestions);
    QVERIFY(text->text().isEmpty() && !text->placeholderText().isEmpty()); // empty: the demo's text
    questions->setValue(0);
    QCOMPARE(questions->text(), QStringLiteral("All")); // 0: every question
    windows->setValue(4);
    length->setValue(64);
    questions->setValue(20);
    text->setText(QStringLiteral("  /data/wiki.txt "));
    tasks->setText(QStringLiteral("/data/arc.jsonl"));
    const moewb::gui::EvalSettings chosen = dialog.preferences().evaluation;
    QCOMPARE(chosen.windows, 4);
    QCOMPARE(chosen.windowLength, 64);
    QCOMPARE(chosen.maxQuestions, 20);
    QCOMPARE(chosen.textPath, QStringLiteral("/data/wiki.txt"));
    QCOMPARE(chosen.tasksPath, QStringLiteral("/data/arc.jsonl"));

    {
        moewb::gui::MainWindow w;
        QCOMPARE(w.evalSettings().windows, defaults.windows);
        w.setPreferences(dialog.preferences()); // what OK does
        QCOMPARE(w.evalSettings().windows, 4);
        QCOMPARE(w.evalSettings().textPath, QStringLiteral("/data/wiki.txt"));
    }
    moewb::gui::MainWindow next; // the next start reads them back
    QCOMPARE(next.evalSettings().windows, 4);
    QCOMPARE(next.evalSettings().windowLength, 64);
    QCOMPARE(next.evalSettings().maxQuestions, 20);
    QCOMPARE(next.evalSettings().tasksPath, QStringLiteral("/data/arc.jsonl"));
}

void TestCompare::applyAndEvaluateOnDemoModel()
{
    MOEWB_REQUIRE_DEMO_MODEL("mixtral");
    moewb::gui::MainWindow w;
    moewb::gui::RunSettings s = demoRun(QStringLiteral("moe-i2"), 8, 64);
    s.population = 16;
    s.generations = 4;
    w.setRunSettings(s);
    QVERIFY(openDemoModel(w, "mixtral"));
    QVERIFY(waitForJob(w, w.runAll()));
    moewb::gui::Preferences p = w.preferences(); // Edit ▸ Preferences ▸ Apply & evaluate
    p.evaluation.windows = 4;
    p.evaluation.windowLength = 64;
    p.evaluation.maxQuestions = 20;
    w.setPreferences(p);
    QVERIFY(waitForJob(w, w.applyAndEvaluate()));
    QCoreApplication::processEvents();
    QCOMPARE(w.centralTabs()->currentWidget(), w.compareView());

    const auto& variants = w.compareView()->variants();
    // The search stores its KT plan and the genetic search's own choice, as the CLI does.
    QCOMPARE(variants.size(), size_t(3));
    QVERIFY(variants[0].original);
    QCOMPARE(variants[1].name, QStringLiteral("moe-i2-search"));
    QCOMPARE(variants[2].name, QStringLiteral("moe-i2-search-ga"));
    const auto metric = [](const CompareView::Variant& v, const char* key) {
        return v.metrics.at(QString::fromLatin1(key));
    };
    // Both remove the same number of experts per layer.
    QCOMPARE(metric(variants[2], "params"), metric(variants[1], "params"));
    for (const auto& v : variants)
        qInfo("%s: perplexity %.3f, KL %.4f, acc %.2f, params %.0f, bytes %.0f, %.0f tokens/s",
            qPrintable(v.name), metric(v, "perplexity"), metric(v, "kl"), metric(v, "acc:tasks"),
            metric(v, "params"), metric(v, "bytes"), metric(v, "tokens_per_s"));
    QCOMPARE(metric(variants[0], "kl"), 0.0);
    QVERIFY(metric(variants[1], "kl") > 0);
    for (const auto& v : variants) // measured apart from the quality pass (core/eval/throughput.h)
        QVERIFY(metric(v, "tokens_per_s") > 0);
    QVERIFY(metric(variants[0], "perplexity") > 1 && metric(variants[1], "perplexity") > 1);
    const double acc = metric(variants[1], "acc:tasks");
    QVERIFY(acc >= 0 && acc <= 1);
    QCOMPARE(std::round(acc * 20), acc * 20); // a share of 20 questions
    // The session records what each model was measured on: the preferences' settings.
    QTemporaryDir dir;
    const QString sessionPath = dir.filePath(QStringLiteral("evaluated.h5"));
    QVERIFY(waitForJob(w, w.saveSessionAs(sessionPath)));
    const moewb::Session session = moewb::Session::open(sessionPath.toStdString());
    for (const char* name : {"original", "moe-i2-search"}) {
        const nlohmann::json& details = session.evaluations().at(name).details;
        QCOMPARE(details.at("windows").get<int>(), 4);
        QCOMPARE(details.at("window_length").get<int>(), 64);
        QCOMPARE(details.at("questions").get<int>(), 20);
    }

    // Parameters: the original less the removed experts and one router row each (the model tree's
    // counts; the heatmap's marks are the plan's removed experts).
    const auto& model = w.model();
    double removed = 0;
    const auto marks = w.importance()->heatmap()->marked();
    QVERIFY(!marks.isEmpty());
    for (const auto& [row, expert] : marks) {
        const int layer = model.moeLayers.at(static_cast<size_t>(row));
        const auto& node = model.layers.at(static_cast<size_t>(layer));
        removed += static_cast<double>(node.experts.at(static_cast<size_t>(expert)).parameters);
        removed += static_cast<double>(node.routerParameters) / static_cast<double>(node.experts.size());
    }
    QCOMPARE(metric(variants[1], "params"), metric(variants[0], "params") - removed);
    QVERIFY(metric(variants[1], "bytes") < metric(variants[0], "bytes"));

    // Decompose (rate 0.3) then evaluate again: the plan "moe-i2" factors the survivors; the Ranks
    // tab's budget (dense minus stored, per layer) is exactly what accountPlan says factoring saved.
    QVERIFY(waitForJob(w, w.decompose()));
    QCoreApplication::processEvents();
    QCOMPARE(w.centralTabs()->currentWidget(), static_cast<QWidget*>(w.rankEditor()));
    auto* ranks = w.rankEditor();
    QCOMPARE(ranks->rows(), static_cast<int>(w.model().moeLayers.size()));
    qint64 saved = 0;
    for (int row = 0; row < ranks->rows(); ++row)
        saved += ranks->denseParameters(row) - ranks->storedParameters(row);
    QVERIFY(saved > 0);
    QVERIFY(waitForJob(w, w.applyAndEvaluate()));
    QCoreApplication::processEvents();
    const auto& all = w.compareView()->variants();
    QCOMPARE(all.size(), size_t(4)); // original, moe-i2, moe-i2-search, moe-i2-search-ga
    QCOMPARE(all[1].name, QStringLiteral("moe-i2"));
    QCOMPARE(metric(all[2], "params") - metric(all[1], "params"), static_cast<double>(saved));
    QVERIFY(metric(all[1], "kl") > 0);
    for (const auto& v : all)
        qInfo("%s: perplexity %.3f, KL %.4f, params %.0f", qPrintable(v.name), metric(v, "perplexity"),
            metric(v, "kl"), metric(v, "params"));
}

QTEST_MAIN(TestCompare)
#include "tst_compare.moc"
