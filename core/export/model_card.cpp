// The exported folder's README.md: a Hugging Face style model card with where the model came from,
// what was done to it, its size against the source, evaluation results the session holds, which
// runtimes load it and what the reload check measured.
#include "core/export/export.h"
#include "core/io/version.h"

#include <fmt/format.h>

namespace moewb {

namespace {

std::string millions(uint64_t n) { return fmt::format("{:.3f} M", n / 1e6); }
std::string mib(uint64_t n) { return fmt::format("{:.2f} MiB", n / 1048576.0); }
std::string change(uint64_t from, uint64_t to)
{
    return from == 0 ? "" : fmt::format("{:+.1f}%", 100.0 * (double(to) - double(from)) / double(from));
}

std::string stepSummary(const Plan& plan)
{
    int removed = 0, factored = 0, moeDropped = 0, blocks = 0, condensed = 0, masks = 0, deltas = 0;
    for (const auto& step : plan.steps) {
        if (const auto* s = std::get_if<RemoveExperts>(&step))
            removed += static_cast<int>(s->experts.size());
        else if (const auto* f = std::get_if<FactorExperts>(&step))
            factored += static_cast<int>(f->ranks.size());
        else if (std::holds_alternative<DropMoeSublayer>(step))
            ++moeDropped;
        else if (std::holds_alternative<DropBlock>(step))
            ++blocks;
        else if (std::holds_alternative<CondenseLayer>(step))
            ++condensed;
        else if (std::holds_alternative<SparsifyMatrix>(step))
            ++masks;
        else if (std::holds_alternative<ApplyDelta>(step))
            ++deltas;
    }
    std::vector<std::string> parts;
    if (removed)
        parts.push_back(fmt::format("{} routed expert(s) removed", removed));
    if (factored)
        parts.push_back(fmt::format("{} expert(s) factored to low rank", factored));
    if (moeDropped)
        parts.push_back(fmt::format("{} MoE sublayer(s) dropped", moeDropped));
    if (blocks)
        parts.push_back(fmt::format("{} decoder layer(s) dropped", blocks));
    if (condensed)
        parts.push_back(fmt::format("{} layer(s) condensed", condensed));
    if (masks)
        parts.push_back(fmt::format("{} matrix mask(s)", masks));
    if (deltas)
        parts.push_back(fmt::format("{} fine-tuning delta(s)", deltas));
    return parts.empty() ? "no changes" : fmt::format("{}", fmt::join(parts, ", "));
}

} // namespace

std::string modelCard(const ExportReport& report, const Plan& plan, const ModelSpec& source,
                      const ExportProvenance& provenance)
{
    const ExportPreview& p = report.preview;
    std::string name = report.target.filename().string();
    if (name.empty())
        name = report.target.parent_path().filename().string();
    std::string out = "---\nlibrary_name: transformers\ntags:\n- mixture-of-experts\n- compressed\n- moe-workbench\n";
    out += "---\n\n";
    out += fmt::format("# {}\n\n", name);
    out += fmt::format("A compressed {} written by MoE Workbench {} (`moe-compress export`), **{}** format "
                       "(see *Loading* below).\n\n",
        source.architectureName, version(), exportKindName(p.kind));

    out += "## Source and method\n\n";
    out += fmt::format("- Source model: `{}` ({}, {} layers)\n", report.source.string(), source.architectureName,
        source.numLayers);
    out += fmt::format("- Plan: `{}`, method `{}`: {}\n", plan.name, plan.method.empty() ? "-" : plan.method,
        stepSummary(plan));
    if (!plan.parameters.is_null() && !plan.parameters.empty())
        out += fmt::format("- Method parameters: `{}`\n", plan.parameters.dump());
    if (!provenance.calibrationDataHash.empty())
        out += fmt::format("- Calibration data: `{}`, {} blocks x {} tokens, data hash `{}`\n",
            provenance.calibrationData, provenance.calibrationSamples, provenance.calibrationLength,
            provenance.calibrationDataHash);
    else
        out += "- Calibration data: none recorded\n";
    out += fmt::format("- Layers kept: {} of {}\n", p.layers, p.sourceLayers);
    out += "- Full provenance (source identity hash, plan JSON): `moewb_export.json`\n\n";

    out += "## Size\n\n| | source | compressed | change |\n|---|---:|---:|---:|\n";
    out += fmt::format("| parameters | {} | {} | {} |\n", millions(p.sourceParameters), millions(p.parameters),
        change(p.sourceParameters, p.parameters));
    out += fmt::format("| weight files | {} | {} ({}) | {} |\n", mib(p.sourceBytes), mib(p.weightBytes),
        dtypeName(p.dtype), change(p.sourceBytes, p.weightBytes));
    out += "\n";

    if (!provenance.evaluations.empty()) {
        out += "## Evaluation\n\nResults recorded in the session (`moe-compress eval` / `run`):\n\n";
        out += "| evaluation | metric | value |\n|---|---|---:|\n";
        for (const auto& [evalName, metrics] : provenance.evaluations)
            for (const auto& [metric, value] : metrics)
                out += fmt::format("| {} | {} | {:.6g} |\n", evalName, metric, value);
        out += "\n";
    }

    out += "## Loading\n\n| runtime | loads | how |\n|---|---|---|\n";
    for (const auto& r : p.runtimes)
        out += fmt::format("| {} | {} | {} |\n", r.runtime, r.loads ? "yes" : "no", r.how);
    out += "\n";
    if (p.kind == ExportKind::Extended)
        out += "```python\nfrom transformers import AutoModelForCausalLM\n"
               "model = AutoModelForCausalLM.from_pretrained(path, trust_remote_code=True)\n```\n\n"
               "The per-layer structure is described under `" + std::string(kCompressionKey)
            + "` in config.json (MoE Workbench docs/export.md).\n\n";
    else
        out += "```python\nfrom transformers import AutoModelForCausalLM\n"
               "model = AutoModelForCausalLM.from_pretrained(path)\n```\n\n";
    for (const auto& note : p.notes)
        out += "- " + note + "\n";
    if (!p.notes.empty())
        out += "\n";

    const auto& v = report.verification;
    out += "## Verification\n\n";
    if (v.ran)
        out += fmt::format("Reloaded with MoE Workbench and compared with the in-memory compressed model on {} "
                           "({} x {} tokens): max |logit difference| {:.3g} against the weights as written "
                           "(tolerance {:.3g}), {:.3g} against the in-memory model before rounding to {}.\n",
            v.data, v.blocks, v.blocks ? v.tokens / v.blocks : 0, v.maxDiff, v.tolerance, v.maxDiffInMemory,
            dtypeName(p.dtype));
    else
        out += "Not run.\n";
    return out;
}

} // namespace moewb
