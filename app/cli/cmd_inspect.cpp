// moe-compress inspect MODEL_DIR [--json] [--from-config]: what a checkpoint is (architecture, dense
// and MoE layers, experts, routing, attention), its parameter counts, and its bytes by dtype. With
// weights present every tensor is checked against config.json first; a mismatch is an error (exit 1).
#include "app/cli/commands.h"
#include "core/io/text_format.h"
#include "core/io/error.h"
#include "core/io/model_spec.h"
#include "core/io/param_count.h"
#include "core/io/safetensors.h"
#include "core/io/tensor_layout.h"
#include "core/io/warning.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <memory>

namespace moewb::cli {

namespace {

namespace fs = std::filesystem;

struct InspectOptions {
    std::string path;
    bool json = false;
    bool fromConfig = false;
};

struct Located {
    fs::path config;
    fs::path weights; // empty: no .safetensors next to the config
};

Located locate(const fs::path& path)
{
    Located out;
    std::error_code ec;
    if (!fs::exists(path, ec))
        fail("{}: no such file or folder", path.string());
    if (fs::is_directory(path, ec)) {
        out.config = path / "config.json";
        for (const auto& entry : fs::directory_iterator(path, ec))
            if (entry.path().extension() == ".safetensors")
                out.weights = path;
    } else if (path.extension() == ".json") {
        out.config = path; // a bare config.json: nothing to weigh but the config (not a regular file: said there)
    } else {
        fail("{}: not a model folder or a config.json", path.string());
    }
    if (!fs::exists(out.config, ec)) // present but not a regular file: loadModelSpec says so
        fail("{}: no config.json in this folder", path.string());
    return out;
}

// 2.41B, 3.88M, 12.3K: the demo models' "0.00B" said nothing.
std::string shortCount(uint64_t n)
{
    const double x = static_cast<double>(n);
    if (x >= 1e9)
        return fmt::format("{:.2f}B", x / 1e9);
    if (x >= 1e6)
        return fmt::format("{:.2f}M", x / 1e6);
    if (x >= 1e3)
        return fmt::format("{:.1f}K", x / 1e3);
    return fmt::format("{}", n);
}
std::string gib(uint64_t bytes)
{
    return fmt::format("{:.2f} GiB", static_cast<double>(bytes) / (1024.0 * 1024 * 1024));
}

// [0,1,2,5,7,8] -> "0-2, 5, 7-8"
std::string ranges(const std::vector<int>& values)
{
    if (values.empty())
        return "none";
    std::string out;
    for (size_t i = 0; i < values.size();) {
        size_t j = i;
        while (j + 1 < values.size() && values[j + 1] == values[j] + 1)
            ++j;
        out += (out.empty() ? "" : ", ")
            + (j == i ? std::to_string(values[i]) : fmt::format("{}-{}", values[i], values[j]));
        i = j + 1;
    }
    return out;
}

std::string torchDtypeName(DType d)
{
    switch (d) {
    case DType::BF16:
        return "bfloat16";
    case DType::F16:
        return "float16";
    case DType::F32:
        return "float32";
    case DType::F64:
        return "float64";
    default:
        return std::string(dtypeName(d));
    }
}

struct DtypeTotals {
    uint64_t tensors = 0;
    uint64_t bytes = 0;
};

struct Inspection {
    fs::path configPath;
    ModelSpec spec;
    ParameterCounts counts;
    bool fromCheckpoint = false;
    size_t files = 0;
    CheckpointValidation validation;
    std::map<std::string, DtypeTotals> byDtype;
};

Inspection inspect(const InspectOptions& options)
{
    Inspection in;
    const Located where = locate(options.path);
    in.configPath = where.config;
    in.spec = loadModelSpec(where.config);
    in.counts = countParameters(in.spec);
    if (!options.fromConfig && !where.weights.empty()) {
        auto checkpoint = Checkpoint::open(where.weights);
        const TensorCatalog catalog = catalogOf(*checkpoint);
        in.validation = validateCheckpoint(in.spec, catalog);
        if (const auto unused = unusedLayersWarning(in.spec, in.validation, where.config.string()); !unused.empty())
            warnOnce(unused); // the line every command that loads this model gives (MoeModel::open)
        in.fromCheckpoint = true;
        in.files = checkpoint->files().size();
        for (const auto& [name, t] : catalog.tensors) {
            auto& totals = in.byDtype[std::string(dtypeName(t.dtype))];
            ++totals.tensors;
            totals.bytes += t.nbytes;
        }
    } else {
        const auto bytes = in.counts.bytes(in.spec.dtype);
        if (!bytes)
            fail("{}: {} parameters of {} do not fit in 64 bits of bytes", where.config.string(),
                in.counts.total, dtypeName(in.spec.dtype));
        in.byDtype[std::string(dtypeName(in.spec.dtype))] = {0, *bytes};
    }
    return in;
}

std::vector<int> denseLayers(const ModelSpec& spec)
{
    std::vector<int> out;
    for (int i = 0; i < spec.numLayers; ++i)
        if (spec.layers[static_cast<size_t>(i)].kind == LayerKind::Dense)
            out.push_back(i);
    return out;
}

nlohmann::json toJson(const Inspection& in)
{
    const ModelSpec& s = in.spec;
    nlohmann::json layers = nlohmann::json::array();
    for (size_t i = 0; i < s.layers.size(); ++i) {
        const auto& l = s.layers[i];
        nlohmann::json entry = {{"index", i}, {"kind", l.kind == LayerKind::Moe ? "moe" : "dense"}};
        if (l.kind == LayerKind::Moe) {
            entry["experts"] = l.numExperts;
            entry["top_k"] = l.topK;
            entry["expert_width"] = l.expertWidth;
            entry["shared_experts"] = l.shared.count;
            entry["shared_width"] = l.shared.intermediateSize;
            entry["shared_gated"] = l.shared.gated;
        } else {
            entry["width"] = l.intermediateSize;
        }
        layers.push_back(std::move(entry));
    }
    auto components = [](const ComponentCounts& c) {
        nlohmann::json out = nlohmann::json::object();
        for (int k = 0; k < kComponentCount; ++k)
            out[std::string(componentName(static_cast<Component>(k)))] = c.values[static_cast<size_t>(k)];
        return out;
    };
    const auto& a = s.attention;
    nlohmann::json attention = {{"kind", a.kind == AttentionKind::Mla ? "mla" : "gqa"}, {"heads", a.numHeads},
        {"kv_heads", a.numKvHeads}, {"head_dim", a.headDim}, {"qkv_bias", a.qkvBias}, {"o_bias", a.oBias},
        {"qk_norm",
            a.qkNorm == QkNorm::PerHead    ? "per_head"
                : a.qkNorm == QkNorm::Full ? "full"
                                           : "none"}};
    if (a.kind == AttentionKind::Mla)
        attention.update({{"q_lora_rank", a.qLoraRank}, {"kv_lora_rank", a.kvLoraRank},
            {"qk_nope_head_dim", a.qkNopeHeadDim}, {"qk_rope_head_dim", a.qkRopeHeadDim},
            {"v_head_dim", a.vHeadDim}});
    nlohmann::json byDtype = nlohmann::json::object();
    uint64_t totalBytes = 0;
    for (const auto& [name, t] : in.byDtype) {
        byDtype[name] = {{"bytes", t.bytes}};
        if (in.fromCheckpoint)
            byDtype[name]["tensors"] = t.tensors;
        totalBytes += t.bytes;
    }
    nlohmann::json out = {
        {"config", in.configPath.string()},
        {"architecture", s.architectureName},
        {"model_type", s.modelType},
        {"dtype", torchDtypeName(s.dtype)},
        {"hidden_size", s.hiddenSize},
        {"vocab_size", s.vocabSize},
        {"num_layers", s.numLayers},
        {"moe_layers", s.moeLayerIndices()},
        {"dense_layers", denseLayers(s)},
        {"layers", layers},
        {"attention", attention},
        {"rope",
            {{"type", s.rope.type}, {"theta", s.rope.theta}, {"rotary_dim", s.rope.rotaryDim},
                {"interleaved", s.rope.interleaved}}},
        {"router",
            {{"softmax_fp32", s.router.softmaxFp32}, {"norm_topk_prob", s.router.normTopkProb},
                {"routed_scaling_factor", s.router.routedScalingFactor},
                {"topk_method",
                    s.router.topkMethod == TopkMethod::Greedy ? "greedy" : "group_limited_greedy"}}},
        {"parameters",
            {{"total", in.counts.total}, {"active", in.counts.active},
                {"total_non_embedding", in.counts.totalNonEmbedding},
                {"active_non_embedding", in.counts.activeNonEmbedding},
                {"by_component", components(in.counts.byComponent)},
                {"active_by_component", components(in.counts.activeByComponent)}}},
        {"bytes",
            {{"source", in.fromCheckpoint ? "checkpoint" : "config"}, {"total", totalBytes},
                {"by_dtype", byDtype}}},
    };
    if (in.fromCheckpoint)
        out["checkpoint"] = {{"files", in.files},
            {"expert_layout", in.validation.layout == ExpertLayout::FusedV5 ? "fused_v5" : "per_expert"},
            {"tensors_checked", in.validation.tensorsChecked}, {"warnings", in.validation.warnings}};
    return out;
}

void printHuman(const Inspection& in)
{
    const ModelSpec& s = in.spec;
    const auto moe = s.moeLayerIndices();
    const auto dense = denseLayers(s);
    fmt::print("{:<14}{}\n", "Config", in.configPath.string());
    fmt::print("{:<14}{} ({}), {}{}\n", "Architecture", s.architectureName, s.modelType,
        torchDtypeName(s.dtype), s.dtypeFromConfig ? "" : " (assumed: the config names no dtype)");
    fmt::print("{:<14}hidden {}, vocabulary {}, {} positions\n", "Size", s.hiddenSize, s.vocabSize,
        s.maxPositionEmbeddings);
    fmt::print("{:<14}{}: {} MoE ({}), {} dense ({})\n", "Layers", s.numLayers, moe.size(), ranges(moe),
        dense.size(), ranges(dense));
    // Experts: one line when every MoE layer agrees (all published checkpoints), per layer otherwise.
    std::map<std::tuple<int, int, int, int, int>, std::vector<int>> shapes;
    for (int i : moe) {
        const auto& l = s.layers[static_cast<size_t>(i)];
        shapes[{l.numExperts, l.topK, l.expertWidth, l.shared.count, l.shared.intermediateSize}].push_back(i);
    }
    for (const auto& [key, where] : shapes) {
        const auto [experts, topK, width, shared, sharedWidth] = key;
        std::string sharedText = shared == 0
            ? "no shared experts"
            : fmt::format("{} shared (width {}{})", shared, sharedWidth,
                s.layers[static_cast<size_t>(where.front())].shared.gated ? ", gated" : "");
        fmt::print("{:<14}{} routed, top-{}, width {}; {}{}\n", "Experts", experts, topK, width, sharedText,
            shapes.size() > 1 ? " in layers " + ranges(where) : "");
    }
    if (!dense.empty())
        fmt::print(
            "{:<14}width {}\n", "Dense MLP", s.layers[static_cast<size_t>(dense.front())].intermediateSize);
    const auto& r = s.router;
    std::string routing = fmt::format("softmax in {}, {}", r.softmaxFp32 ? "fp32" : "the model dtype",
        r.normTopkProb ? "top-k renormalised" : "top-k not renormalised");
    if (r.topkMethod == TopkMethod::GroupLimitedGreedy)
        routing += fmt::format(", group-limited ({} of {} groups)", r.topkGroup, r.nGroup);
    if (!r.normTopkProb && r.routedScalingFactor != 1.0) // DeepSeek-V2 scales only when not renormalising
        routing += fmt::format(", scaled by {}", r.routedScalingFactor);
    fmt::print("{:<14}{}\n", "Router", routing);
    const auto& a = s.attention;
    if (a.kind == AttentionKind::Mla)
        fmt::print("{:<14}MLA, {} heads, q_lora_rank {}, kv_lora_rank {}, qk {}+{}, v {}\n", "Attention",
            a.numHeads, a.qLoraRank > 0 ? std::to_string(a.qLoraRank) : "none", a.kvLoraRank, a.qkNopeHeadDim,
            a.qkRopeHeadDim, a.vHeadDim);
    else
        fmt::print("{:<14}GQA, {} query / {} KV heads, head_dim {}{}{}\n", "Attention", a.numHeads,
            a.numKvHeads, a.headDim, a.qkvBias ? ", qkv bias" : "",
            a.qkNorm == QkNorm::PerHead    ? ", per-head q/k norm"
                : a.qkNorm == QkNorm::Full ? ", full q/k norm"
                                           : "");
    fmt::print("{:<14}{}, theta {}, {} rotary dims{}{}\n", "RoPE", s.rope.type, s.rope.theta,
        s.rope.rotaryDim, s.rope.type != "default" ? fmt::format(", factor {}", s.rope.factor) : "",
        s.rope.interleaved ? ", interleaved pairs" : "");

    const auto& c = in.counts;
    fmt::print("\n{:<18}{:>20}{:>20}\n", "Parameters", "total", "active/token");
    for (int k = 0; k < kComponentCount; ++k) {
        const auto comp = static_cast<Component>(k);
        fmt::print("  {:<16}{:>20}{:>20}\n", componentName(comp), grouped(c.byComponent[comp]),
            grouped(c.activeByComponent[comp]));
    }
    fmt::print("  {:<16}{:>20}{:>20}\n", "total", grouped(c.total), grouped(c.active));
    fmt::print("  {:<16}{:>20}{:>20}\n", "", shortCount(c.total), shortCount(c.active));
    fmt::print("  {:<16}{:>20}{:>20}\n", "non-embedding", shortCount(c.totalNonEmbedding),
        shortCount(c.activeNonEmbedding));

    if (in.fromCheckpoint)
        fmt::print("\nBytes by dtype (checkpoint: {} file(s), experts {})\n", in.files,
            expertLayoutName(in.validation.layout));
    else
        fmt::print("\nBytes by dtype (from the config's dtype; weights not read)\n");
    for (const auto& [name, t] : in.byDtype)
        fmt::print("  {:<8}{:>10}{:>22} bytes  {:>12}\n", name,
            in.fromCheckpoint ? fmt::format("{} tensors", t.tensors) : "", grouped(t.bytes), gib(t.bytes));
    if (in.fromCheckpoint) {
        fmt::print("\nChecked {} tensors against config.json: shapes match", in.validation.tensorsChecked);
        const auto& w = in.validation.warnings;
        fmt::print("{}\n",
            w.empty() ? ", no unexpected tensors." : fmt::format("; {} unexpected tensor(s):", w.size()));
        constexpr size_t kShown = 20;
        for (size_t k = 0; k < w.size() && k < kShown; ++k)
            fmt::print("  warning: {}\n", w[k]);
        if (w.size() > kShown)
            fmt::print("  ... and {} more\n", w.size() - kShown);
    }
}

} // namespace

void registerInspect(CLI::App& app, GlobalOptions& global)
{
    auto options = std::make_shared<InspectOptions>();
    auto* cmd = app.add_subcommand("inspect",
        "Describe a checkpoint: architecture, layers, experts, parameters, bytes; "
        "checks every tensor against config.json");
    cmd->add_option("MODEL_DIR", options->path, "Model folder (config.json + .safetensors) or a config.json")
        ->required();
    cmd->add_flag("--json", options->json, "Machine-readable output");
    cmd->add_flag(
        "--from-config", options->fromConfig, "Use only config.json: no weights read, bytes from its dtype");
    cmd->callback([options, &global]() {
        (void)global; // no tensor work: LibTorch is not initialised
        const Inspection in = inspect(*options);
        if (options->json)
            fmt::print("{}\n", toJson(in).dump(2));
        else
            printHuman(in);
    });
}

} // namespace moewb::cli
