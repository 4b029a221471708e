// File ▸ Export compressed model… on the worker thread: the deployability report (core's
// previewExport, what `moe-compress export --dry-run` prints; writes nothing) and the export itself
// (the plan applied to a fresh copy of the model with the session's tensors, written by exportModel,
// reloaded and its logits compared before the folder is renamed into place). Refusals and failures
// come back in the summary's `error` for the dialog to show; a cancel is a cancelled job, and core
// then leaves nothing behind.
#include "app/gui/worker.h"
#include "app/gui/worker_core.h"
#include "core/calib/dataset.h"
#include "core/export/export.h"
#include "core/export/provenance.h"
#include "core/io/error.h"
#include "core/io/tokenizer.h"
#include "core/model/residency.h"
#include "core/plan/apply.h"
#include "core/util/torch_errors.h"

#include <torch/types.h>

#include <QDir>
#include <QFileInfo>

namespace moewb::gui {

namespace {

namespace fs = std::filesystem;
using Delivery = Worker::Delivery;

QString q(const std::string& s) { return QString::fromStdString(s); }

QStringList listOf(const std::vector<std::string>& lines)
{
    QStringList out;
    for (const auto& line : lines)
        out << q(line);
    return out;
}

// Two blocks of 64 tokens of the session's calibration text for the reload check (as the CLI's
// defaults); undefined (core then uses seeded random ids) when the text is gone or unusable.
torch::Tensor verificationIds(const Session& session, const MoeModel& model)
{
    const auto& calib = session.calibration();
    std::error_code ec;
    const fs::path tokenizer = model.path() / "tokenizer.json";
    if (!calib || calib->dataPath.empty() || !fs::exists(calib->dataPath, ec) || !fs::exists(tokenizer, ec))
        return {};
    BlockOptions bo;
    bo.blocks = 2;
    bo.blockLength = calib->sequenceLength > 0 ? std::min<int64_t>(64, calib->sequenceLength) : 64;
    bo.selection = BlockSelection::Random;
    bo.seed = calib->seed;
    try {
        return loadTextBlocks(calib->dataPath, Tokenizer::fromFile(tokenizer), bo).ids;
    } catch (const Error&) {
        return {};
    }
}

} // namespace

int Worker::previewExport(const ExportSettings& settings)
{
    qRegisterMetaType<ExportSummary>();
    return submit(tr("Export report"), false,
        [settings](WorkerCore& c, int job) { c.exportModel(job, settings, false); });
}

int Worker::exportModel(const ExportSettings& settings)
{
    qRegisterMetaType<ExportSummary>();
    return submit(
        tr("Export"), false, [settings](WorkerCore& c, int job) { c.exportModel(job, settings, true); });
}

void WorkerCore::exportModel(int job, const ExportSettings& s, bool write)
{
    ExportSummary out;
    for (const auto& [name, stored] : m_session.plans())
        out.plans << q(name);
    try {
        requireModel();
        if (m_session.plans().empty())
            throw Error(tr("The session holds no plan to export: run the search (Run all) first, or "
                           "open a session with plans.")
                            .toStdString());
        std::string name = s.plan.toStdString();
        if (name.empty())
            name = m_session.plans().count("moe-i2") ? "moe-i2" : m_session.plans().begin()->first;
        const auto found = m_session.plans().find(name);
        if (found == m_session.plans().end())
            throw Error(tr("The session has no plan '%1'.").arg(q(name)).toStdString());
        const Plan& plan = found->second.plan;
        out.plan = q(name);
        if (const auto missing = m_session.missingTensors(plan); !missing.empty())
            throw Error(tr("Plan '%1' needs %2 tensor(s) the session lacks (first: %3); run its stage "
                           "again.")
                            .arg(out.plan)
                            .arg(missing.size())
                            .arg(q(missing.front()))
                            .toStdString());

        const QString target = QDir::cleanPath(s.target.trimmed());
        if (target.isEmpty())
            throw Error(tr("Choose the folder to write the model into.").toStdString());
        if (QFileInfo(target).isRelative())
            throw Error(tr("%1: give the full path of the folder.").arg(target).toStdString());
        // Core's refusal names the CLI's --force; the dialog has a check box for it.
        const QDir existing(target);
        if (!s.force && existing.exists() && !existing.isEmpty(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden))
            throw Error(tr("%1 exists and is not empty. Choose a new folder, or tick \"Replace the folder's "
                           "contents\".")
                            .arg(target)
                            .toStdString());

        ExportOptions options;
        options.target = target.toStdString();
        options.kind = parseExportKind(s.kind.toStdString());
        if (s.dtype == QLatin1String("bf16"))
            options.dtype = DType::BF16;
        else if (s.dtype == QLatin1String("fp16"))
            options.dtype = DType::F16;
        else if (s.dtype == QLatin1String("fp32"))
            options.dtype = DType::F32;
        options.shardSizeBytes = s.shardBytes;
        options.force = s.force;
        options.protectedPaths = {workingSessionPath()};
        options.verify = s.verify;
        options.provenance = exportProvenance(m_session, name);
        if (s.freeBytesOverride)
            options.freeBytesOverride = *s.freeBytesOverride;

        const ExportPreview p = previewExport(*m_model, plan, options);
        out.previewed = true;
        out.kind = q(exportKindName(p.kind));
        out.dtype = q(std::string(dtypeName(p.dtype)));
        out.notStandard = listOf(p.notStandard);
        out.notDense = listOf(p.notDense);
        out.notes = listOf(p.notes);
        for (const auto& r : p.runtimes)
            out.runtimes.push_back({q(r.runtime), r.loads, q(r.how)});
        out.sourceLayers = p.sourceLayers;
        out.layers = p.layers;
        out.sourceParameters = static_cast<qint64>(p.sourceParameters);
        out.parameters = static_cast<qint64>(p.parameters);
        out.sourceBytes = static_cast<qint64>(p.sourceBytes);
        out.weightBytes = static_cast<qint64>(p.weightBytes);
        out.totalBytes = static_cast<qint64>(p.totalBytes);
        out.tensors = static_cast<int>(p.manifest.size());
        out.shards = static_cast<int>(p.shards.size());

        if (write) {
            stage(job, tr("Applying plan %1").arg(out.plan));
            auto applied = moewb::openModel(m_model->path(), m_model->options());
            applyPlan(*applied, plan, sessionTensorSource(m_session));
            if (s.verify)
                options.verifyIds = verificationIds(m_session, *applied);
            stage(job, tr("Writing and verifying %1").arg(target));
            options.progress = [this, job](double f) { return progress(job, f); };
            const ExportReport r = moewb::exportModel(*applied, plan, options);
            out.written = true;
            out.target = q(r.target.string());
            out.files = static_cast<int>(r.files.size());
            out.bytesWritten = static_cast<qint64>(r.bytesWritten);
            out.roundedTensors = r.roundedTensors;
            out.writeSeconds = r.writeSeconds;
            const auto& v = r.verification;
            out.verified = v.ran;
            out.verificationPassed = v.passed;
            out.verificationData = q(v.data);
            out.verificationBlocks = v.blocks;
            out.verificationTokens = v.tokens;
            out.maxDiff = v.maxDiff;
            out.maxDiffInMemory = v.maxDiffInMemory;
            out.tolerance = v.tolerance;
            out.verificationSeconds = v.seconds;
        }
    } catch (const Cancelled&) {
        throw;
    } catch (const std::exception& e) {
        out.error = QString::fromStdString(errorMessage(e)); // LibTorch errors without their backtrace
    }
    m_facade->post(job, Delivery::Always, [job, out, write](Worker& w) {
        if (write)
            Q_EMIT w.exportFinished(job, out);
        else
            Q_EMIT w.exportPreviewed(job, out);
    });
}

} // namespace moewb::gui
