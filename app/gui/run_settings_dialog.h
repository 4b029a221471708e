// Settings of an analysis / search run: calibration text and size, pruning ratio, genetic search and
// KT block search parameters (the same as `moe-compress analyze` / `search` take).
#pragma once
#include "app/gui/job_types.h"

#include <QDialog>

class QCheckBox;
class QDoubleSpinBox;
class QLineEdit;
class QSpinBox;

namespace moewb::gui {

class RunSettingsDialog : public QDialog {
    Q_OBJECT
public:
    RunSettingsDialog(const RunSettings& settings, QWidget* parent = nullptr);
    RunSettings settings() const;

private:
    RunSettings m_settings;
    QLineEdit* m_calibration = nullptr;
    QSpinBox *m_samples = nullptr, *m_length = nullptr, *m_population = nullptr, *m_generations = nullptr;
    QSpinBox *m_candidates = nullptr, *m_blockSize = nullptr, *m_seed = nullptr;
    QDoubleSpinBox* m_ratio = nullptr;
    QCheckBox* m_forceGenetic = nullptr;
};

} // namespace moewb::gui
