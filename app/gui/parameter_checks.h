// The parameters' inline validation and the stages each parameter feeds (no LibTorch: the
// parameters dock and tests use them directly).
//
// Stages of a run and what they depend on:
//   calibration pass + importance  <- calibration text, n, s, calibration seed, device (and the model)
//   allocation (P_l)               <- the above + pruning ratio + count overrides
//   genetic search                 <- the above + N, G, K, search seed, force genetic
//   KT block search                <- the above + T
// A run recomputes a stage only when its key differs from the cached stage's key.
#pragma once
#include "app/gui/job_types.h"

#include <QString>
#include <QStringList>

namespace moewb::gui {

QString calibrationKey(const RunSettings& s);
QString allocationKey(const RunSettings& s);
QString geneticKey(const RunSettings& s);
QString blockKey(const RunSettings& s);

// One problem found in the parameters; errors block a run, warnings do not.
struct ParameterIssue {
    enum class Severity { Warning, Error };
    Severity severity = Severity::Error;
    QString field; // "K", "T", "count:<layer>", "rank:<layer>:<expert>", ...
    QString message; // translated, for the user
};

// Combinations the KT search runs per block (K^T); saturates at INT64_MAX.
qint64 ktCombinations(int candidates, int blockSize);
constexpr qint64 kMaxKtCombinations = 4096;

// A rank-r factor of an m x n matrix stores r(m+n) parameters: it saves nothing once that reaches m*n.
bool rankAboveBreakEven(qint64 rank, qint64 m, qint64 n);

// Checks of the run parameters against the open model (experts and top-k per MoE layer): K^T too
// large, T longer than the model's MoE layers, an override leaving fewer experts than top-k, the
// pruning ratio removing more than every layer can lose.
QList<ParameterIssue> checkParameters(const RunSettings& s, const ModelSummary& model);

// A per-expert rank against its matrix shape (m x n): above break-even, or below 1.
QList<ParameterIssue> checkRank(int layer, int expert, qint64 rank, qint64 m, qint64 n);

bool hasErrors(const QList<ParameterIssue>& issues);

} // namespace moewb::gui
