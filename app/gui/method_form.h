// The Parameters dock's section for the methods other than MoE-I² (issues #16, #17): Expert Drop
// (ratio or preserve N, layerwise / global), Layer and Block Drop (drop N; discrete / consecutive),
// Wanda and SparseGPT (sparsity, unstructured or N:M) and CD-MoE condensing (layers, experts, metric;
// fine-tuning steps, learning rate and training text of the condensed experts).
// Only the selected method's fields are shown. Also the checks of those parameters against the open
// model and their place in QSettings (the dock's last-run settings).
#pragma once
#include "app/gui/job_types.h"
#include "app/gui/parameter_checks.h"

#include <QWidget>

class QComboBox;
class QDoubleSpinBox;
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
    MethodParameters parameters() const;

Q_SIGNALS:
    void changed();

private:
    QGroupBox *m_expertDrop = nullptr, *m_layerDrop = nullptr, *m_slimming = nullptr, *m_condense = nullptr;
    QComboBox *m_dropMode = nullptr, *m_blockMode = nullptr, *m_pattern = nullptr, *m_metric = nullptr;
    QDoubleSpinBox *m_dropRatio = nullptr, *m_sparsity = nullptr, *m_finetuneLr = nullptr;
    QSpinBox *m_preserveN = nullptr, *m_dropN = nullptr, *m_condenseLayers = nullptr, *m_condenseExperts = nullptr;
    QSpinBox* m_finetuneSteps = nullptr;
    QLineEdit* m_trainPath = nullptr;
    QLabel* m_blockModeLabel = nullptr;
    bool m_filling = false;
};

// True for the methods MethodForm handles (Run ▸ Run method runs them; moe-i2 runs the pipeline).
bool isExtraMethod(const QString& method);

// The method's parameters against the open model (fields: "dropRatio", "preserveN", "dropN",
// "sparsity", "pattern", "condenseLayers", "condenseExperts", "condenseFinetuneLr", "condenseTrainPath"):
// more experts dropped than a layer can lose keeping top-k, more layers or blocks dropped than exist, a
// malformed N:M pattern, fine-tuning with a learning rate of 0 or a missing training text, ...
QList<ParameterIssue> checkMethodParameters(const QString& method, const MethodParameters& p, const ModelSummary& model);

// Read / write under the current group of `settings`.
void loadMethodParameters(QSettings& settings, MethodParameters& p);
void saveMethodParameters(QSettings& settings, const MethodParameters& p);

} // namespace moewb::gui
