#include "app/gui/core_adapters.h"

#include "core/io/tensor_layout.h"
#include "core/model/moe_model.h"
#include "core/train/lora_run.h"

#include <QFileInfo>
#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <string_view>

namespace moewb::gui {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// "experts.<j>." inside a tensor name after the layer prefix -> j, else -1.
int expertOf(std::string_view rest)
{
    const auto at = rest.find("experts.");
    if (at == std::string_view::npos || (at > 0 && rest[at - 1] == '_')) // shared_experts.
        return -1;
    int id = 0;
    size_t i = at + 8;
    if (i >= rest.size() || rest[i] < '0' || rest[i] > '9')
        return -1;
    for (; i < rest.size() && rest[i] >= '0' && rest[i] <= '9'; ++i)
        id = id * 10 + (rest[i] - '0');
    return id;
}

std::vector<double> widen(const std::vector<double>& values, const std::vector<int>& ids, int experts)
{
    std::vector<double> row(static_cast<size_t>(experts), kNaN);
    for (size_t j = 0; j < ids.size() && j < values.size(); ++j)
        if (ids[j] >= 0 && ids[j] < experts)
            row[static_cast<size_t>(ids[j])] = values[j];
    return row;
}

std::vector<double> tableRow(const Array<double>& table, size_t row)
{
    if (table.shape.size() != 2 || static_cast<int64_t>(row) >= table.shape[0])
        return {};
    const auto width = static_cast<size_t>(table.shape[1]);
    return {table.data.begin() + static_cast<std::ptrdiff_t>(row * width),
        table.data.begin() + static_cast<std::ptrdiff_t>((row + 1) * width)};
}

} // namespace

ModelSummary summarizeModel(const MoeModel& model)
{
    const auto& spec = model.spec();
    const auto& checkpoint = model.checkpoint();
    ModelSummary s;
    s.spec = std::make_shared<const ModelSpec>(spec);
    s.path = QString::fromStdString(model.path().string());
    s.name = QFileInfo(s.path).fileName();
    s.architecture = QString::fromStdString(spec.architectureName);
    s.moeLayers = spec.moeLayerIndices();
    s.layers.resize(static_cast<size_t>(spec.numLayers));
    for (int i = 0; i < spec.numLayers; ++i) {
        auto& node = s.layers[static_cast<size_t>(i)];
        const auto& ls = spec.layers[static_cast<size_t>(i)];
        node.index = i;
        node.moe = ls.kind == LayerKind::Moe;
        node.topK = ls.topK;
        if (node.moe) {
            node.experts.resize(static_cast<size_t>(ls.numExperts));
            for (int j = 0; j < ls.numExperts; ++j)
                node.experts[static_cast<size_t>(j)].id = j;
            s.maxExperts = std::max(s.maxExperts, ls.numExperts);
        }
    }
    for (const auto& name : checkpoint.names()) {
        const auto& info = checkpoint.info(name);
        const auto params = static_cast<int64_t>(info.numel());
        const auto bytes = static_cast<int64_t>(info.nbytes());
        s.parameters += params;
        s.bytes += bytes;
        constexpr std::string_view prefix = "model.layers.";
        if (!name.starts_with(prefix))
            continue;
        size_t end = prefix.size();
        int layer = 0;
        while (end < name.size() && name[end] >= '0' && name[end] <= '9')
            layer = layer * 10 + (name[end++] - '0');
        if (layer >= spec.numLayers || end >= name.size())
            continue;
        auto& node = s.layers[static_cast<size_t>(layer)];
        const std::string_view rest = std::string_view(name).substr(end + 1);
        if (rest.starts_with("self_attn.")) {
            node.attentionParameters += params;
            node.attentionBytes += bytes;
        } else if (!rest.ends_with("layernorm.weight")) {
            node.mlpParameters += params;
            node.mlpBytes += bytes;
            const int expert = expertOf(rest);
            if (expert >= 0 && expert < static_cast<int>(node.experts.size())) {
                node.experts[static_cast<size_t>(expert)].parameters += params;
                node.experts[static_cast<size_t>(expert)].bytes += bytes;
            } else if (rest.find("shared_expert") != std::string_view::npos) {
                node.sharedParameters += params;
                node.sharedBytes += bytes;
            } else if (node.moe && name == routerName(spec, layer)) {
                node.routerParameters += params;
                node.routerBytes += bytes;
            }
        }
    }
    return s;
}

LayerRow layerRow(const LayerAnalysis& a, int experts)
{
    LayerRow row;
    row.layer = a.layer;
    row.moeIndex = a.moeIndex;
    row.importance = a.importance;
    row.removalLoss = widen(a.expertLoss, a.expertIds, experts);
    row.selectionFrequency = widen(a.routing.selectionFrequency, a.expertIds, experts);
    row.meanGateWeight = widen(a.routing.meanGateWeight, a.expertIds, experts);
    row.softmaxMass = widen(a.routing.softmaxMass, a.expertIds, experts);
    return row;
}

BlockRow blockRow(const BlockResult& block, int candidates)
{
    BlockRow row;
    row.layers = block.layers;
    row.chosen = block.chosen;
    row.combinations = static_cast<int>(block.losses.size());
    size_t index = 0;
    for (int c : block.chosen)
        index = index * static_cast<size_t>(std::max(1, candidates)) + static_cast<size_t>(c);
    row.chosenLoss = index < block.losses.size() ? block.losses[index] : kNaN;
    row.bestSetsLoss = block.losses.empty() ? kNaN : block.losses.front();
    return row;
}

namespace {

// A plan's factor_experts steps as the Ranks tab's layers (experts it removes are neither factored nor
// dense); steps naming a layer the model does not have are left out.
std::vector<RankLayer> rankLayers(const Plan& plan, const ModelSpec& spec)
{
    std::map<int, std::set<int>> removed;
    for (const auto& step : plan.steps)
        if (const auto* remove = std::get_if<RemoveExperts>(&step))
            removed[remove->layer].insert(remove->experts.begin(), remove->experts.end());
    std::vector<RankLayer> layers;
    for (const auto& step : plan.steps) {
        const auto* factor = std::get_if<FactorExperts>(&step);
        if (!factor || factor->layer < 0 || factor->layer >= static_cast<int>(spec.layers.size()))
            continue;
        const auto& layerSpec = spec.layers[static_cast<size_t>(factor->layer)];
        RankLayer layer{factor->layer, spec.hiddenSize, layerSpec.expertWidth, {}, {}};
        for (const auto& r : factor->ranks)
            layer.ranks[r.expert] = r.rank;
        for (int e = 0; e < layerSpec.numExperts; ++e)
            if (!layer.ranks.count(e) && !removed[factor->layer].count(e))
                layer.denseExperts.push_back(e);
        layers.push_back(std::move(layer));
    }
    return layers;
}

} // namespace

SessionSnapshot snapshotOf(const Session& session, const QString& path, const ModelSpec* spec, const QString& rankPlan)
{
    SessionSnapshot snap;
    snap.path = path;
    const auto& importance = session.importance();
    const auto& stats = session.routerStats();
    if (importance) {
        for (size_t r = 0; r < importance->layers.size(); ++r) {
            LayerRow row;
            row.layer = importance->layers[r];
            row.moeIndex = static_cast<int>(r);
            row.importance = r < importance->layerImportance.size() ? importance->layerImportance[r] : kNaN;
            row.removalLoss = tableRow(importance->expertLoss, r);
            if (stats && stats->layers == importance->layers) {
                row.selectionFrequency = tableRow(stats->selectionFrequency, r);
                row.meanGateWeight = tableRow(stats->meanGateWeight, r);
                row.softmaxMass = tableRow(stats->softmaxMass, r);
            }
            snap.rows.push_back(std::move(row));
        }
    }
    if (const auto& a = session.allocation()) {
        snap.allocation.layers = a->layers;
        snap.allocation.counts = a->counts;
        snap.allocation.overridden = a->overridden;
        snap.allocation.ratio = a->ratio;
        for (int layer : a->layers) {
            double value = kNaN;
            if (importance)
                for (size_t r = 0; r < importance->layers.size(); ++r)
                    if (importance->layers[r] == layer && r < importance->layerImportance.size())
                        value = importance->layerImportance[r];
            snap.allocation.importance.push_back(value);
        }
    }
    for (const auto& [layer, search] : session.searches()) {
        auto& points = snap.generations[layer];
        for (size_t g = 0; g < search.bestFitness.size(); ++g)
            points.push_back({layer, static_cast<int>(g), search.bestFitness[g],
                g < search.meanFitness.size() ? search.meanFitness[g] : kNaN,
                g < search.worstFitness.size() ? search.worstFitness[g] : kNaN});
    }
    if (const auto& blocks = session.blockSearch())
        for (const auto& b : blocks->blocks)
            snap.blocks.push_back(blockRow(b, blocks->candidatesPerLayer));
    // The plan the search wrote (the GUI's name first, then the CLI's, then any moe-i2 plan).
    const SessionPlan* plan = nullptr;
    for (const char* name : {"moe-i2-search", "moe-i2"})
        if (auto it = session.plans().find(name); !plan && it != session.plans().end())
            plan = &it->second;
    for (const auto& [name, p] : session.plans())
        if (!plan && p.plan.method == "moe-i2")
            plan = &p;
    if (plan)
        for (const auto& step : plan->plan.steps)
            if (const auto* remove = std::get_if<RemoveExperts>(&step))
                snap.removed[remove->layer] = remove->experts;
    for (const auto& [name, evaluation] : session.evaluations()) {
        EvaluationRow row{QString::fromStdString(name), QString::fromStdString(evaluation.plan), {}};
        for (const auto& [key, value] : evaluation.metrics)
            row.metrics[QString::fromStdString(key)] = value;
        if (row.plan.isEmpty())
            snap.evaluations.insert(snap.evaluations.begin(), std::move(row));
        else
            snap.evaluations.push_back(std::move(row));
    }
    for (const auto& [name, stored] : session.plans()) {
        const QString plan = QString::fromStdString(name);
        snap.plans << plan;
        if (isRecoveredPlan(stored.plan))
            snap.recoveredPlans << plan;
        const auto& steps = stored.plan.steps;
        if (std::none_of(steps.begin(), steps.end(),
                [](const PlanStep& step) { return std::holds_alternative<FactorExperts>(step); }))
            snap.decomposable << plan;
        else if (spec)
            if (auto layers = rankLayers(stored.plan, *spec); !layers.empty())
                snap.factoredPlans[plan] = std::move(layers);
    }
    // The Ranks tab shows the preferred plan (the one Decompose made last), else the first by name.
    if (snap.factoredPlans.count(rankPlan))
        snap.rankPlan = rankPlan;
    else if (!snap.factoredPlans.empty())
        snap.rankPlan = snap.factoredPlans.begin()->first;
    return snap;
}

} // namespace moewb::gui
