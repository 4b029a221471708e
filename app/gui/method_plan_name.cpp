// The plans' default names (the placeholder of MethodForm's Plan name, and the worker's names) and the
// check of a name typed there against core's rule (core/plan/plan_name.h).
#include "app/gui/method_types.h"

#include "core/plan/plan_name.h"

#include <QCoreApplication>
#include <QRegularExpression>
#include <fmt/format.h>

namespace moewb::gui {

namespace {

// Translation context of the plan name messages (free functions).
class MethodChecks {
    Q_DECLARE_TR_FUNCTIONS(MethodChecks)
};

// A number as the CLI's names write it (fmt's shortest form: 0.25, 0.5).
QString number(double x)
{
    return QString::fromStdString(fmt::format("{}", x));
}

} // namespace

QString defaultPlanName(const QString& method, const MethodParameters& p)
{
    if (method == QLatin1String("expert-drop"))
        return p.preserveN > 0 ? QStringLiteral("expert-drop-%1-keep%2").arg(p.dropMode).arg(p.preserveN)
                               : QStringLiteral("expert-drop-%1-%2").arg(p.dropMode, number(p.dropRatio));
    if (method == QLatin1String("layer-drop"))
        return QStringLiteral("layer-drop-%1").arg(p.dropN);
    if (method == QLatin1String("block-drop"))
        return QStringLiteral("block-drop-%1-%2").arg(p.blockMode).arg(p.dropN);
    if (method == QLatin1String("wanda") || method == QLatin1String("sparsegpt")) {
        // SparsityPattern::name(): "unstructured" (then the sparsity) or "N:M" as numbers.
        static const QRegularExpression nm(QStringLiteral("^(\\d+):(\\d+)$"));
        const auto match = nm.match(p.pattern);
        const QString pattern = match.hasMatch()
            ? QStringLiteral("%1:%2").arg(match.captured(1).toInt()).arg(match.captured(2).toInt())
            : QStringLiteral("unstructured-%1").arg(number(p.sparsity));
        return method + QLatin1Char('-') + pattern;
    }
    if (method == QLatin1String("condense"))
        return p.condenseByTarget
            ? QStringLiteral("cd-moe-target%1x%2").arg(p.condenseTargetParams).arg(p.condenseExperts)
            : QStringLiteral("cd-moe-%1x%2").arg(p.condenseLayers).arg(p.condenseExperts);
    return method;
}

QString planNameProblemMessage(const QString& name)
{
    switch (planNameProblem(name.toStdString())) {
    case PlanNameProblem::None: return {};
    case PlanNameProblem::Empty: return MethodChecks::tr("A plan name cannot be only spaces.");
    case PlanNameProblem::OuterSpace:
        return MethodChecks::tr("Plan name '%1' starts or ends with a space.").arg(name);
    case PlanNameProblem::ControlChar:
        return MethodChecks::tr("A plan name cannot hold tabs, line breaks or other control characters.");
    case PlanNameProblem::TooLong:
        return MethodChecks::tr("A plan name is at most %1 bytes long (UTF-8).").arg(kMaxPlanNameLength);
    }
    return {};
}

} // namespace moewb::gui
