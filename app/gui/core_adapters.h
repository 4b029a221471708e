// Thin adapters from core's types to the GUI's plain values (job_types.h). Internal to app/gui; they
// run on the worker thread.
#pragma once
#include "app/gui/job_types.h"
#include "core/analysis/importance.h"
#include "core/search/genetic.h"
#include "core/session/session.h"

namespace moewb {
class MoeModel;
struct ModelSpec;
} // namespace moewb

namespace moewb::gui {

// Layers, experts, parameters and bytes as stored in the checkpoint.
ModelSummary summarizeModel(const MoeModel& model);

// One analysed layer as heatmap rows of width `experts` (columns are expert ids).
LayerRow layerRow(const LayerAnalysis& analysis, int experts);

// What the views draw from a session (empty parts where it has none); `spec` (the open model's)
// gives the shapes of factored experts. The Ranks view shows `rankPlan` when it factors experts,
// else the first plan (by name) that does.
SessionSnapshot snapshotOf(const Session& session, const QString& path, const ModelSpec* spec = nullptr,
                           const QString& rankPlan = {});

// A block's row for the KT table.
BlockRow blockRow(const BlockResult& block, int candidates);

} // namespace moewb::gui
