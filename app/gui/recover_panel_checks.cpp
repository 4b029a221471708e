// RecoverPanel's checks and QSettings (recover_panel.h): what refuses a run (the CLI's ranges, and
// core/train/lora_run.h's rules for the adapter modules and the result plan's name) and the fields
// remembered in group "recover".
#include "app/gui/recover_panel.h"

#include "core/io/error.h"
#include "core/train/lora_run.h"

#include <QSettings>

#include <string>
#include <type_traits>
#include <vector>

namespace moewb::gui {

QString RecoverPanel::problemOf(const RecoverSettings& s, const QStringList& plans, const QStringList& recovered)
{
    if (s.plan.isEmpty())
        return tr("The session has no plan yet: run a method first.");
    if (s.lr <= 0.0)
        return tr("The learning rate must be above 0.");
    if (s.alpha <= 0.0)
        return tr("LoRA alpha must be above 0.");
    if (s.batchSize < 1 || s.sequenceLength < 2 || s.evalEvery < 1 || s.evalBlocks < 1 || s.warmupSteps < -1
        || s.patience < 0)
        return tr("Advanced: batch, evaluation interval and held-out windows must be at least 1, sequence "
                  "length at least 2, warm-up (unless Auto) and patience 0 or more.");
    if (s.accumulation < 1 || s.weightDecay < 0.0 || s.dropout < 0.0 || s.dropout > 0.9 || s.checkpointEvery < 0)
        return tr("Advanced: accumulation must be at least 1, weight decay and checkpoint interval 0 or "
                  "more, LoRA dropout between 0 and 0.9.");
    try {
        LoraOptions targets;
        parseLoraTargets(s.targets.toStdString(), targets); // finetune --targets' rules
    } catch (const Error& e) {
        return tr("Adapters on: %1").arg(QString::fromUtf8(e.what()));
    }
    if (const QString p = planNameProblem(s, plans, recovered); !p.isEmpty())
        return p;
    if (s.objective != QLatin1String("lm") && s.objective != QLatin1String("distill"))
        return tr("Unknown objective '%1' (lm or distill).").arg(s.objective);
    if (s.objective == QLatin1String("distill")) {
        if (s.temperature <= 0.0)
            return tr("The distillation temperature must be above 0.");
        if (s.distillWeight < 0.0 || s.distillWeight > 1.0)
            return tr("The distillation weight must be between 0 and 1.");
    }
    return {};
}

QString RecoverPanel::planNameProblem(const RecoverSettings& s, const QStringList& plans, const QStringList& recovered)
{
    std::vector<std::string> all, lora;
    for (const QString& p : plans)
        all.push_back(p.toStdString());
    for (const QString& p : recovered)
        lora.push_back(p.toStdString());
    const std::string name = recoveredPlanName(s.plan.toStdString(), s.planName.toStdString());
    const std::string problem = recoveredPlanNameProblem(all, lora, s.plan.toStdString(), name);
    return problem.empty() ? QString() : tr("Result plan: %1").arg(QString::fromStdString(problem));
}

namespace {

// Reads (save false) or writes every remembered field of `r` in QSettings group "recover": all but
// the plan (the session's), Resume and the result plan's name (choices for one run: a remembered name
// would replace an earlier recovery of that name in a later run).
void transfer(RecoverSettings& r, bool save)
{
    QSettings s;
    s.beginGroup(QStringLiteral("recover"));
    const auto io = [&](const char* key, auto& field) {
        using T = std::decay_t<decltype(field)>;
        const QString name = QLatin1String(key);
        if (save)
            s.setValue(name, QVariant::fromValue(field));
        else
            field = s.value(name, QVariant::fromValue(field)).template value<T>();
    };
    io("trainPath", r.trainPath);
    io("heldOutPath", r.heldOutPath);
    io("steps", r.steps);
    io("lr", r.lr);
    io("rank", r.rank);
    io("alpha", r.alpha);
    io("objective", r.objective);
    io("temperature", r.temperature);
    io("distillWeight", r.distillWeight);
    io("batchSize", r.batchSize);
    io("sequenceLength", r.sequenceLength);
    io("evalEvery", r.evalEvery);
    io("evalBlocks", r.evalBlocks);
    io("warmupSteps", r.warmupSteps);
    io("patience", r.patience);
    io("accumulation", r.accumulation);
    io("weightDecay", r.weightDecay);
    io("dropout", r.dropout);
    io("targets", r.targets);
    io("seed", r.seed);
    io("checkpointEvery", r.checkpointEvery);
}

} // namespace

RecoverSettings RecoverPanel::loadSettings()
{
    RecoverSettings r;
    transfer(r, false);
    return r;
}

void RecoverPanel::saveSettings(const RecoverSettings& settings)
{
    RecoverSettings r = settings;
    transfer(r, true);
}

} // namespace moewb::gui
