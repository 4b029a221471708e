// What an export says about where a plan came from (ExportProvenance in moewb_export.json and the
// model card), read from the session that holds the plan: the session file, its calibration data and
// the evaluations of the original model and of the plan. Shared by `moe-compress export` and the
// GUI's File ▸ Export.
#pragma once
#include "core/export/export.h"

#include <string>

namespace moewb {

class Session;

// The original model's evaluations first (named "<name> (original)"), then the plan's.
ExportProvenance exportProvenance(const Session& session, const std::string& planName);

} // namespace moewb
