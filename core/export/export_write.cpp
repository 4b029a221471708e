// Export, the writing: everything goes into a temporary sibling of the target (AtomicDirectory),
// is reloaded and compared there, and the folder is renamed into place only when complete and
// verified. Any exception (full disk, cancel, failed check) removes the temporary folder.
#include "core/export/export_internal.h"
#include "core/io/atomic_file.h"
#include "core/io/error.h"
#include "core/io/version.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <set>
#include <sstream>

namespace moewb {

namespace fs = std::filesystem;
using nlohmann::json;

namespace detail {

bool isCopiedFile(const std::string& name, const ModelSpec& source, ExportKind kind)
{
    static const std::set<std::string> kFiles = {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
        "tokenizer.model", "vocab.json", "merges.txt", "added_tokens.json", "generation_config.json",
        "chat_template.jinja", "chat_template.json"};
    if (kFiles.count(name))
        return true;
    // Remote-code sources (DeepSeekMoE-16B): their modeling files come along for the stock kinds.
    return kind != ExportKind::Extended && source.config.contains("auto_map") && name.size() > 3
        && name.compare(name.size() - 3, 3, ".py") == 0;
}

} // namespace detail

namespace {

void writeText(const fs::path& path, const std::string& text)
{
    AtomicFile file(path);
    file.write(text);
    file.commit();
}

void copyFile(const fs::path& from, const fs::path& to)
{
    std::ifstream in(from, std::ios::binary);
    if (!in)
        fail("{}: cannot read it to copy", from.string());
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad())
        fail("{}: cannot read it to copy", from.string());
    writeText(to, text.str());
}

std::map<std::string, std::string> provenanceMetadata(const MoeModel& applied, const Plan& plan,
                                                      const ExportOptions& options, ExportKind kind)
{
    return {{"moewb_version", version()}, {"moewb_format", exportKindName(kind)},
        {"moewb_source_hash", applied.checkpoint().identityHash()}, {"moewb_plan", plan.name},
        {"moewb_method", plan.method}, {"moewb_calibration_hash", options.provenance.calibrationDataHash}};
}

} // namespace

nlohmann::json exportReportToJson(const ExportReport& r)
{
    const auto& v = r.verification;
    return {{"target", r.target.string()}, {"preview", exportPreviewToJson(r.preview)}, {"files", r.files},
        {"bytes_written", r.bytesWritten}, {"rounded_tensors", r.roundedTensors}, {"write_seconds", r.writeSeconds},
        {"verification",
            {{"ran", v.ran}, {"data", v.data}, {"blocks", v.blocks}, {"tokens", v.tokens},
                {"max_abs_diff_vs_written", v.maxDiff}, {"max_abs_diff_vs_in_memory", v.maxDiffInMemory},
                {"max_abs_logit", v.logitScale}, {"tolerance", v.tolerance}, {"passed", v.passed},
                {"seconds", v.seconds}}}};
}

ExportReport exportModel(const MoeModel& applied, const Plan& plan, const ExportOptions& options)
{
    const auto start = std::chrono::steady_clock::now();
    ExportReport report;
    report.preview = previewExport(applied, plan, options);
    const ExportPreview& p = report.preview;
    report.target = options.target;
    report.source = applied.path();
    const ResolvedPlan resolved = resolvePlan(applied.spec(), plan);
    const fs::path source = detail::sourceFolder(applied);
    auto step = [&](double from, double to) -> std::function<bool(double)> {
        if (!options.progress)
            return {};
        return [&, from, to](double f) { return options.progress(from + (to - from) * f); };
    };
    const bool verify = options.verify;

    AtomicDirectory dir(options.target, options.force);
    {
        WriteOptions wo;
        wo.shardSizeBytes = options.shardSizeBytes;
        wo.metadata = provenanceMetadata(applied, plan, options, p.kind);
        CheckpointWeightsWriter writer(dir.path(), p.manifest, wo);
        report.roundedTensors
            = detail::writeExportTensors(applied, resolved, p, writer, step(0.0, verify ? 0.7 : 1.0));
        writer.commit();
    }
    writeText(dir.path() / "config.json", p.config.dump(2) + "\n");
    if (p.kind == ExportKind::Extended)
        if (auto file = extendedModelingFile(applied.spec()))
            writeText(dir.path() / file->first, file->second);
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(source, ec))
        if (entry.is_regular_file(ec) && detail::isCopiedFile(entry.path().filename().string(), applied.spec(), p.kind))
            copyFile(entry.path(), dir.path() / entry.path().filename());
    report.writeSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    if (verify) {
        report.verification = detail::verifyExport(applied, p, dir.path(), options, step(0.7, 1.0));
        const auto& v = report.verification;
        if (!v.passed)
            fail("{}: the written checkpoint does not reproduce the model: max |logit difference| {:.3g} exceeds "
                 "{:.3g} (1e-4 of max |logit| {:.3g}); nothing was kept",
                options.target.string(), v.maxDiff, v.tolerance, v.logitScale);
    }
    writeText(dir.path() / "README.md", modelCard(report, plan, applied.spec(), options.provenance));
    json record = exportReportToJson(report);
    record.erase("files"); // not known until this file is written
    record.erase("bytes_written");
    record["moewb_version"] = version();
    record["source"] = {{"path", applied.path().string()}, {"identity_hash", applied.checkpoint().identityHash()},
        {"architecture", applied.spec().architectureName}};
    record["plan"] = planToJson(plan);
    const auto& prov = options.provenance;
    record["calibration"] = {{"data", prov.calibrationData}, {"data_hash", prov.calibrationDataHash},
        {"samples", prov.calibrationSamples}, {"sequence_length", prov.calibrationLength}};
    json evals = json::array();
    for (const auto& [name, metrics] : prov.evaluations)
        evals.push_back({{"name", name}, {"metrics", metrics}});
    record["evaluations"] = evals;
    writeText(dir.path() / "moewb_export.json", record.dump(2) + "\n");

    for (const auto& entry : fs::directory_iterator(dir.path(), ec))
        if (entry.is_regular_file(ec)) {
            report.files.push_back(entry.path().filename().string());
            report.bytesWritten += entry.file_size(ec);
        }
    std::sort(report.files.begin(), report.files.end());
    dir.commit();
    return report;
}

} // namespace moewb
