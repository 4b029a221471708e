// Plain values of the holistic methods (Expert Drop, Layer Drop, Block Drop, Wanda, SparseGPT), CD-MoE
// condensing and LoRA recovery in the GUI (issues #16, #17, #18): their parameters, the similarity
// chart of Layer / Block Drop and the points of a fine-tuning loss curve. No LibTorch: widgets and
// tests hold them.
#pragma once
#include <QMetaType>
#include <QString>
#include <QStringList>
#include <limits>
#include <optional>
#include <vector>

namespace moewb::gui {

// Parameters of the methods other than MoE-I² (the `moe-compress run --method` options).
struct MethodParameters {
    // expert-drop, layer-drop, block-drop, wanda, sparsegpt: a session plan applied first, the result
    // its steps followed by the method's (--after; not kept in QSettings: it names a session's plan)
    QString after; // empty: none
    // every method: the result plan's name (--plan-name); empty: defaultPlanName (method_form.h)
    QString planName;
    // expert-drop
    double dropRatio = 0.25; // fraction of routed experts dropped (preserveN = 0)
    int preserveN = 0; // > 0: experts kept per layer instead of the ratio
    QString dropMode = QStringLiteral("layerwise"); // "layerwise" | "global"
    QString expertScore = QStringLiteral("auto"); // "auto" | "softmax" | "gate" (--expert-score)
    // layer-drop, block-drop
    int dropN = 1;
    QString blockMode = QStringLiteral("discrete"); // "discrete" | "consecutive"
    int maxSpan = 0; // longest run of blocks whose similarity is measured and cached (0: all; --max-span)
    // wanda, sparsegpt
    double sparsity = 0.5;
    QString pattern = QStringLiteral("unstructured"); // "unstructured" | "N:M" (e.g. "2:4")
    bool sharedExperts = false; // also prune the shared expert MLP (--shared-experts)
    int sparseGptBlock = 128; // sparsegpt: columns per lazy batch (--sparsegpt-block)
    double damping = 0.01; // sparsegpt: H += damping x mean(diag H) x I (--damping)
    // condense (CD-MoE): condenseLayers layers, or with condenseByTarget layers until the model holds
    // at most condenseTargetParams parameters (--target-params; core/compress/condense_target.h)
    int condenseLayers = 1;
    bool condenseByTarget = false;
    qint64 condenseTargetParams = 0; // a parameter count (0: none chosen yet)
    int condenseExperts = 2; // k_c
    QString condenseMetric = QStringLiteral("js"); // "js" | "kl"
    QString condenseCandidates; // --candidate-layers as "3,4,5" or "3-5" (parseLayerList); empty: all
    int condenseFinetuneSteps = 0; // fine-tuning steps of the condensed experts (0: none)
    double condenseFinetuneLr = 1e-3; // its peak learning rate (AdamW)
    QString condenseTrainPath; // its training text; empty: the calibration text
    int condenseFinetuneBatch = 8; // sequences a step (--finetune-batch)
    int condenseFinetuneWarmup = 5; // linear warm-up steps, then linear decay to 0 (--finetune-warmup)
    double condenseFinetuneWeightDecay = 0.0; // AdamW weight decay (--finetune-weight-decay)
    bool condenseFinetuneShared = true; // also train the shared experts (false: --finetune-no-shared)
    bool operator==(const MethodParameters&) const = default;
};

// A list of decoder layers as "3,4,5", "3-5" or "1,3-5" (spaces allowed; sorted, duplicates removed):
// empty for an empty text, nullopt when malformed (app/gui/method_checks.cpp).
std::optional<std::vector<int>> parseLayerList(const QString& text);

// The name of the plan `method` makes with `p` when Plan name is empty, without the "<after> + "
// prefix of Run after plan (the worker adds it): the CLI's (expert-drop-layerwise-0.25, layer-drop-2,
// block-drop-discrete-1, wanda-unstructured-0.5, sparsegpt-2:4), and for CD-MoE cd-moe-LxE or, with a
// parameter target, cd-moe-targetNxE (the CLI's is cd-moe whatever the settings). method_plan_name.cpp.
QString defaultPlanName(const QString& method, const MethodParameters& p);

// Why `name` cannot name a plan (core/plan/plan_name.h's rule, translated); empty when it can.
QString planNameProblemMessage(const QString& name);

// The methods of the Parameters dock's combo besides "moe-i2", as `run --method` names them.
inline QStringList extraMethodNames()
{
    return {QStringLiteral("expert-drop"), QStringLiteral("layer-drop"), QStringLiteral("block-drop"),
        QStringLiteral("wanda"), QStringLiteral("sparsegpt"), QStringLiteral("condense")};
}

// Layer Drop / Block Drop scores: one bar per decoder layer (NaN where it cannot be dropped, e.g. a
// dense layer for Layer Drop), the dropped ones highlighted.
struct SimilarityChartData {
    QString method; // "layer-drop" | "block-drop"
    QString plan; // the plan made from it
    std::vector<int> layers; // decoder layer of each bar
    std::vector<double> scores; // mean cosine similarity (higher: more redundant)
    std::vector<int> dropped; // decoder layers the plan drops
};

// Run ▸ Recover: LoRA recovery fine-tuning of a session plan (moe-compress finetune).
struct RecoverSettings {
    QString plan; // the session plan to recover
    QString trainPath; // empty: the demo's calib.txt; text, or JSONL instruction pairs as `finetune --train`
    QString heldOutPath; // empty: the demo's eval.txt; "-" none
    int steps = 40;
    double lr = 1e-3;
    int rank = 8;
    double alpha = 16.0;
    // The objective (`finetune --objective`): "lm" (next-token cross-entropy) or "distill" (knowledge
    // distillation from the original model: alpha T^2 KL + (1 - alpha) CE, core/train/lora.h).
    QString objective = QStringLiteral("lm");
    double temperature = 1.0; // distillation temperature T (> 0)
    double distillWeight = 1.0; // distillation weight A in [0, 1] (1: pure distillation)
    // The panel's Advanced fields (`finetune --batch --seq-len --eval-every --eval-blocks --warmup
    // --patience`). The GUI's defaults are smaller than the CLI's (8 x 128, every 25 steps on 16
    // windows) for its shorter default run; warm-up -1 is "auto": a tenth of the steps, at most 10.
    int batchSize = 4, sequenceLength = 128;
    int evalEvery = 10, evalBlocks = 4;
    int warmupSteps = -1, patience = 3;
    // More Advanced fields, with the CLI's defaults (`finetune --accumulation --weight-decay --dropout
    // --targets --seed --plan-name --checkpoint-every --resume`): micro-batches a step, AdamW weight
    // decay, adapter dropout, the modules with adapters (core/train/lora_run.h parseLoraTargets), the
    // seed (adapter init, batches, dropout), the result plan's name (empty: "<plan>-lora"), steps
    // between checkpoints to "<session>.<plan>-lora.ckpt" (0: none) and continuing that checkpoint.
    int accumulation = 1;
    double weightDecay = 0.0, dropout = 0.05;
    QString targets = QStringLiteral("attention,experts,shared");
    quint64 seed = 0;
    QString planName;
    int checkpointEvery = 0;
    bool resume = false;
};

// One point of a fine-tuning curve (Recover, or CD-MoE's fine-tuning of the condensed experts): the
// training loss of a step, and the held-out perplexity and objective when that step evaluated (NaN
// otherwise). Recover posts one more point after training: step 0 (before training, loss NaN) with
// its held-out values, and the step whose adapters were kept.
struct LossPoint {
    QString run; // the plan being made ("<plan>-lora", or the CD-MoE plan)
    long long step = 0, steps = 0;
    double loss = 0, lr = 0;
    double heldOutPerplexity = 0; // NaN when this step did not evaluate
    // The training objective on the held-out windows (core's FinetuneReport::heldOutObjective; lm:
    // log perplexity, distill: the distillation loss); NaN when this step did not evaluate.
    double heldOutObjective = std::numeric_limits<double>::quiet_NaN();
    long long keptStep = -1; // the point after training: the kept adapters' step; -1 otherwise
    bool restored = false;   // a step of the resumed checkpoint, reported again (FinetuneReport::restored)
};

} // namespace moewb::gui

Q_DECLARE_METATYPE(moewb::gui::SimilarityChartData)
Q_DECLARE_METATYPE(moewb::gui::RecoverSettings)
Q_DECLARE_METATYPE(moewb::gui::LossPoint)
