#include "core/session/session_sections.h"

#include "core/io/error.h"

namespace moewb::sessionio {
namespace {

using nlohmann::json;

void writeInts(const h5::Node& node, const std::string& name, const std::vector<int>& values)
{
    node.write<int32_t>(name, std::vector<int32_t>(values.begin(), values.end()));
}

std::vector<int> readInts(
    const h5::Node& node, const std::string& name, std::vector<int64_t>* shape = nullptr)
{
    const std::vector<int32_t> values = node.read<int32_t>(name, shape);
    return {values.begin(), values.end()};
}

void writeTable(const h5::Node& node, const std::string& name, const Array<double>& table)
{
    if (static_cast<size_t>(table.numel()) != table.data.size())
        node.raise(fmt::format("table '{}' has {} values for a shape of {} elements", node.childPath(name),
            table.data.size(), table.numel()));
    node.write<double>(name, table.shape, table.data.data());
}

Array<double> readTable(const h5::Node& node, const std::string& name, size_t rows)
{
    Array<double> table;
    table.data = node.read<double>(name, &table.shape);
    if (table.shape.size() != 2 || static_cast<size_t>(table.shape[0]) != rows)
        node.raise(fmt::format("'{}' should be a table of {} rows", node.childPath(name), rows));
    return table;
}

// Sets of equal size as a [count, size] matrix.
void writeSets(
    const h5::Node& node, const std::string& name, const std::vector<std::vector<int>>& sets, int size)
{
    std::vector<int32_t> flat;
    for (const auto& set : sets) {
        if (set.size() != static_cast<size_t>(size))
            node.raise(fmt::format(
                "'{}': every set must have {} experts, one has {}", node.childPath(name), size, set.size()));
        flat.insert(flat.end(), set.begin(), set.end());
    }
    node.write<int32_t>(name, {static_cast<int64_t>(sets.size()), size}, flat.data());
}

std::vector<std::vector<int>> readSets(const h5::Node& node, const std::string& name, int size)
{
    std::vector<int64_t> shape;
    const std::vector<int> flat = readInts(node, name, &shape);
    if (shape.size() != 2 || shape[1] != size)
        node.raise(fmt::format("'{}' should hold sets of {} experts", node.childPath(name), size));
    std::vector<std::vector<int>> sets;
    for (int64_t i = 0; i < shape[0]; ++i)
        sets.emplace_back(flat.begin() + i * size, flat.begin() + (i + 1) * size);
    return sets;
}

json readJson(const h5::Node& node, const std::string& name)
{
    try {
        return json::parse(node.readText(name));
    } catch (const json::parse_error& e) {
        node.raise(fmt::format("'{}' is not valid JSON: {}", node.childPath(name), e.what()));
    }
}

// A string -> double map as a JSON array of names plus a parallel f64 dataset, so NaN and inf
// survive (JSON cannot hold them).
void writeNamedValues(const h5::Node& node, const std::string& namesName, const std::string& valuesName,
    const std::map<std::string, double>& values)
{
    json names = json::array();
    std::vector<double> numbers;
    for (const auto& [name, value] : values) {
        names.push_back(name);
        numbers.push_back(value);
    }
    node.writeText(namesName, names.dump());
    node.write<double>(valuesName, numbers);
}

std::map<std::string, double> readNamedValues(
    const h5::Node& node, const std::string& namesName, const std::string& valuesName)
{
    const json names = readJson(node, namesName);
    const std::vector<double> values = node.read<double>(valuesName);
    if (!names.is_array() || names.size() != values.size())
        node.raise(
            fmt::format("'{}' and '{}' do not match", node.childPath(namesName), node.childPath(valuesName)));
    std::map<std::string, double> out;
    for (size_t i = 0; i < values.size(); ++i) {
        if (!names[i].is_string())
            node.raise(fmt::format("'{}' holds a name that is not a string", node.childPath(namesName)));
        out[names[i].get<std::string>()] = values[i];
    }
    return out;
}

} // namespace

void writeStamp(const h5::Node& node, const CacheStamp& stamp)
{
    node.setAttr("model_hash", stamp.modelHash);
    node.setAttr("data_hash", stamp.dataHash);
}

CacheStamp readStamp(const h5::Node& node)
{
    return {node.stringAttr("model_hash", ""), node.stringAttr("data_hash", "")};
}

void writeSource(const h5::Node& root, const SourceModel& source)
{
    const h5::Node group = root.createGroup("source");
    group.setAttr("path", source.path.string());
    group.setAttr("identity_hash", source.identityHash);
    group.writeText("config", source.configJson);
}

SourceModel readSource(const h5::Node& group)
{
    return {group.stringAttr("path"), group.readText("config"), group.stringAttr("identity_hash")};
}

void writeCalibration(const h5::Node& root, const CalibrationSettings& c)
{
    const h5::Node group = root.createGroup("calibration");
    group.setAttr("data_path", c.dataPath.string());
    group.setAttr("data_hash", c.dataHash);
    group.setAttr("samples", c.samples);
    group.setAttr("sequence_length", c.sequenceLength);
    group.setAttr("seed", c.seed);
}

CalibrationSettings readCalibration(const h5::Node& group)
{
    return {group.stringAttr("data_path"), group.intAttr("samples"), group.intAttr("sequence_length"),
        group.uintAttr("seed"), group.stringAttr("data_hash")};
}

void writeProvenance(const h5::Node& root, const Provenance& p)
{
    const h5::Node group = root.createGroup("provenance");
    group.setAttr("created_with", p.createdWith);
    group.setAttr("saved_with", p.savedWith);
    group.writeText("parameters", p.parameters.dump());
    writeNamedValues(group, "timing_names", "timing_seconds", p.timings);
}

Provenance readProvenance(const h5::Node& group)
{
    return {group.stringAttr("created_with"), group.stringAttr("saved_with"), readJson(group, "parameters"),
        readNamedValues(group, "timing_names", "timing_seconds")};
}

void writeRouterStats(const h5::Node& root, const RouterStats& s)
{
    const h5::Node group = root.createGroup("router_stats");
    writeStamp(group, s.stamp);
    writeInts(group, "layers", s.layers);
    writeTable(group, "selection_frequency", s.selectionFrequency);
    writeTable(group, "mean_gate_weight", s.meanGateWeight);
    writeTable(group, "softmax_mass", s.softmaxMass);
}

RouterStats readRouterStats(const h5::Node& group)
{
    RouterStats s;
    s.stamp = readStamp(group);
    s.layers = readInts(group, "layers");
    s.selectionFrequency = readTable(group, "selection_frequency", s.layers.size());
    s.meanGateWeight = readTable(group, "mean_gate_weight", s.layers.size());
    s.softmaxMass = readTable(group, "softmax_mass", s.layers.size());
    return s;
}

void writeImportance(const h5::Node& root, const ImportanceTables& t)
{
    const h5::Node group = root.createGroup("importance");
    writeStamp(group, t.stamp);
    writeInts(group, "layers", t.layers);
    writeTable(group, "expert_loss", t.expertLoss);
    group.write<double>("layer_importance", t.layerImportance);
}

ImportanceTables readImportance(const h5::Node& group)
{
    ImportanceTables t;
    t.stamp = readStamp(group);
    t.layers = readInts(group, "layers");
    t.expertLoss = readTable(group, "expert_loss", t.layers.size());
    t.layerImportance = group.read<double>("layer_importance");
    if (t.layerImportance.size() != t.layers.size())
        group.raise(fmt::format("'{}' has {} values for {} layers", group.childPath("layer_importance"),
            t.layerImportance.size(), t.layers.size()));
    return t;
}

void writeAllocation(const h5::Node& root, const PruningCounts& c)
{
    const h5::Node group = root.createGroup("allocation");
    writeStamp(group, c.stamp);
    group.setAttr("ratio", c.ratio);
    group.setAttr("requested", c.requested);
    writeInts(group, "layers", c.layers);
    writeInts(group, "prune_count", c.counts);
    writeInts(group, "overridden", c.overridden);
}

PruningCounts readAllocation(const h5::Node& group)
{
    PruningCounts c;
    c.stamp = readStamp(group);
    c.ratio = group.doubleAttr("ratio");
    c.requested = group.intAttr("requested");
    c.layers = readInts(group, "layers");
    c.counts = readInts(group, "prune_count");
    c.overridden = readInts(group, "overridden");
    const auto check = [&](const char* name, size_t size) {
        if (size != c.layers.size())
            group.raise(fmt::format("'{}' has {} values for {} layers", group.childPath(name), size, c.layers.size()));
    };
    check("prune_count", c.counts.size());
    check("overridden", c.overridden.size());
    return c;
}

void writeSearch(const h5::Node& searchGroup, const LayerSearch& s)
{
    const h5::Node group = searchGroup.createGroup(fmt::format("layer_{:03}", s.layer));
    writeStamp(group, s.stamp);
    group.setAttr("layer", int64_t{s.layer});
    group.setAttr("prune_count", int64_t{s.pruneCount});
    group.setAttr("exhaustive", int64_t{s.exhaustive ? 1 : 0});
    group.setAttr("evaluations", s.evaluations);
    group.writeText("parameters", s.parameters.dump());
    group.write<double>("best_fitness", s.bestFitness);
    group.write<double>("mean_fitness", s.meanFitness);
    group.write<double>("worst_fitness", s.worstFitness);
    writeSets(group, "best_sets", s.bestSets, s.pruneCount);
    std::vector<std::vector<int>> sets;
    std::vector<double> fitness;
    for (const SearchCandidate& c : s.candidates) {
        sets.push_back(c.experts);
        fitness.push_back(c.fitness);
    }
    writeSets(group, "candidate_sets", sets, s.pruneCount);
    group.write<double>("candidate_fitness", fitness);
}

LayerSearch readSearch(const h5::Node& group)
{
    LayerSearch s;
    s.stamp = readStamp(group);
    s.layer = static_cast<int>(group.intAttr("layer"));
    s.pruneCount = static_cast<int>(group.intAttr("prune_count"));
    s.exhaustive = group.intAttr("exhaustive") != 0;
    s.evaluations = group.intAttr("evaluations");
    s.parameters = readJson(group, "parameters");
    s.bestFitness = group.read<double>("best_fitness");
    s.meanFitness = group.read<double>("mean_fitness");
    s.worstFitness = group.read<double>("worst_fitness");
    s.bestSets = readSets(group, "best_sets", s.pruneCount);
    const size_t generations = s.bestFitness.size();
    if (s.meanFitness.size() != generations || s.worstFitness.size() != generations
        || s.bestSets.size() != generations)
        group.raise(fmt::format("'{}': the per-generation datasets differ in length", group.path()));
    const auto sets = readSets(group, "candidate_sets", s.pruneCount);
    const std::vector<double> fitness = group.read<double>("candidate_fitness");
    if (sets.size() != fitness.size())
        group.raise(fmt::format(
            "'{}': {} candidate sets but {} fitness values", group.path(), sets.size(), fitness.size()));
    for (size_t i = 0; i < sets.size(); ++i)
        s.candidates.push_back({sets[i], fitness[i]});
    return s;
}

void writeBlockSearch(const h5::Node& root, const BlockSearch& b)
{
    const h5::Node group = root.createGroup("blocks");
    writeStamp(group, b.stamp);
    group.setAttr("candidates_per_layer", int64_t{b.candidatesPerLayer});
    group.setAttr("block_size", int64_t{b.blockSize});
    for (size_t i = 0; i < b.blocks.size(); ++i) {
        const h5::Node block = group.createGroup(fmt::format("block_{:03}", i));
        writeInts(block, "layers", b.blocks[i].layers);
        writeInts(block, "chosen", b.blocks[i].chosen);
        block.write<double>("losses", b.blocks[i].losses);
    }
}

BlockSearch readBlockSearch(const h5::Node& group)
{
    BlockSearch b;
    b.stamp = readStamp(group);
    b.candidatesPerLayer = static_cast<int>(group.intAttr("candidates_per_layer"));
    b.blockSize = static_cast<int>(group.intAttr("block_size"));
    for (const std::string& name : group.children()) {
        const h5::Node block = group.group(name);
        BlockResult r{readInts(block, "layers"), readInts(block, "chosen"), block.read<double>("losses")};
        if (r.chosen.size() != r.layers.size())
            block.raise(fmt::format(
                "'{}': {} choices for {} layers", block.path(), r.chosen.size(), r.layers.size()));
        b.blocks.push_back(std::move(r));
    }
    return b;
}

void writePlan(const h5::Node& plansGroup, size_t index, const SessionPlan& p)
{
    // Plan names are free text (spaces, slashes), so they are attributes, not HDF5 link names.
    const std::string name = fmt::format("plan_{:03}", index);
    plansGroup.writeText(name, planToText(p.plan));
    const h5::Node dataset = plansGroup.object(name);
    dataset.setAttr("name", p.plan.name);
    writeStamp(dataset, p.stamp);
}

SessionPlan readPlan(const h5::Node& plansGroup, const std::string& child)
{
    const h5::Node dataset = plansGroup.object(child);
    SessionPlan p{planFromText(plansGroup.readText(child), plansGroup.file() + ": " + dataset.path()),
        readStamp(dataset)};
    return p;
}

void writeEvaluation(const h5::Node& group, size_t index, const Evaluation& e)
{
    const h5::Node node = group.createGroup(fmt::format("eval_{:03}", index));
    node.setAttr("name", e.name);
    node.setAttr("plan", e.plan);
    writeStamp(node, e.stamp);
    writeNamedValues(node, "metric_names", "metric_values", e.metrics);
    node.writeText("details", e.details.dump());
}

Evaluation readEvaluation(const h5::Node& evaluationsGroup, const std::string& child)
{
    const h5::Node node = evaluationsGroup.group(child);
    return {node.stringAttr("name"), node.stringAttr("plan"),
        readNamedValues(node, "metric_names", "metric_values"), readJson(node, "details"), readStamp(node)};
}

} // namespace moewb::sessionio
