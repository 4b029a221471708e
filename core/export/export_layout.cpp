// Export, the planning half: which kind can express the applied plan, the config.json to write, every
// tensor with its shape (the manifest, from the edited config parsed back, so the folder holds exactly
// what MoeModel::open will expect), sizes, runtimes, and the target folder's safety checks.
#include "core/export/export.h"
#include "core/export/export_internal.h"
#include "core/io/error.h"
#include "core/io/param_count.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace moewb {

namespace fs = std::filesystem;
using nlohmann::json;

std::string exportKindName(ExportKind kind)
{
    switch (kind) {
    case ExportKind::Auto: return "auto";
    case ExportKind::Standard: return "standard";
    case ExportKind::Extended: return "extended";
    case ExportKind::Dense: return "dense";
    }
    return "?";
}

ExportKind parseExportKind(const std::string& name)
{
    for (ExportKind k : {ExportKind::Auto, ExportKind::Standard, ExportKind::Extended, ExportKind::Dense})
        if (exportKindName(k) == name)
            return k;
    fail("unknown export format '{}' (auto, standard, extended, dense)", name);
}

namespace detail {

std::vector<std::string> expertCountFields(Architecture arch)
{
    switch (arch) {
    case Architecture::Mixtral: return {"num_local_experts", "num_experts"};
    case Architecture::Deepseek:
    case Architecture::DeepseekV2: return {"n_routed_experts", "num_experts"};
    default: return {"num_experts", "num_local_experts"};
    }
}

std::string dtypeConfigName(DType dtype)
{
    switch (dtype) {
    case DType::BF16: return "bfloat16";
    case DType::F16: return "float16";
    case DType::F32: return "float32";
    default: fail("export writes bf16, fp16 or fp32, not {}", dtypeName(dtype));
    }
}

bool hasStockTransformersClass(Architecture arch) { return arch != Architecture::Deepseek; }

bool pathInside(const fs::path& inner, const fs::path& outer)
{
    const fs::path rel = inner.lexically_relative(outer);
    return !rel.empty() && *rel.begin() != "..";
}

fs::path sourceFolder(const MoeModel& model)
{
    std::error_code ec;
    fs::path p = fs::weakly_canonical(fs::absolute(model.path()), ec);
    return fs::is_directory(p, ec) ? p : p.parent_path();
}

void checkTarget(const MoeModel& model, const ExportOptions& options, uint64_t bytesNeeded)
{
    if (options.target.empty())
        fail("export: no target folder given");
    std::error_code ec;
    fs::path target = fs::weakly_canonical(fs::absolute(options.target), ec);
    if (target.filename().empty())
        target = target.parent_path();
    const std::string shown = options.target.string();
    const fs::path source = sourceFolder(model);
    if (pathInside(target, source))
        fail("{}: inside the source model's folder {}; export never writes there, choose another folder", shown,
            source.string());
    if (pathInside(source, target))
        fail("{}: contains the source model ({}); choose another folder", shown, source.string());
    const auto status = fs::symlink_status(target, ec);
    if (fs::exists(status)) {
        if (!fs::is_directory(status))
            fail("{}: exists and is not a folder", shown);
        if (!fs::is_empty(target, ec)) {
            if (!options.force)
                fail("{}: exists and is not empty; choose a new folder or pass --force to replace it", shown);
            for (const auto& p : options.protectedPaths) {
                const fs::path prot = fs::weakly_canonical(fs::absolute(p), ec);
                if (pathInside(prot, target))
                    fail("{}: holds {}, which replacing the folder would delete; choose another folder", shown,
                        p.string());
            }
        }
    }
    const fs::path parent = target.parent_path();
    if (!fs::is_directory(parent, ec))
        fail("{}: the parent folder {} does not exist", shown, parent.string());
    uint64_t available = 0;
    if (options.freeBytesOverride) {
        available = *options.freeBytesOverride;
    } else {
        const auto space = fs::space(parent, ec);
        if (ec)
            fail("{}: cannot tell how much room {} has: {}", shown, parent.string(), ec.message());
        available = space.available;
    }
    // 1% and 16 MiB of headroom: headers, the text files, filesystem overhead.
    const uint64_t needed = bytesNeeded + bytesNeeded / 100 + (16ull << 20);
    if (available < needed)
        fail("{}: needs {:.1f} MiB but {} has {:.1f} MiB free; nothing was written", shown, needed / 1048576.0,
            parent.string(), available / 1048576.0);
}

} // namespace detail

namespace {

using detail::expertCountFields;

struct LayerPlan {
    int source = 0;
    const ResolvedLayer* resolved = nullptr;
    const LayerSpec* spec = nullptr;
    bool moe() const { return spec->kind == LayerKind::Moe; }
};

// Reasons a uniform-count (stock) config cannot express the kept layers; `zeroDropped`: dropped MoE
// sublayers would be written as zero weights (dense kind) rather than counted as a problem.
std::vector<std::string> stockProblems(const ModelSpec& spec, const std::vector<LayerPlan>& layers, bool factoredOk,
                                       bool zeroDropped, std::vector<std::string>* notes)
{
    std::vector<std::string> problems;
    std::map<int, std::vector<int>> counts; // kept experts -> source layers
    for (const auto& l : layers) {
        const auto& r = *l.resolved;
        if (r.moeDropped) {
            if (!zeroDropped)
                problems.push_back(fmt::format("layer {}: its MoE sublayer is dropped, which no stock config can "
                                               "express",
                    l.source));
            else if (notes)
                notes->push_back(fmt::format("layer {}: dropped MoE sublayer written as zero weights (exact)", l.source));
            continue;
        }
        if (!l.moe())
            continue;
        if (r.condensed)
            problems.push_back(fmt::format("layer {}: condensed (CD-MoE, no router)", l.source));
        if (!r.ranks.empty() && !factoredOk)
            problems.push_back(fmt::format("layer {}: {} factored expert(s)", l.source, r.ranks.size()));
        counts[static_cast<int>(r.experts.size())].push_back(l.source);
    }
    if (counts.size() > 1) {
        std::string text;
        for (const auto& [n, ls] : counts)
            text += fmt::format("{}{} experts in layer(s) {}", text.empty() ? "" : ", ", n, fmt::join(ls, ","));
        problems.push_back("expert counts differ between layers (" + text + ")");
    }
    if (!counts.empty() && spec.router.topkMethod == TopkMethod::GroupLimitedGreedy && spec.router.nGroup > 1
        && counts.begin()->first % spec.router.nGroup != 0)
        problems.push_back(fmt::format(
            "{} experts per layer are not divisible by n_group={}", counts.begin()->first, spec.router.nGroup));
    return problems;
}

// The layer-kind pattern of the kept layers, written into the config's own fields. Returns a
// problem when the architecture's fields cannot express it.
std::optional<std::string> editLayerPattern(json& config, const ModelSpec& spec, const std::vector<LayerPlan>& layers)
{
    const int kept = static_cast<int>(layers.size());
    config["num_hidden_layers"] = kept;
    if (kept == spec.numLayers)
        return std::nullopt; // nothing dropped: every per-layer field stays as it is
    std::vector<int> dense;
    for (int o = 0; o < kept; ++o)
        if (!layers[static_cast<size_t>(o)].moe())
            dense.push_back(o);
    if (config.contains("layer_types") && config["layer_types"].is_array()
        && static_cast<int>(config["layer_types"].size()) == spec.numLayers) {
        json types = json::array();
        for (const auto& l : layers)
            types.push_back(config["layer_types"][static_cast<size_t>(l.source)]);
        config["layer_types"] = types;
    }
    if (config.contains("max_window_layers") && config["max_window_layers"].is_number_integer()) {
        const int mwl = config["max_window_layers"].get<int>();
        config["max_window_layers"]
            = std::count_if(layers.begin(), layers.end(), [&](const LayerPlan& l) { return l.source < mwl; });
    }
    switch (spec.arch) {
    case Architecture::Mixtral:
    case Architecture::Olmoe:
        return std::nullopt;
    case Architecture::Qwen2Moe:
    case Architecture::Qwen3Moe:
        config["decoder_sparse_step"] = 1;
        config["mlp_only_layers"] = dense;
        return std::nullopt;
    case Architecture::Deepseek:
    case Architecture::DeepseekV2: {
        const int k = static_cast<int>(dense.size());
        for (int o = 0; o < k; ++o)
            if (dense[static_cast<size_t>(o)] != o)
                return fmt::format("the kept dense layers are not the first layers, which first_k_dense_replace "
                                   "cannot express");
        config["first_k_dense_replace"] = k;
        config["moe_layer_freq"] = 1;
        return std::nullopt;
    }
    }
    return std::nullopt;
}

json extendedDescription(const ModelSpec& spec, const std::vector<LayerPlan>& layers)
{
    json out = json::array();
    for (const auto& l : layers) {
        const auto& r = *l.resolved;
        json entry = {{"source_layer", l.source}};
        if (r.moeDropped) {
            entry["mlp_dropped"] = true;
        } else if (l.moe()) {
            entry["experts"] = r.experts;
            if (!r.ranks.empty()) {
                std::vector<int> ranks;
                for (int e : r.experts)
                    ranks.push_back(r.ranks.count(e) ? r.ranks.at(e).rank : 0);
                entry["ranks"] = ranks;
            }
            if (r.condensed)
                entry["condensed_weights"] = r.condensedWeights;
        }
        out.push_back(std::move(entry));
    }
    (void)spec;
    return out;
}

void setDtype(json& config, DType dtype)
{
    const std::string name = detail::dtypeConfigName(dtype);
    bool any = false;
    for (const char* key : {"torch_dtype", "dtype"})
        if (config.contains(key)) {
            config[key] = name;
            any = true;
        }
    if (!any)
        config["torch_dtype"] = name;
}

void setExpertCount(json& config, const ModelSpec& spec, int count)
{
    bool any = false;
    for (const auto& field : expertCountFields(spec.arch))
        if (config.contains(field)) {
            config[field] = count;
            any = true;
        }
    if (!any)
        config[expertCountFields(spec.arch).front()] = count;
}

std::vector<RuntimeSupport> runtimesFor(ExportKind kind, const ModelSpec& source)
{
    const bool remoteSource = source.config.contains("auto_map");
    std::vector<RuntimeSupport> out;
    out.push_back({"MoE Workbench", true, "MoeModel::open / moe-compress; verified here after writing (logits)"});
    if (kind == ExportKind::Extended) {
        if (detail::hasStockTransformersClass(source.arch))
            out.push_back({"transformers", true,
                "AutoModelForCausalLM.from_pretrained(..., trust_remote_code=True): the generated "
                "modeling_moewb_*.py subclasses the stock " + source.architectureName + " classes"});
        else
            out.push_back({"transformers", false,
                "no stock " + source.architectureName + " class to subclass; only MoE Workbench loads this folder"});
        out.push_back({"vLLM", false, "per-layer expert counts, factored or condensed experts are not supported "
                                      "by its MoE layers (not verified here)"});
    } else {
        out.push_back({"transformers", true,
            remoteSource ? "trust_remote_code=True with the source's own modeling code (copied)"
                         : "stock " + source.architectureName + " (AutoModelForCausalLM)"});
        out.push_back({"vLLM", true, "standard " + source.architectureName + " checkpoint (not verified here)"});
    }
    return out;
}

} // namespace

ExportPreview previewExport(const MoeModel& applied, const Plan& plan, const ExportOptions& options)
{
    const ModelSpec& spec = applied.spec();
    if (spec.extended)
        fail("{}: already an extended export; export from the source model instead", applied.path().string());
    const ResolvedPlan resolved = resolvePlan(spec, plan);
    ExportPreview p;
    p.sourceLayers = spec.numLayers;
    std::vector<LayerPlan> layers;
    for (int i = 0; i < spec.numLayers; ++i)
        if (!resolved.layers[static_cast<size_t>(i)].blockDropped) {
            layers.push_back({i, &resolved.layers[static_cast<size_t>(i)], &spec.layers[static_cast<size_t>(i)]});
            p.keptLayers.push_back(i);
        }
    if (layers.empty())
        fail("plan '{}' drops every layer; there is no model to export", plan.name);
    p.layers = static_cast<int>(layers.size());

    // Which kinds can express the plan.
    json config = spec.config;
    const auto patternProblem = editLayerPattern(config, spec, layers);
    p.notStandard = stockProblems(spec, layers, false, false, nullptr);
    std::vector<std::string> denseNotes;
    p.notDense = stockProblems(spec, layers, true, true, &denseNotes);
    if (patternProblem) {
        p.notStandard.push_back(*patternProblem);
        p.notDense.push_back(*patternProblem);
    }
    switch (options.kind) {
    case ExportKind::Auto:
        p.kind = p.notStandard.empty() ? ExportKind::Standard : ExportKind::Extended;
        break;
    case ExportKind::Standard:
        if (!p.notStandard.empty())
            fail("plan '{}' cannot be exported in the standard format:\n  {}\n(use --format extended{})", plan.name,
                fmt::join(p.notStandard, "\n  "), p.notDense.empty() ? ", or dense for stock loaders" : "");
        p.kind = ExportKind::Standard;
        break;
    case ExportKind::Dense:
        if (!p.notDense.empty())
            fail("plan '{}' cannot be exported in the dense-compatible format:\n  {}\n(use --format extended)",
                plan.name, fmt::join(p.notDense, "\n  "));
        p.kind = ExportKind::Dense;
        break;
    case ExportKind::Extended:
        p.kind = ExportKind::Extended;
        break;
    }
    if (p.kind == ExportKind::Extended && patternProblem)
        fail("plan '{}' cannot be exported: {}", plan.name, *patternProblem);
    if (p.kind == ExportKind::Dense)
        p.notes = denseNotes;

    // config.json
    p.dtype = options.dtype.value_or(
        spec.dtype == DType::F32 || spec.dtype == DType::F16 ? spec.dtype : DType::BF16);
    detail::dtypeConfigName(p.dtype); // throws for other dtypes
    setDtype(config, p.dtype);
    int uniform = 0, maxKept = 0;
    for (const auto& l : layers)
        if (l.moe() && !l.resolved->moeDropped) {
            uniform = static_cast<int>(l.resolved->experts.size());
            maxKept = std::max(maxKept, uniform);
        }
    if (p.kind == ExportKind::Extended) {
        const std::string baseType = spec.modelType, baseClass = spec.architectureName;
        const int topK = spec.layers[static_cast<size_t>(spec.moeLayerIndices().empty() ? 0 : spec.moeLayerIndices().front())].topK;
        setExpertCount(config, spec, std::max(maxKept, topK));
        config["architectures"] = json::array({"Moewb" + baseClass});
        config["model_type"] = "moewb_" + baseType;
        if (auto file = extendedModelingFile(spec)) {
            const std::string module = file->first.substr(0, file->first.size() - 3);
            config["auto_map"] = {{"AutoConfig", module + ".Moewb" + baseClass.substr(0, baseClass.size() - 11) + "Config"},
                {"AutoModelForCausalLM", module + ".Moewb" + baseClass}};
        } else {
            config.erase("auto_map");
        }
        config[kCompressionKey] = {{"format", "moewb-extended"}, {"version", kCompressionVersion},
            {"base_architecture", baseClass}, {"base_model_type", baseType},
            {"layers", extendedDescription(spec, layers)}};
    } else if (uniform > 0) {
        setExpertCount(config, spec, uniform);
    }
    p.config = config;
    p.spec = parseModelSpec(config, "config.json (to be exported)");

    // Manifest: what MoeModel::open will expect of the folder, in layer order.
    const bool sourceHasHead = applied.checkpoint().contains(lmHeadName());
    for (const auto& t : expectedTensors(p.spec, ExpertLayout::PerExpert)) {
        if (t.optional && !(t.component == Component::LmHead && sourceHasHead))
            continue;
        p.manifest.push_back({t.name, p.dtype, t.shape});
        p.manifestLayer.push_back(t.layer);
        p.weightBytes += p.manifest.back().nbytes();
    }
    p.shards = layoutShards(p.manifest, options.shardSizeBytes);
    // Headers (~120 bytes a tensor), config, card, tokenizer and the other small files.
    uint64_t small = 256 * 1024;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(detail::sourceFolder(applied), ec))
        if (entry.is_regular_file(ec) && detail::isCopiedFile(entry.path().filename().string(), spec, p.kind))
            small += entry.file_size(ec);
    p.totalBytes = p.weightBytes + 120 * p.manifest.size() + small;
    p.sourceBytes = applied.checkpoint().totalBytes();
    p.sourceParameters = countParameters(spec).total;
    p.parameters = countParameters(p.spec).total;
    p.runtimes = runtimesFor(p.kind, spec);
    detail::checkTarget(applied, options, p.totalBytes);
    return p;
}

nlohmann::json exportPreviewToJson(const ExportPreview& p)
{
    json runtimes = json::array();
    for (const auto& r : p.runtimes)
        runtimes.push_back({{"runtime", r.runtime}, {"loads", r.loads}, {"how", r.how}});
    json shards = json::array();
    for (const auto& s : p.shards)
        shards.push_back({{"file", s.file}, {"tensors", s.tensors.size()}, {"bytes", s.bytes}});
    return {{"kind", exportKindName(p.kind)}, {"not_standard", p.notStandard}, {"not_dense", p.notDense},
        {"notes", p.notes}, {"runtimes", runtimes}, {"dtype", std::string(dtypeName(p.dtype))},
        {"source_layers", p.sourceLayers}, {"layers", p.layers}, {"kept_layers", p.keptLayers},
        {"source_parameters", p.sourceParameters}, {"parameters", p.parameters}, {"source_bytes", p.sourceBytes},
        {"weight_bytes", p.weightBytes}, {"total_bytes_estimate", p.totalBytes}, {"tensors", p.manifest.size()},
        {"shards", shards}};
}

} // namespace moewb
