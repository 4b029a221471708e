// Edit ▸ Preferences: language (from the next start), LibTorch threads, compute device (the CPU or
// each CUDA device this build sees) and the default calibration settings of new runs.
#pragma once
#include "app/gui/preferences.h"

#include <QDialog>

class QComboBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace moewb::gui {

class PreferencesDialog : public QDialog {
    Q_OBJECT
public:
    explicit PreferencesDialog(const Preferences& preferences, QWidget* parent = nullptr);
    Preferences preferences() const;
    QComboBox* languageBox() const { return m_language; }

private:
    Preferences m_preferences;
    QComboBox *m_language = nullptr, *m_device = nullptr;
    QSpinBox *m_threads = nullptr, *m_samples = nullptr, *m_length = nullptr, *m_seed = nullptr;
    QLineEdit* m_calibration = nullptr;
    QLabel* m_restartNote = nullptr;
};

} // namespace moewb::gui
