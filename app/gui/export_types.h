// Plain values of File ▸ Export compressed model… (app/gui/export_dialog.h): what the dialog asks the
// worker for, and the deployability report and verification result it gets back. No LibTorch, so the
// dialog and tests hold them; app/gui/worker_export.cpp fills them from core/export/export.h.
#pragma once
#include <QMetaType>
#include <QString>
#include <QStringList>
#include <optional>
#include <vector>

namespace moewb::gui {

struct ExportSettings {
    QString target; // the folder to create (or replace, with force)
    QString plan; // a plan of the session; empty: "moe-i2" when there is one, else the first
    QString kind = QStringLiteral("auto"); // auto, standard, extended, dense
    QString dtype = QStringLiteral("auto"); // auto (the source's), bf16, fp16, fp32
    quint64 shardBytes = 5'000'000'000ull; // largest weights file; 0: one file
    bool force = false; // replace a non-empty folder
    bool verify = true; // reload the folder and compare logits before it is renamed into place
    std::optional<quint64> freeBytesOverride; // tests: pretend the disk has this much room
};

struct ExportRuntime {
    QString runtime; // "MoE Workbench", "transformers", "vLLM"
    bool loads = false;
    QString how; // core's line (English)
};

// The deployability report (before writing) and, after an export, what was written and verified.
struct ExportSummary {
    QStringList plans; // every plan of the session
    QString plan; // the plan this report is about
    QString error; // non-empty: the preview or export was refused or failed (nothing was written)

    // Preview (core's ExportPreview)
    bool previewed = false;
    QString kind; // resolved: standard, extended or dense
    QString dtype; // "bf16", ...
    QStringList notStandard, notDense, notes;
    std::vector<ExportRuntime> runtimes;
    int sourceLayers = 0, layers = 0;
    qint64 sourceParameters = 0, parameters = 0;
    qint64 sourceBytes = 0, weightBytes = 0, totalBytes = 0;
    int tensors = 0, shards = 0;

    // Export (core's ExportReport)
    bool written = false;
    QString target;
    int files = 0;
    qint64 bytesWritten = 0;
    int roundedTensors = 0;
    double writeSeconds = 0;
    bool verified = false; // the reload check ran
    bool verificationPassed = false;
    QString verificationData; // "calibration blocks" / "random token ids"
    qint64 verificationBlocks = 0, verificationTokens = 0;
    double maxDiff = 0, maxDiffInMemory = 0, tolerance = 0, verificationSeconds = 0;
};

} // namespace moewb::gui

Q_DECLARE_METATYPE(moewb::gui::ExportSettings)
Q_DECLARE_METATYPE(moewb::gui::ExportSummary)
