// MethodForm's plain parts (method_form.h): the checks of the methods' parameters against the open
// model, the candidate layer list, and the parameters' place in QSettings.
#include "app/gui/method_form.h"

#include "core/compress/condense_target.h"
#include "core/io/error.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QRegularExpression>
#include <QSettings>
#include <algorithm>
#include <cmath>

namespace moewb::gui {

namespace {

// Translation context of the checks (free functions).
class MethodChecks {
    Q_DECLARE_TR_FUNCTIONS(MethodChecks)
};

// N:M as (n, m); (0, 0) when `pattern` is not of that form.
std::pair<int, int> nOfM(const QString& pattern)
{
    static const QRegularExpression re(QStringLiteral("^(\\d+):(\\d+)$"));
    const auto match = re.match(pattern);
    if (!match.hasMatch())
        return {0, 0};
    return {match.captured(1).toInt(), match.captured(2).toInt()};
}

// CD-MoE's parameter target: above 0, and (with the open model's spec and valid `candidates`) at least
// what condensing every candidate leaves, counted as core counts it (core/compress/condense_target.h).
void checkCondenseTarget(const MethodParameters& p, const ModelSummary& model, const std::vector<int>* candidates,
    QList<ParameterIssue>& issues)
{
    const QString field = QStringLiteral("condenseTargetParams");
    if (p.condenseTargetParams <= 0) {
        issues.push_back({ParameterIssue::Severity::Error, field,
            MethodChecks::tr("Set the parameter target: the most parameters the condensed model may hold.")});
        return;
    }
    if (!model.spec || !candidates)
        return;
    try {
        const auto layers = condenseCandidates(*model.spec, *candidates);
        const auto target = static_cast<uint64_t>(p.condenseTargetParams);
        const uint64_t smallest = smallestCondenseTarget(*model.spec, layers, p.condenseExperts);
        if (smallest > target)
            issues.push_back({ParameterIssue::Severity::Error, field,
                MethodChecks::tr("Condensing all %1 candidate layers leaves %2 parameters, above the target %3.")
                    .arg(layers.size()).arg(smallest).arg(target)});
        else if (condensedParameters(*model.spec, {}, p.condenseExperts) <= target)
            issues.push_back({ParameterIssue::Severity::Warning, field,
                MethodChecks::tr("The model already holds at most %1 parameters; one layer is condensed anyway.")
                    .arg(target)});
    } catch (const moewb::Error&) {
        // experts above a layer's count: reported as condenseExperts
    }
}

} // namespace

std::optional<std::vector<int>> parseLayerList(const QString& text)
{
    std::vector<int> layers;
    static const QRegularExpression item(QStringLiteral("^(\\d+)(?:-(\\d+))?$"));
    if (text.trimmed().isEmpty())
        return layers;
    for (const QString& part : text.split(QLatin1Char(','))) {
        const auto match = item.match(part.trimmed());
        if (!match.hasMatch())
            return std::nullopt;
        bool ok = false, okLast = true;
        const int first = match.captured(1).toInt(&ok);
        const int last = match.captured(2).isEmpty() ? first : match.captured(2).toInt(&okLast);
        if (!ok || !okLast || last < first || last - first > 4096)
            return std::nullopt;
        for (int l = first; l <= last; ++l)
            layers.push_back(l);
    }
    std::sort(layers.begin(), layers.end());
    layers.erase(std::unique(layers.begin(), layers.end()), layers.end());
    return layers;
}

bool isExtraMethod(const QString& method)
{
    return extraMethodNames().contains(method);
}

QList<ParameterIssue> checkMethodParameters(const QString& method, const MethodParameters& p, const ModelSummary& model)
{
    QList<ParameterIssue> issues;
    const auto error = [&](const QString& field, const QString& message) {
        issues.push_back({ParameterIssue::Severity::Error, field, message});
    };
    std::vector<const LayerNode*> moe;
    for (const auto& layer : model.layers)
        if (layer.moe && !layer.experts.empty())
            moe.push_back(&layer);
    const int moeLayers = static_cast<int>(moe.size());
    const int layers = static_cast<int>(model.layers.size());
    if (method == QLatin1String("expert-drop")) {
        if (p.preserveN > 0) {
            for (const auto* l : moe) {
                const int e = static_cast<int>(l->experts.size());
                if (p.preserveN > e)
                    error(QStringLiteral("preserveN"),
                        MethodChecks::tr("Keep per layer is %1, but layer %2 has only %3 experts.")
                            .arg(p.preserveN).arg(l->index).arg(e));
                else if (p.preserveN < l->topK)
                    error(QStringLiteral("preserveN"),
                        MethodChecks::tr("Keeping %1 experts leaves layer %2 fewer than the %3 each token is routed to (top-k).")
                            .arg(p.preserveN).arg(l->index).arg(l->topK));
                if (!issues.isEmpty())
                    break;
            }
        } else if (p.dropMode == QLatin1String("global")) {
            int total = 0, spare = 0;
            for (const auto* l : moe) {
                total += static_cast<int>(l->experts.size());
                spare += static_cast<int>(l->experts.size()) - l->topK;
            }
            const int drop = static_cast<int>(std::lround(p.dropRatio * total));
            if (drop > spare)
                error(QStringLiteral("dropRatio"),
                    MethodChecks::tr("Dropping %1 of %2 experts: at most %3 can go while every layer keeps top-k.")
                        .arg(drop).arg(total).arg(spare));
        } else {
            for (const auto* l : moe) {
                const int e = static_cast<int>(l->experts.size());
                const int drop = static_cast<int>(std::lround(p.dropRatio * e));
                if (e - drop < l->topK) {
                    error(QStringLiteral("dropRatio"),
                        MethodChecks::tr("Layer %1: dropping %2 of %3 experts leaves fewer than the %4 each token is routed to (top-k).")
                            .arg(l->index).arg(drop).arg(e).arg(l->topK));
                    break;
                }
            }
        }
    } else if (method == QLatin1String("layer-drop")) {
        if (p.dropN > moeLayers)
            error(QStringLiteral("dropN"),
                MethodChecks::tr("Layer Drop removes MoE sublayers: the model has %1, so Drop N can be at most %1.")
                    .arg(moeLayers));
    } else if (method == QLatin1String("block-drop")) {
        if (layers > 0 && p.dropN > layers - 1)
            error(QStringLiteral("dropN"),
                MethodChecks::tr("Block Drop keeps at least one of the %1 decoder blocks: Drop N can be at most %2.")
                    .arg(layers).arg(layers - 1));
    } else if (method == QLatin1String("wanda") || method == QLatin1String("sparsegpt")) {
        if (p.pattern != QLatin1String("unstructured")) {
            const auto [n, m] = nOfM(p.pattern);
            if (m <= 0 || n <= 0 || n >= m)
                error(QStringLiteral("pattern"),
                    MethodChecks::tr("Pattern '%1': write unstructured or N:M with 0 < N < M (e.g. 2:4).").arg(p.pattern));
        } else if (p.sparsity <= 0.0) {
            error(QStringLiteral("sparsity"), MethodChecks::tr("Sparsity 0 prunes nothing."));
        }
    } else if (method == QLatin1String("condense")) {
        const auto candidates = parseLayerList(p.condenseCandidates);
        if (!candidates) {
            error(QStringLiteral("condenseCandidates"),
                MethodChecks::tr("Candidate layers '%1': write layer numbers separated by commas, ranges as "
                                 "first-last (e.g. 3,4,5 or 3-5), or leave it empty for all MoE layers.")
                    .arg(p.condenseCandidates));
        } else if (!candidates->empty()) {
            for (int l : *candidates)
                if (std::none_of(moe.begin(), moe.end(), [l](const LayerNode* n) { return n->index == l; })) {
                    error(QStringLiteral("condenseCandidates"),
                        MethodChecks::tr("Candidate layer %1 is not a MoE layer of the model.").arg(l));
                    break;
                }
            const int count = static_cast<int>(candidates->size());
            if (issues.isEmpty() && !p.condenseByTarget && p.condenseLayers > count)
                error(QStringLiteral("condenseLayers"),
                    MethodChecks::tr("%1 candidate layers: at most %1 can be condensed.").arg(count));
        }
        if (!p.condenseByTarget && p.condenseLayers > moeLayers)
            error(QStringLiteral("condenseLayers"),
                MethodChecks::tr("The model has %1 MoE layers; at most %1 can be condensed.").arg(moeLayers));
        int fewest = 0;
        for (const auto* l : moe)
            fewest = fewest == 0 ? static_cast<int>(l->experts.size()) : std::min(fewest, static_cast<int>(l->experts.size()));
        if (fewest > 0 && p.condenseExperts > fewest)
            error(QStringLiteral("condenseExperts"),
                MethodChecks::tr("A condensed layer keeps at most its %1 experts.").arg(fewest));
        if (p.condenseByTarget)
            checkCondenseTarget(p, model, candidates && issues.isEmpty() ? &*candidates : nullptr, issues);
        const bool finetune = p.condenseFinetuneSteps > 0;
        if (finetune && p.condenseFinetuneLr <= 0.0)
            error(QStringLiteral("condenseFinetuneLr"),
                MethodChecks::tr("The learning rate must be above 0."));
        if (finetune && !p.condenseTrainPath.isEmpty() && !QFileInfo::exists(p.condenseTrainPath))
            error(QStringLiteral("condenseTrainPath"),
                MethodChecks::tr("The training text %1 does not exist.").arg(p.condenseTrainPath));
    }
    if (moeLayers == 0 && !model.layers.empty() && method != QLatin1String("block-drop"))
        error(QStringLiteral("method"), MethodChecks::tr("The model has no MoE layers."));
    if (const QString problem = planNameProblemMessage(p.planName); !p.planName.isEmpty() && !problem.isEmpty())
        error(QStringLiteral("planName"), problem);
    else if (!p.after.isEmpty() && p.planName == p.after && method != QLatin1String("condense"))
        error(QStringLiteral("planName"),
            MethodChecks::tr("The plan name is that of the plan this method runs after; choose another name."));
    return issues;
}

void loadMethodParameters(QSettings& s, MethodParameters& p)
{
    const auto get = [&s](const char* key, auto fallback) {
        return s.value(QLatin1String(key), QVariant::fromValue(fallback)).template value<decltype(fallback)>();
    };
    p.dropRatio = get("expertDrop/ratio", p.dropRatio);
    p.preserveN = get("expertDrop/preserveN", p.preserveN);
    p.dropMode = get("expertDrop/mode", p.dropMode);
    p.expertScore = get("expertDrop/score", p.expertScore);
    p.maxSpan = get("layerDrop/maxSpan", p.maxSpan);
    p.sharedExperts = get("slimming/sharedExperts", p.sharedExperts);
    p.sparseGptBlock = get("slimming/sparseGptBlock", p.sparseGptBlock);
    p.damping = get("slimming/damping", p.damping);
    p.condenseCandidates = get("condense/candidateLayers", p.condenseCandidates);
    p.dropN = get("layerDrop/dropN", p.dropN);
    p.blockMode = get("blockDrop/mode", p.blockMode);
    p.sparsity = get("slimming/sparsity", p.sparsity);
    p.pattern = get("slimming/pattern", p.pattern);
    p.condenseLayers = get("condense/layers", p.condenseLayers);
    p.condenseExperts = get("condense/experts", p.condenseExperts);
    p.condenseMetric = get("condense/metric", p.condenseMetric);
    p.condenseFinetuneSteps = get("condense/finetuneSteps", p.condenseFinetuneSteps);
    p.condenseFinetuneLr = get("condense/finetuneLr", p.condenseFinetuneLr);
    p.condenseTrainPath = get("condense/trainPath", p.condenseTrainPath);
    p.condenseByTarget = get("condense/byTarget", p.condenseByTarget);
    p.condenseTargetParams = get("condense/targetParams", p.condenseTargetParams);
    p.condenseFinetuneBatch = get("condense/finetuneBatch", p.condenseFinetuneBatch);
    p.condenseFinetuneWarmup = get("condense/finetuneWarmup", p.condenseFinetuneWarmup);
    p.condenseFinetuneWeightDecay = get("condense/finetuneWeightDecay", p.condenseFinetuneWeightDecay);
    p.condenseFinetuneShared = get("condense/finetuneShared", p.condenseFinetuneShared);
}

void saveMethodParameters(QSettings& s, const MethodParameters& p)
{
    s.setValue(QStringLiteral("expertDrop/ratio"), p.dropRatio);
    s.setValue(QStringLiteral("expertDrop/preserveN"), p.preserveN);
    s.setValue(QStringLiteral("expertDrop/mode"), p.dropMode);
    s.setValue(QStringLiteral("expertDrop/score"), p.expertScore);
    s.setValue(QStringLiteral("layerDrop/maxSpan"), p.maxSpan);
    s.setValue(QStringLiteral("slimming/sharedExperts"), p.sharedExperts);
    s.setValue(QStringLiteral("slimming/sparseGptBlock"), p.sparseGptBlock);
    s.setValue(QStringLiteral("slimming/damping"), p.damping);
    s.setValue(QStringLiteral("condense/candidateLayers"), p.condenseCandidates);
    s.setValue(QStringLiteral("layerDrop/dropN"), p.dropN);
    s.setValue(QStringLiteral("blockDrop/mode"), p.blockMode);
    s.setValue(QStringLiteral("slimming/sparsity"), p.sparsity);
    s.setValue(QStringLiteral("slimming/pattern"), p.pattern);
    s.setValue(QStringLiteral("condense/layers"), p.condenseLayers);
    s.setValue(QStringLiteral("condense/experts"), p.condenseExperts);
    s.setValue(QStringLiteral("condense/metric"), p.condenseMetric);
    s.setValue(QStringLiteral("condense/finetuneSteps"), p.condenseFinetuneSteps);
    s.setValue(QStringLiteral("condense/finetuneLr"), p.condenseFinetuneLr);
    s.setValue(QStringLiteral("condense/trainPath"), p.condenseTrainPath);
    s.setValue(QStringLiteral("condense/byTarget"), p.condenseByTarget);
    s.setValue(QStringLiteral("condense/targetParams"), p.condenseTargetParams);
    s.setValue(QStringLiteral("condense/finetuneBatch"), p.condenseFinetuneBatch);
    s.setValue(QStringLiteral("condense/finetuneWarmup"), p.condenseFinetuneWarmup);
    s.setValue(QStringLiteral("condense/finetuneWeightDecay"), p.condenseFinetuneWeightDecay);
    s.setValue(QStringLiteral("condense/finetuneShared"), p.condenseFinetuneShared);
}

} // namespace moewb::gui
