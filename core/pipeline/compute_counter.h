// Counts how often each expensive stage actually computed (as opposed to reusing a cached result
// from the session file). Stage code calls countCompute("importance") when it does the work; tests
// read computeCount() to prove that reopening a session recomputes nothing. Thread-safe: stages
// run on worker threads while a test or the GUI reads the counts. Batched passes also count their
// pieces ("layer_chunks": rows through one layer at once, "eval_batches": evaluation forwards), so a
// test can tell which batch size (`--batch-tokens`) reached them.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace moewb {

void countCompute(std::string_view stage, uint64_t times = 1);
uint64_t computeCount(std::string_view stage); // 0 for a stage never counted
std::map<std::string, uint64_t> computeCounts(); // snapshot of every stage
void resetComputeCounts();

} // namespace moewb
