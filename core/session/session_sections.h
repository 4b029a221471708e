// Reading and writing the small sections of a session file (layout: session.h). Internal to
// core/session. Readers check shapes against each other, so a file edited by hand or written by a
// buggy tool is an error naming the dataset, not a table that silently misaligns.
#pragma once
#include "core/session/h5_util.h"
#include "core/session/session_types.h"

namespace moewb::sessionio {

void writeStamp(const h5::Node& node, const CacheStamp& stamp);
CacheStamp readStamp(const h5::Node& node);

void writeSource(const h5::Node& root, const SourceModel& source);
SourceModel readSource(const h5::Node& group);
void writeCalibration(const h5::Node& root, const CalibrationSettings& calibration);
CalibrationSettings readCalibration(const h5::Node& group);
void writeProvenance(const h5::Node& root, const Provenance& provenance);
Provenance readProvenance(const h5::Node& group);

void writeRouterStats(const h5::Node& root, const RouterStats& stats);
RouterStats readRouterStats(const h5::Node& group);
void writeImportance(const h5::Node& root, const ImportanceTables& tables);
ImportanceTables readImportance(const h5::Node& group);
void writeAllocation(const h5::Node& root, const PruningCounts& counts);
PruningCounts readAllocation(const h5::Node& group);
void writeSearch(const h5::Node& searchGroup, const LayerSearch& search);
LayerSearch readSearch(const h5::Node& group);
void writeBlockSearch(const h5::Node& root, const BlockSearch& search);
BlockSearch readBlockSearch(const h5::Node& group);

void writePlan(const h5::Node& plansGroup, size_t index, const SessionPlan& plan);
SessionPlan readPlan(const h5::Node& plansGroup, const std::string& child);
void writeEvaluation(const h5::Node& group, size_t index, const Evaluation& evaluation);
Evaluation readEvaluation(const h5::Node& evaluationsGroup, const std::string& child);

} // namespace moewb::sessionio
