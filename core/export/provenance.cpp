#include "core/export/provenance.h"

#include "core/session/session.h"

namespace moewb {

ExportProvenance exportProvenance(const Session& session, const std::string& planName)
{
    ExportProvenance p;
    p.sessionPath = session.path().string();
    if (const auto& c = session.calibration()) {
        p.calibrationData = c->dataPath.string();
        p.calibrationDataHash = c->dataHash;
        p.calibrationSamples = c->samples;
        p.calibrationLength = c->sequenceLength;
    }
    for (bool original : {true, false})
        for (const auto& [name, e] : session.evaluations())
            if ((original && e.plan.empty()) || (!original && e.plan == planName))
                p.evaluations.emplace_back(original ? name + " (original)" : name, e.metrics);
    return p;
}

} // namespace moewb
