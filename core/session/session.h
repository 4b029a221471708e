// Session files: one HDF5 file (.h5) holding everything a session computed, so the GUI and the CLI
// can save work and reopen it without recomputing. Layout, schema version 1 (also docs/session-file.md):
//
//   /                          attrs: format = "moewb-session", schema_version = 1 (int64),
//                                     created, modified (ISO 8601 UTC strings)
//   /provenance                attrs: created_with, saved_with (tool versions)
//       parameters             text (JSON object: the run's parameters)
//       timing_names           text (JSON array of stage names)
//       timing_seconds         f64 [n], parallel to timing_names
//   /source                    attrs: path, identity_hash (over safetensors headers and file sizes)
//       config                 text (config.json as read)
//   /calibration               attrs: data_path, data_hash, samples, sequence_length (int64), seed (uint64)
//   /router_stats              attrs: model_hash, data_hash
//       layers                 i32 [L]   MoE layer of each row
//       selection_frequency    f64 [L, E]
//       mean_gate_weight       f64 [L, E]
//       softmax_mass           f64 [L, E]
//   /importance                attrs: model_hash, data_hash
//       layers                 i32 [L]
//       expert_loss            f64 [L, E]
//       layer_importance       f64 [L]
//   /allocation                attrs: ratio (f64), requested (int64), model_hash, data_hash
//       layers, prune_count, overridden   i32 [L] (overridden: 1 = P_l fixed by hand)
//   /search/layer_NNN          attrs: layer, prune_count, exhaustive (0/1), evaluations, model_hash,
//   data_hash
//       parameters             text (JSON)
//       best_fitness, mean_fitness, worst_fitness   f64 [G]
//       best_sets              i32 [G, P]
//       candidate_sets         i32 [K, P]
//       candidate_fitness      f64 [K]
//   /blocks                    attrs: candidates_per_layer (K), block_size (T), model_hash, data_hash
//       block_NNN              group: layers i32 [T'], chosen i32 [T'], losses f64 [K^T']
//   /plans/plan_NNN            text (plan JSON, core/plan/plan.h); attrs: name, model_hash
//   /evaluations/eval_NNN      attrs: name, plan, model_hash, data_hash
//       metric_names           text (JSON array)
//       metric_values          f64 [m], parallel to metric_names
//       details                text (JSON)
//   /activations/<name>        cached activations, e.g. activations/layer_03/moe_input: f32, or bf16
//                              stored as u16; attrs: element ("f32" | "bf16"), model_hash, data_hash
//   /tensors/<name>            tensors plans reference by name (sparsity masks, fine-tuned deltas),
//                              e.g. tensors/masks/layer03/expert05/gate; same attrs as activations
//
// "text" is a 1-D uint8 dataset holding UTF-8 (h5py: bytes(f["source/config"][()]).decode()).
// Every non-empty dataset is chunked with a Fletcher32 checksum (activations and tensors add
// shuffle + deflate), and the file uses the HDF5 1.10 format, whose metadata is checksummed: a
// damaged or truncated file is an error naming the file and the object, never wrong numbers.
//
// Writing: save() writes a temporary sibling (".<name>.tmp-<hex>" next to the file, AtomicFile), fsyncs it
// and renames it over the target, so a crash never leaves half a session; arrays already in the
// previous file are copied chunk by chunk without decompressing.
// Reading: open() reads every section into memory except activations and tensors, which are
// listed and read on demand from the file (it must not change while the session is open).
// Staleness: every cached section carries the model hash (and calibration data hash) it was
// computed from; checkCompatibility() names the sections that no longer match, and callers
// recompute those instead of using them.
//
// Threads: a Session is not thread-safe; use it from one thread (the GUI's session worker). HDF5
// itself is serialised process-wide by h5::Lock, because Debian's build is not thread-safe.
#pragma once
#include "core/session/session_types.h"

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace moewb {

class ArrayStore;

class Session {
public:
    static constexpr int kSchemaVersion = 1;

    Session(); // a new, empty session (not yet on disk)
    ~Session();
    Session(Session&&) noexcept;
    Session& operator=(Session&&) noexcept;

    // Reads a session file. Throws moewb::Error naming the file for a missing, damaged or
    // truncated file, a file that is not a session, and a schema newer than kSchemaVersion.
    static Session open(const std::filesystem::path& path);
    // Writes the whole session atomically; afterwards path() is `path`.
    void save(const std::filesystem::path& path);
    void save(); // to path(); throws when the session was never saved
    // Fails now, naming the file, where save(path) could not write (a read-only folder or filesystem,
    // a missing folder, a folder in the way): commands that compute and then store check this first,
    // rather than fail after the work. Creates and removes the temporary save() would write.
    static void requireSavable(const std::filesystem::path& path);
    const std::filesystem::path& path() const { return m_path; }

    int schemaVersion() const { return m_schemaVersion; } // of the file read
    const std::string& created() const { return m_created; }
    const std::string& modified() const { return m_modified; }

    // ---- Small sections, held in memory -----------------------------------------------------
    const std::optional<SourceModel>& source() const { return m_source; }
    void setSource(SourceModel source) { m_source = std::move(source); }
    const std::optional<CalibrationSettings>& calibration() const { return m_calibration; }
    void setCalibration(CalibrationSettings settings) { m_calibration = std::move(settings); }
    // The stamp new results get: current source identity hash and calibration data hash.
    CacheStamp currentStamp() const;

    // Setters fill an empty stamp with currentStamp().
    const std::optional<RouterStats>& routerStats() const { return m_routerStats; }
    void setRouterStats(RouterStats stats);
    const std::optional<ImportanceTables>& importance() const { return m_importance; }
    void setImportance(ImportanceTables tables);
    const std::optional<PruningCounts>& allocation() const { return m_allocation; }
    void setAllocation(PruningCounts counts);
    const std::map<int, LayerSearch>& searches() const { return m_searches; } // by layer
    void setSearch(LayerSearch search);
    void clearSearches() { m_searches.clear(); }
    const std::optional<BlockSearch>& blockSearch() const { return m_blockSearch; }
    void setBlockSearch(BlockSearch search);
    const std::map<std::string, SessionPlan>& plans() const { return m_plans; } // by name
    void setPlan(Plan plan, CacheStamp stamp = {});
    void removePlan(const std::string& name) { m_plans.erase(name); }
    const std::map<std::string, Evaluation>& evaluations() const { return m_evaluations; } // by name
    void setEvaluation(Evaluation evaluation);
    void removeEvaluation(const std::string& name) { m_evaluations.erase(name); }
    Provenance& provenance() { return m_provenance; }
    const Provenance& provenance() const { return m_provenance; }

    // ---- Large arrays, read on demand --------------------------------------------------------
    // Names are relative ("layer_03/moe_input"); components are separated by '/'.
    void putActivation(const std::string& name, Array<float> values, CacheStamp stamp = {});
    void putActivationBf16(const std::string& name, Array<uint16_t> bits, CacheStamp stamp = {});
    Array<float> activation(const std::string& name) const; // bf16 is widened to f32
    Array<uint16_t> activationBf16(const std::string& name) const; // only for bf16 activations
    std::vector<std::string> activationNames() const;
    // Tensor store for plans (masks: u8, deltas: f32 or bf16). T: float, double, uint16_t (bf16),
    // uint8_t, int32_t, int64_t; reading checks the stored element type.
    template <typename T> void putTensor(const std::string& name, Array<T> values, CacheStamp stamp = {});
    template <typename T> Array<T> tensor(const std::string& name) const;
    std::vector<std::string> tensorNames() const;
    // For full names: "activations/<name>" or "tensors/<name>".
    std::optional<ArrayInfo> arrayInfo(const std::string& fullName) const;
    void removeArray(const std::string& fullName);
    // Tensors `plan` references that the store lacks.
    std::vector<std::string> missingTensors(const Plan& plan) const;
    // Reads every stored array once, so damage anywhere is reported now rather than later.
    void verify() const;

    // ---- Model identity and staleness --------------------------------------------------------
    // A session holds the work on one checkpoint. Fails with moewb::Error naming this file, the model
    // it was made from and `modelPath` when `modelIdentityHash` is another checkpoint's (a session
    // without a source accepts any model). Callers check before changing anything, so the file stays
    // as it is; results from other calibration data for the same model are stale instead (below).
    void requireModel(const std::string& modelIdentityHash, const std::filesystem::path& modelPath) const;
    // Sections computed for another model (everything model-derived) or other calibration data
    // (activations, router statistics, importance, searches, blocks).
    CompatibilityReport checkCompatibility(
        const std::string& modelIdentityHash, const std::string& calibrationDataHash) const;
    // Removes the sections the report names, so they are recomputed rather than used.
    void dropStale(const CompatibilityReport& report);

private:
    void readFile(const std::filesystem::path& path);
    std::string displayName() const;
    void checkFileUnchanged() const;
    void rememberFile();
    template <typename T> Array<T> readArray(const std::string& key, const char* what) const;

    std::filesystem::path m_path;
    uintmax_t m_fileSize = 0; // the file as last read or written, to notice outside changes
    int64_t m_fileTime = 0;
    int m_schemaVersion = kSchemaVersion;
    std::string m_created, m_modified;
    std::optional<SourceModel> m_source;
    std::optional<CalibrationSettings> m_calibration;
    std::optional<RouterStats> m_routerStats;
    std::optional<ImportanceTables> m_importance;
    std::optional<PruningCounts> m_allocation;
    std::map<int, LayerSearch> m_searches;
    std::optional<BlockSearch> m_blockSearch;
    std::map<std::string, SessionPlan> m_plans;
    std::map<std::string, Evaluation> m_evaluations;
    Provenance m_provenance;
    std::unique_ptr<ArrayStore> m_arrays;
};

} // namespace moewb
