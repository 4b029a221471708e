// Recover's settings that were CLI-only (finetune --accumulation --weight-decay --dropout --targets
// --seed --plan-name --checkpoint-every --resume): typed into the panel they reach core's options (the
// plan records them and the losses are core's for them); an empty module list and result names that
// would overwrite another plan are refused with a message, in the panel and by the worker; a run with
// checkpoints writes finetune's default file mid-run, a cancel says where it is, Resume is offered
// then and continues after the checkpoint's step, core (what finetune --resume runs) resumes the
// GUI's checkpoint and the GUI resumes core's.
#include "app/gui/main_window.h"
#include "app/gui/recover_panel.h"
#include "app/gui/worker.h"
#include "support/gui_jobs.h"
#include "support/paths.h"
#include "support/recover_fixtures.h"
#include "widgets/loss_curve.h"
#include "core/io/error.h"

#include <QCheckBox>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>
#include <cmath>

using namespace moewb::test;

class TestRecoverCheckpoint : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void refusedNamesAndTargets();
    void settingsReachCore();
    void checkpointAndResume();
};

namespace {

template <class T> T* field(QWidget* panel, const char* name)
{
    return panel->findChild<T*>(QLatin1String(name));
}

} // namespace

// Without a model: the defaults are the CLI's; no module checked, the plan's own name, and another
// plan's name that is not a recovery are refused with a message and Recover disabled; an earlier
// recovery's name is allowed; the new fields are remembered in QSettings (Resume is not).
void TestRecoverCheckpoint::refusedNamesAndTargets()
{
    using moewb::gui::RecoverPanel;
    const moewb::gui::RecoverSettings d;
    QCOMPARE(d.accumulation, 1);
    QCOMPARE(d.weightDecay, 0.0);
    QCOMPARE(d.dropout, 0.05);
    QCOMPARE(d.targets, QStringLiteral("attention,experts,shared"));
    QCOMPARE(d.seed, quint64(0));
    QCOMPARE(d.checkpointEvery, 0);
    RecoverPanel panel;
    panel.setPlans({QStringLiteral("p"), QStringLiteral("p-lora"), QStringLiteral("other")});
    panel.setSessionContext({QStringLiteral("p-lora")}, QString());
    moewb::gui::RecoverSettings r;
    r.plan = QStringLiteral("p");
    panel.setSettings(r);
    QVERIFY(panel.problem().isEmpty());
    QCOMPARE(field<QLineEdit>(&panel, "planName")->placeholderText(), QStringLiteral("p-lora"));
    for (const char* name : {"targetAttention", "targetExperts", "targetShared", "targetDense"})
        field<QCheckBox>(&panel, name)->setChecked(false);
    qInfo("no modules: %s", qPrintable(panel.problem()));
    QVERIFY(panel.problem().contains(QStringLiteral("no module chosen")));
    QVERIFY(!panel.startButton()->isEnabled());
    field<QCheckBox>(&panel, "targetDense")->setChecked(true);
    QVERIFY(panel.problem().isEmpty());
    QCOMPARE(panel.settings().targets, QStringLiteral("dense"));
    auto* name = field<QLineEdit>(&panel, "planName");
    name->setText(QStringLiteral("other"));
    qInfo("name 'other': %s", qPrintable(panel.problem()));
    QVERIFY(panel.problem().contains(QStringLiteral("not a LoRA recovery")));
    QVERIFY(!panel.startButton()->isEnabled());
    name->setText(QStringLiteral("p"));
    QVERIFY(panel.problem().contains(QStringLiteral("being recovered")));
    name->setText(QStringLiteral(" q"));
    QVERIFY(panel.problem().contains(QStringLiteral("space")));
    name->setText(QStringLiteral("p-lora")); // a re-run replaces the earlier recovery
    QVERIFY(panel.problem().isEmpty());
    QVERIFY(panel.startButton()->isEnabled());
    name->setText(QStringLiteral("mine"));
    QVERIFY(!field<QCheckBox>(&panel, "resume")->isEnabled()); // no session file, no checkpoint

    field<QSpinBox>(&panel, "accumulation")->setValue(3);
    field<QDoubleSpinBox>(&panel, "weightDecay")->setValue(0.25);
    field<QDoubleSpinBox>(&panel, "dropout")->setValue(0.1);
    field<QSpinBox>(&panel, "seed")->setValue(11);
    field<QSpinBox>(&panel, "checkpointEvery")->setValue(5);
    RecoverPanel::saveSettings(panel.settings());
    const auto loaded = RecoverPanel::loadSettings();
    QSettings().remove(QStringLiteral("recover"));
    QCOMPARE(loaded.accumulation, 3);
    QCOMPARE(loaded.weightDecay, 0.25);
    QCOMPARE(loaded.dropout, 0.1);
    QCOMPARE(loaded.targets, QStringLiteral("dense"));
    QCOMPARE(loaded.seed, quint64(11));
    QVERIFY(loaded.planName.isEmpty()); // one run's choice: a remembered name would replace a recovery later
    QCOMPARE(loaded.checkpointEvery, 5);
    RecoverPanel fresh;
    fresh.setSettings(loaded);
    QVERIFY(fresh.findChild<QToolButton*>(QStringLiteral("advanced"))->isChecked()); // not the defaults
}

// The new fields typed into the panel reach core: the plan (named as typed) records accumulation 2,
// weight decay 0.1, dropout 0.2, targets attention, seed 7, holds one delta per attention adapter,
// and its losses are core's with those settings (seed 0, accumulation 1 or other modules give others).
// The worker refuses a result name that would overwrite the base plan, as the CLI does.
void TestRecoverCheckpoint::settingsReachCore()
{
    MOEWB_REQUIRE_DEMO_MODEL("qwen");
    moewb::gui::MainWindow w;
    const QString base = expertDropOnQwen(w);
    QVERIFY(!base.isEmpty());
    auto* panel = w.recoverPanel();
    panel->setSettings(tinyRecover(base, 3));
    field<QSpinBox>(panel, "accumulation")->setValue(2);
    field<QDoubleSpinBox>(panel, "weightDecay")->setValue(0.1);
    field<QDoubleSpinBox>(panel, "dropout")->setValue(0.2);
    field<QCheckBox>(panel, "targetExperts")->setChecked(false);
    field<QCheckBox>(panel, "targetShared")->setChecked(false);
    field<QSpinBox>(panel, "seed")->setValue(7);
    field<QLineEdit>(panel, "planName")->setText(QStringLiteral("tuned"));
    QVERIFY(panel->problem().isEmpty());
    QVERIFY(waitForJob(w, w.recover(panel->settings())));
    QCoreApplication::processEvents();
    auto* curve = w.lossCurve();
    QCOMPARE(curve->lossPoints(), 3);

    using namespace moewb;
    QTemporaryDir dir;
    const QString file = dir.filePath(QStringLiteral("s.h5"));
    QVERIFY(waitForJob(w, w.saveSessionAs(file)));
    const Session session = Session::open(file.toStdString());
    QVERIFY(!session.plans().count(base.toStdString() + "-lora"));
    const auto found = session.plans().find("tuned");
    QVERIFY(found != session.plans().end());
    const auto& lora = found->second.plan.parameters.at("lora");
    qInfo("recorded: %s", lora.dump().c_str());
    QCOMPARE(lora.at("accumulation").get<int>(), 2);
    QCOMPARE(lora.at("weight_decay").get<double>(), 0.1);
    QCOMPARE(lora.at("dropout").get<double>(), 0.2);
    QCOMPARE(QString::fromStdString(lora.at("targets").get<std::string>()), QStringLiteral("attention"));
    QCOMPARE(lora.at("seed").get<int>(), 7);
    int deltas = 0, attention = 0; // the adapters: attention projections only
    for (const auto& step : found->second.plan.steps)
        if (const auto* d = std::get_if<ApplyDelta>(&step)) {
            ++deltas;
            attention += d->parameter.find(".self_attn.") != std::string::npos;
        }
    qInfo("%d deltas, %d on attention", deltas, attention);
    QVERIFY(deltas > 0);
    QCOMPARE(attention, deltas);
    const auto r = panel->settings();
    const auto run = coreRun(session, r);
    QCOMPARE(run.losses.size(), size_t(3));
    for (int i = 0; i < 3; ++i) {
        qInfo("step %d: GUI loss %.6f, core loss %.6f", i + 1, curve->lossAt(i), run.losses[size_t(i)]);
        QVERIFY(std::abs(curve->lossAt(i) - run.losses[size_t(i)]) < 1e-4);
    }
    auto plain = r;
    plain.seed = 0;
    plain.accumulation = 1;
    const auto other = coreRun(session, plain);
    qInfo("seed 0, accumulation 1: core loss %.6f at step 1", other.losses.at(0));
    QVERIFY(std::abs(other.losses.at(0) - run.losses.at(0)) > 1e-3);

    auto clash = r; // past the panel's check: the worker applies core's rule to the session itself
    clash.planName = base;
    QVERIFY(!waitForJob(w, w.worker()->recover(clash)));
    qInfo("worker: %s", qPrintable(w.lastError()));
    QVERIFY(w.lastError().contains(QStringLiteral("being recovered")));
}

// Checkpoint every 2 steps of a long run in a saved session: finetune's default file beside it is
// there once step 3 is reported (step 2's checkpoint; none before the run, Resume disabled); Cancel
// says where it is and enables Resume, whose tooltip names it. core's finetuneLora resuming that file
// as `finetune --resume` does reports the checkpoint's steps again (restored: the GUI's values) and
// trains from after the GUI's last step (not at step 1); cancelled at its first trained step, it
// checkpoints it. Resume in the GUI then draws the checkpoint's steps 1..k (the GUI's and core's values)
// and continues at k + 1 on the same curve.
void TestRecoverCheckpoint::checkpointAndResume()
{
    MOEWB_REQUIRE_DEMO_MODEL("qwen");
    moewb::gui::MainWindow w;
    const QString base = expertDropOnQwen(w);
    QVERIFY(!base.isEmpty());
    QTemporaryDir dir;
    const QString file = dir.filePath(QStringLiteral("s.h5"));
    QVERIFY(waitForJob(w, w.saveSessionAs(file))); // the checkpoint goes beside it
    QCoreApplication::processEvents();
    auto* panel = w.recoverPanel();
    moewb::gui::RecoverSettings r = tinyRecover(base, 100000);
    r.heldOutPath = QStringLiteral("-"); // none: every step trains
    panel->setSettings(r);
    const QString ckpt = file + QStringLiteral(".") + base + QStringLiteral("-lora.ckpt");
    QCOMPARE(panel->checkpointPath(), ckpt);
    auto* resume = field<QCheckBox>(panel, "resume");
    QVERIFY(!resume->isEnabled());
    field<QSpinBox>(panel, "checkpointEvery")->setValue(2);
    const auto typed = panel->settings();
    QVERIFY(!typed.resume);

    QSignalSpy points(w.worker(), &moewb::gui::Worker::lossPointReady);
    QSignalSpy cancelled(w.worker(), &moewb::gui::Worker::jobCancelled);
    QVERIFY(w.recover(typed) > 0);
    QVERIFY(QTest::qWaitFor([&] { return points.size() >= 3; }, 120000));
    const bool midRun = QFileInfo(ckpt).isFile(); // written after step 2, before step 3 began
    w.cancel();
    QVERIFY(cancelled.wait(10000));
    QCoreApplication::processEvents();
    QVERIFY(midRun);
    qInfo("status: %s", qPrintable(w.statusBar()->currentMessage()));
    QVERIFY(w.statusBar()->currentMessage().contains(ckpt));
    QVERIFY(resume->isEnabled());
    QVERIFY(resume->toolTip().contains(ckpt));

    QVector<double> guiLosses; // the first run's points, steps 1..k
    for (const auto& args : points) {
        const auto p = args.at(0).value<moewb::gui::LossPoint>();
        QVERIFY(!p.restored);
        QCOMPARE(p.step, guiLosses.size() + 1LL);
        guiLosses << p.loss;
    }

    using namespace moewb;
    const Session session = Session::open(file.toStdString());
    int64_t coreStep = 0;
    QVector<double> losses; // steps 1.. as core reports them: the checkpoint's again, then its own step
    try {
        coreRun(session, typed, ckpt.toStdString(), [&](const FinetuneReport& report) {
            if (report.step != losses.size() + 1)
                return false; // out of order: coreStep stays 0 and the check below fails
            losses << report.loss;
            if (report.restored)
                return true;
            coreStep = report.step;
            return false; // stop at once: the checkpoint now holds this step
        });
    } catch (const Cancelled&) {
    }
    qInfo("the GUI reported %d steps before the cancel; core resumed its checkpoint at step %lld",
        int(points.size()), static_cast<long long>(coreStep));
    QVERIFY(coreStep > 3);
    QCOMPARE(losses.size(), coreStep);
    QVERIFY(guiLosses.size() < coreStep);
    for (int i = 0; i < guiLosses.size(); ++i) // the checkpoint's steps, reported again: the GUI's values
        QCOMPARE(losses[i], guiLosses[i]);

    // The resumed run's curve is whole: steps 1..coreStep from the checkpoint (the GUI's first run's and
    // core's values), then the steps trained now from coreStep + 1 on.
    resume->setChecked(true);
    QVERIFY(panel->settings().resume);
    points.clear();
    QVERIFY(w.recover(panel->settings()) > 0);
    const auto trained = [&] {
        for (const auto& args : points)
            if (!args.at(0).value<moewb::gui::LossPoint>().restored)
                return true;
        return false;
    };
    QVERIFY(QTest::qWaitFor(trained, 120000));
    const auto series = w.lossCurve()->lossSeries(); // before the cancel, which drops later points
    qInfo("the resumed curve: %d points before the cancel, the first trained step %lld", int(series.size()),
        points.at(int(coreStep)).at(0).value<moewb::gui::LossPoint>().step);
    QVERIFY(series.size() > coreStep);
    for (int i = 0; i <= coreStep; ++i) {
        const auto p = points.at(i).at(0).value<moewb::gui::LossPoint>();
        QCOMPARE(p.step, i + 1LL);
        QCOMPARE(p.restored, i < coreStep);
        QCOMPARE(series[i].x(), double(i + 1));
        if (i < coreStep)
            QCOMPARE(series[i].y(), losses[i]);
        if (i < guiLosses.size()) // the first run's points, drawn again with its values
            QCOMPARE(series[i].y(), guiLosses[i]);
        QCOMPARE(w.lossCurve()->lossAt(i), series[i].y());
    }
    QCOMPARE(series[int(coreStep)].y(), points.at(int(coreStep)).at(0).value<moewb::gui::LossPoint>().loss);
    QString drawn;
    for (int i = 0; i <= coreStep; ++i)
        drawn += QStringLiteral(" %1:%2").arg(series[i].x()).arg(series[i].y(), 0, 'f', 6);
    qInfo("steps drawn (first run %d steps, core %lld, resumed from then on):%s", int(guiLosses.size()),
        static_cast<long long>(coreStep), qPrintable(drawn));
    w.cancel();
    QVERIFY(cancelled.wait(10000));
}

QTEST_MAIN(TestRecoverCheckpoint)
#include "tst_recover_checkpoint.moc"
