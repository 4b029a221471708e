// The Ranks tab (widgets/rank_editor.h): ranks in the heatmap and table, the parameter budget per
// layer computed by hand (3 matrices of 128 x 352 an expert: dense 135168, rank r: 3 r 480),
// break-even rows (r(m+n) >= mn: counted dense and red), overrides typed in, highlighted and reset;
// and a session whose plan factors experts fills the tab when it is opened with its model.
// LibTorch before Qt (Qt's `slots` keyword breaks LibTorch headers).
#include "core/model/moe_model.h"
#include "core/session/session.h"
// clang-format off
#include "app/gui/main_window.h"
#include "app/gui/worker.h"
#include "support/paths.h"
#include "widgets/heatmap_view.h"
#include "widgets/rank_editor.h"
// clang-format on

#include <QComboBox>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>
#include <cmath>
#include <fstream>
#include <sstream>

using moewb::widgets::RankEditor;

namespace {

int tableRow(const RankEditor& editor, int layer, int expert)
{
    const auto* t = editor.table();
    for (int r = 0; r < t->rowCount(); ++r)
        if (t->item(r, 0)->text().toInt() == layer && t->item(r, 1)->text().toInt() == expert)
            return r;
    return -1;
}

} // namespace

class TestRankEditor : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void budgetBreakEvenAndOverrides();
    void sessionPlanFillsTheTab();
    void choosingAmongFactoredPlans();
};

// Several plans factor experts: the combo lists them, shows the preferred (the one Decompose just made),
// switches the heatmap, table and summary when another is chosen, keeps that choice when the same
// plans come again, and follows a new preferred plan.
void TestRankEditor::choosingAmongFactoredPlans()
{
    RankEditor editor;
    QVERIFY(!editor.planChooser()->isVisibleTo(&editor)); // nothing to choose yet
    const std::map<QString, std::vector<RankEditor::Layer>> plans{
        {QStringLiteral("expert-drop-layerwise-0.25-lowrank"), {{1, 128, 352, {{0, 40}}, {}}}},
        {QStringLiteral("moe-i2"), {{1, 128, 352, {{0, 20}, {2, 30}}, {}}, {3, 128, 352, {{5, 10}}, {}}}}};
    editor.setPlans(plans, QStringLiteral("moe-i2"), 8);
    QVERIFY(editor.planChooser()->isVisibleTo(&editor));
    QCOMPARE(editor.planChooser()->count(), 2);
    QCOMPARE(editor.currentPlan(), QStringLiteral("moe-i2"));
    QCOMPARE(editor.rows(), 2);
    QCOMPARE(editor.rank(3, 5), 10);
    QVERIFY(editor.summary().startsWith(QStringLiteral("Plan moe-i2. ")));

    editor.planChooser()->setCurrentText(QStringLiteral("expert-drop-layerwise-0.25-lowrank")); // the user
    QCOMPARE(editor.currentPlan(), QStringLiteral("expert-drop-layerwise-0.25-lowrank"));
    QCOMPARE(editor.rows(), 1);
    QCOMPARE(editor.rank(1, 0), 40);
    QCOMPARE(editor.table()->rowCount(), 1);
    QVERIFY(editor.summary().startsWith(QStringLiteral("Plan expert-drop-layerwise-0.25-lowrank. ")));
    // The same snapshot again (an evaluation finished): the user's choice stays.
    editor.setPlans(plans, QStringLiteral("moe-i2"), 8);
    QCOMPARE(editor.currentPlan(), QStringLiteral("expert-drop-layerwise-0.25-lowrank"));
    // A new decomposition is preferred: it is shown.
    auto more = plans;
    more[QStringLiteral("moe-i2-lowrank")] = {{1, 128, 352, {{0, 64}}, {}}};
    editor.setPlans(more, QStringLiteral("moe-i2-lowrank"), 8);
    QCOMPARE(editor.currentPlan(), QStringLiteral("moe-i2-lowrank"));
    QCOMPARE(editor.planChooser()->currentText(), QStringLiteral("moe-i2-lowrank"));
    QCOMPARE(editor.rank(1, 0), 64);
    // The chosen plan gone: back to the preferred one; no plans: empty and hidden.
    more.erase(QStringLiteral("moe-i2-lowrank"));
    editor.setPlans(more, QStringLiteral("moe-i2"), 8);
    QCOMPARE(editor.currentPlan(), QStringLiteral("moe-i2"));
    editor.setPlans({}, QString(), 8);
    QCOMPARE(editor.rows(), 0);
    QVERIFY(!editor.planChooser()->isVisibleTo(&editor));
}

void TestRankEditor::budgetBreakEvenAndOverrides()
{
    RankEditor editor;
    editor.setLayers({{1, 128, 352, {{0, 40}, {2, 93}}, {1}}, {3, 128, 352, {{5, 94}}, {}}}, 8);
    QCOMPARE(editor.rows(), 2);
    QCOMPARE(editor.table()->rowCount(), 3);
    QCOMPARE(editor.heatmap()->value(0, 2), 93.0);
    QVERIFY(std::isnan(editor.heatmap()->value(0, 1))); // a dense expert has no rank
    QCOMPARE(editor.denseParameters(0), qint64(3 * 135168));
    QCOMPARE(editor.storedParameters(0), qint64(135168 + 3 * 40 * 480 + 3 * 93 * 480)); // 326688
    QVERIFY(!editor.aboveBreakEven(1, 2)); // 93 * 480 = 44640 < 45056
    QVERIFY(editor.aboveBreakEven(3, 5)); // 94 * 480 = 45120 >= 45056: kept dense
    QCOMPARE(editor.storedParameters(1), qint64(135168));
    const int wasteful = tableRow(editor, 3, 5);
    QCOMPARE(editor.table()->item(wasteful, 3)->background().color(), QColor(246, 180, 180));
    QVERIFY(editor.summary().contains(QStringLiteral("by hand: 0")));

    QSignalSpy changed(&editor, &RankEditor::overridesChanged);
    const int row = tableRow(editor, 1, 0);
    editor.table()->item(row, 3)->setData(Qt::EditRole, 20); // as typed
    QCOMPARE(changed.count(), 1);
    QCoreApplication::processEvents();
    QVERIFY(editor.isOverridden(1, 0));
    QCOMPARE(editor.rank(1, 0), 20);
    QCOMPARE(editor.storedParameters(0), qint64(135168 + 3 * 20 * 480 + 3 * 93 * 480));
    const int edited = tableRow(editor, 1, 0);
    QCOMPARE(editor.table()->item(edited, 3)->background().color(), QColor(255, 226, 160));
    QVERIFY(editor.table()->item(edited, 3)->font().bold());
    QCOMPARE(editor.table()->item(edited, 2)->text(), QStringLiteral("40")); // the allocation stays visible
    QCOMPARE(editor.heatmap()->value(0, 0), 20.0);
    QCOMPARE(editor.overrides(), (std::map<RankEditor::Key, int>{{{1, 0}, 20}}));

    auto* reset = qobject_cast<QToolButton*>(editor.table()->cellWidget(edited, 5));
    QVERIFY(reset);
    reset->click();
    QVERIFY(!editor.isOverridden(1, 0));
    QCOMPARE(editor.rank(1, 0), 40);
    QCOMPARE(changed.count(), 2);
}

void TestRankEditor::sessionPlanFillsTheTab()
{
    const auto modelDir = moewb::test::sourceDir() / "resources/demo/models/mixtral";
    if (!std::filesystem::exists(modelDir / "config.json"))
        QSKIP("the Mixtral demo model is not there");
    const auto model = moewb::MoeModel::open(modelDir);
    const auto& spec = model->spec();
    const int layer = spec.moeLayerIndices().front();
    std::ifstream in(modelDir / "config.json");
    std::stringstream config;
    config << in.rdbuf();
    moewb::Session session;
    session.setSource({modelDir, config.str(), model->checkpoint().identityHash()});
    moewb::Plan plan;
    plan.name = "lowrank-test";
    plan.method = "moe-i2";
    plan.steps.push_back(moewb::RemoveExperts{layer, {7}});
    plan.steps.push_back(
        moewb::FactorExperts{layer, {{0, 16, moewb::SvdMode::Plain}, {3, 24, moewb::SvdMode::Plain}}, ""});
    session.setPlan(plan);
    QTemporaryDir dir;
    const QString file = dir.filePath(QStringLiteral("ranks.h5"));
    session.save(file.toStdString());

    moewb::gui::MainWindow w;
    QSignalSpy finished(w.worker(), &moewb::gui::Worker::jobFinished);
    w.openSession(file);
    QVERIFY(finished.wait(60000));
    QCoreApplication::processEvents();
    auto* editor = w.rankEditor();
    QCOMPARE(editor->rows(), 1);
    QCOMPARE(editor->rank(layer, 0), 16);
    QCOMPARE(editor->rank(layer, 3), 24);
    QCOMPARE(editor->rank(layer, 7), -1);
    const qint64 m = spec.hiddenSize, n = spec.layers[static_cast<size_t>(layer)].expertWidth;
    // 8 experts: 7 removed, 0 and 3 factored, the other 5 dense.
    QCOMPARE(editor->denseParameters(0), 7 * 3 * m * n);
    QCOMPARE(editor->storedParameters(0), 5 * 3 * m * n + 3 * (16 + 24) * (m + n));

    // MOEWB_SCREENSHOTS=DIR: a picture of the tab for docs/ with ranks typed into every MoE layer
    // (a hand-written plan, not an allocation) and one override at break-even.
    const QString shots = qEnvironmentVariable("MOEWB_SCREENSHOTS");
    if (shots.isEmpty())
        return;
    std::vector<RankEditor::Layer> layers;
    const auto moe = spec.moeLayerIndices();
    for (size_t i = 0; i < moe.size(); ++i) {
        RankEditor::Layer l{moe[i], m, n, {}, {}};
        for (int e = 0; e < spec.layers[static_cast<size_t>(moe[i])].numExperts; ++e) {
            if (e == static_cast<int>(i + 2) % 8)
                continue; // one removed expert a layer
            if (e == static_cast<int>(i + 5) % 8)
                l.denseExperts.push_back(e);
            else
                l.ranks[e] = 8 + 4 * static_cast<int>((e * 3 + i * 5) % 9);
        }
        layers.push_back(l);
    }
    RankEditor big;
    big.setLayers(layers, 8);
    big.setOverrides({{{moe[1], 0}, static_cast<int>((m * n + m + n - 1) / (m + n))}});
    big.resize(1000, 700);
    big.show();
    QCoreApplication::processEvents();
    QTest::qWait(200);
    QVERIFY(big.grab().save(shots + QStringLiteral("/ranks.png"), "PNG", 0));
}

QTEST_MAIN(TestRankEditor)
#include "tst_rank_editor.moc"
