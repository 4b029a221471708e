// The Parameters dock's section for the methods other than MoE-I² (issues #16, #17): Expert Drop
// (ratio or preserve N, layerwise / global, score kind), Layer and Block Drop (drop N, max span;
// discrete / consecutive), Wanda and SparseGPT (sparsity, unstructured or N:M, shared experts;
// SparseGPT's block size and damping), CD-MoE condensing (a layer count or a parameter target,
// experts, metric, candidate layers; fine-tuning steps, learning rate, batch, warm-up, weight decay,
// shared experts and training text of the condensed experts; method_form_condense.cpp) and every
// method's result plan name: the `moe-compress run --method` options, with the CLI's defaults.
// Only the selected method's fields are shown, and those that do not apply (the layer count with a
// target, fine-tuning settings without steps) are disabled. Also the checks of those parameters against
// the open model and their place in QSettings (the dock's last-run settings; method_checks.cpp).
#pragma once
#include "app/gui/job_types.h"
#include "app/gui/parameter_checks.h"

#include <QWidget>

#include <vector>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QFormLayout;
class QGroupBox;
class QLabel;
class QLineEdit;
class QSettings;
class QSpinBox;

namespace moewb::gui {

class MethodForm : public QWidget {
    Q_OBJECT
public:
    explicit MethodForm(QWidget* parent = nullptr);

    void setMethod(const QString& method); // shows that method's fields (none for moe-i2)
    void setParameters(const MethodParameters& parameters); // emits nothing
    // The session's plans, for "Run after"; a chosen plan no longer there goes back to none.
    void setPlans(const QStringList& plans);
    MethodParameters parameters() const;

Q_SIGNALS:
    void changed();

private:
    // A row shown only when one of `methods` is chosen.
    void onlyFor(QFormLayout* form, const QString& label, QWidget* field, const QStringList& methods);
    void buildCondense(QFormLayout* form); // method_form_condense.cpp
    void updateFields(); // enabled fields and the plan name's placeholder (method_form_condense.cpp)

    QString m_method;
    QGroupBox *m_compose = nullptr, *m_result = nullptr;
    QGroupBox *m_expertDrop = nullptr, *m_layerDrop = nullptr, *m_slimming = nullptr, *m_condense = nullptr;
    QComboBox *m_dropMode = nullptr, *m_expertScore = nullptr, *m_blockMode = nullptr, *m_pattern = nullptr;
    QComboBox *m_metric = nullptr, *m_after = nullptr;
    QDoubleSpinBox *m_dropRatio = nullptr, *m_sparsity = nullptr, *m_damping = nullptr, *m_finetuneLr = nullptr;
    QSpinBox *m_preserveN = nullptr, *m_dropN = nullptr, *m_maxSpan = nullptr, *m_sparseGptBlock = nullptr;
    QSpinBox *m_condenseLayers = nullptr, *m_condenseExperts = nullptr, *m_finetuneSteps = nullptr;
    QSpinBox *m_finetuneBatch = nullptr, *m_finetuneWarmup = nullptr;
    QDoubleSpinBox *m_targetParams = nullptr, *m_finetuneWeightDecay = nullptr;
    QComboBox* m_condenseBy = nullptr;
    QCheckBox *m_sharedExperts = nullptr, *m_finetuneShared = nullptr;
    QLineEdit *m_candidates = nullptr, *m_trainPath = nullptr, *m_planName = nullptr;
    QWidget* m_trainRow = nullptr;
    struct MethodRow {
        QStringList methods;
        QLabel* label;
        QWidget* field;
    };
    std::vector<MethodRow> m_onlyFor;
    bool m_filling = false;
};

// True for the methods MethodForm handles (Run ▸ Run method runs them; moe-i2 runs the pipeline).
bool isExtraMethod(const QString& method);

// The method's parameters against the open model (fields: "dropRatio", "preserveN", "dropN",
// "sparsity", "pattern", "condenseCandidates", "condenseLayers", "condenseTargetParams",
// "condenseExperts", "condenseFinetuneLr", "condenseTrainPath", "planName"): more experts dropped than a
// layer can lose keeping top-k, more layers or blocks dropped than exist, a malformed N:M pattern or
// candidate layer list, a candidate that is no MoE layer, a parameter target of 0 or below what
// condensing every candidate leaves, fine-tuning with a learning rate of 0 or a missing training text,
// a plan name core refuses, ...
QList<ParameterIssue> checkMethodParameters(const QString& method, const MethodParameters& p, const ModelSummary& model);

// Read / write under the current group of `settings`.
void loadMethodParameters(QSettings& settings, MethodParameters& p);
void saveMethodParameters(QSettings& settings, const MethodParameters& p);

} // namespace moewb::gui
