#include "app/gui/parameter_checks.h"

#include "app/gui/method_form.h"

#include <QCoreApplication>
#include <limits>

namespace moewb::gui {

// The translation context of the messages below.
class ParameterChecks {
    Q_DECLARE_TR_FUNCTIONS(ParameterChecks)
};

namespace {

ParameterIssue error(const QString& field, const QString& message)
{
    return {ParameterIssue::Severity::Error, field, message};
}

ParameterIssue warning(const QString& field, const QString& message)
{
    return {ParameterIssue::Severity::Warning, field, message};
}

} // namespace

QString calibrationKey(const RunSettings& s)
{
    return QStringLiteral("%1|%2|%3|%4|%5")
        .arg(s.calibrationPath)
        .arg(s.samples)
        .arg(s.sequenceLength)
        .arg(s.calibrationSeed)
        .arg(s.device);
}

QString allocationKey(const RunSettings& s)
{
    QString key = calibrationKey(s) + QStringLiteral("|ratio=%1|").arg(s.ratio, 0, 'g', 17);
    for (const auto& [layer, count] : s.countOverrides)
        key += QStringLiteral("%1:%2,").arg(layer).arg(count);
    return key;
}

QString geneticKey(const RunSettings& s)
{
    return allocationKey(s)
        + QStringLiteral("|N=%1|G=%2|K=%3|seed=%4|force=%5")
              .arg(s.population)
              .arg(s.generations)
              .arg(s.candidates)
              .arg(s.seed)
              .arg(s.forceGenetic ? 1 : 0);
}

QString blockKey(const RunSettings& s)
{
    return geneticKey(s) + QStringLiteral("|T=%1").arg(s.blockSize);
}

qint64 ktCombinations(int candidates, int blockSize)
{
    qint64 n = 1;
    for (int i = 0; i < blockSize; ++i) {
        if (n > std::numeric_limits<qint64>::max() / std::max(candidates, 1))
            return std::numeric_limits<qint64>::max();
        n *= candidates;
    }
    return n;
}

bool rankAboveBreakEven(qint64 rank, qint64 m, qint64 n)
{
    return rank * (m + n) >= m * n;
}

QList<ParameterIssue> checkParameters(const RunSettings& s, const ModelSummary& model)
{
    if (isExtraMethod(s.method)) // app/gui/method_form.h
        return checkMethodParameters(s.method, s.methodParameters, model);
    QList<ParameterIssue> issues;
    const qint64 combinations = ktCombinations(s.candidates, s.blockSize);
    if (combinations > kMaxKtCombinations)
        issues << error(QStringLiteral("K"),
            ParameterChecks::tr(
                "K^T = %1^%2 = %3 combinations per block is too many (at most %4): lower K or T.")
                .arg(s.candidates)
                .arg(s.blockSize)
                .arg(combinations == std::numeric_limits<qint64>::max()
                        ? ParameterChecks::tr("more than 10^18")
                        : QString::number(combinations))
                .arg(kMaxKtCombinations));
    const int moeLayers = static_cast<int>(model.moeLayers.size());
    if (moeLayers > 0 && s.blockSize > moeLayers)
        issues << warning(QStringLiteral("T"),
            ParameterChecks::tr("T = %1 is longer than the model's %2 MoE layers: one block holds them all.")
                .arg(s.blockSize)
                .arg(moeLayers));
    int removable = 0, experts = 0;
    for (const auto& layer : model.layers) {
        if (!layer.moe || layer.experts.empty())
            continue;
        const int e = static_cast<int>(layer.experts.size());
        experts += e;
        removable += std::max(0, e - layer.topK);
        const auto it = s.countOverrides.find(layer.index);
        if (it == s.countOverrides.end())
            continue;
        const int count = it->second;
        const QString field = QStringLiteral("count:%1").arg(layer.index);
        if (count < 0)
            issues << error(
                field, ParameterChecks::tr("Layer %1: a pruning count cannot be negative.").arg(layer.index));
        else if (e - count < layer.topK)
            issues << error(field,
                ParameterChecks::tr(
                    "Layer %1: removing %2 of %3 experts leaves %4, fewer than the %5 each token is routed "
                    "to (top-k); at most %6 can go.")
                    .arg(layer.index)
                    .arg(count)
                    .arg(e)
                    .arg(e - count)
                    .arg(layer.topK)
                    .arg(e - layer.topK));
    }
    if (experts > 0 && s.ratio * experts > removable + 0.5)
        issues << error(QStringLiteral("ratio"),
            ParameterChecks::tr(
                "A pruning ratio of %1 removes %2 experts, but at most %3 can go while every layer keeps "
                "its top-k.")
                .arg(s.ratio, 0, 'f', 2)
                .arg(qRound(s.ratio * experts))
                .arg(removable));
    return issues;
}

QList<ParameterIssue> checkRank(int layer, int expert, qint64 rank, qint64 m, qint64 n)
{
    const QString field = QStringLiteral("rank:%1:%2").arg(layer).arg(expert);
    if (rank < 1)
        return {error(field,
            ParameterChecks::tr("Layer %1, expert %2: a rank must be at least 1.").arg(layer).arg(expert))};
    if (rankAboveBreakEven(rank, m, n))
        return {warning(field,
            ParameterChecks::tr(
                "Layer %1, expert %2: rank %3 of a %4 \u00d7 %5 matrix stores %6 parameters, not fewer "
                "than the dense %7 (only ranks below %8 save parameters): the matrix stays dense.")
                .arg(layer)
                .arg(expert)
                .arg(rank)
                .arg(m)
                .arg(n)
                .arg(rank * (m + n))
                .arg(m * n)
                .arg((m * n + m + n - 1) / (m + n)))};
    return {};
}

bool hasErrors(const QList<ParameterIssue>& issues)
{
    for (const auto& i : issues)
        if (i.severity == ParameterIssue::Severity::Error)
            return true;
    return false;
}

} // namespace moewb::gui
