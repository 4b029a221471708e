// Edit ▸ Preferences: language (from the next start), LibTorch threads, compute device (the CPU or
// each CUDA device this build sees), the default calibration settings of new runs and what Run ▸
// Apply & evaluate measures on (held-out text, windows, multiple-choice tasks).
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
    QSpinBox *m_evalWindows = nullptr, *m_evalLength = nullptr, *m_evalQuestions = nullptr;
    QLineEdit *m_calibration = nullptr, *m_evalText = nullptr, *m_evalTasks = nullptr;
    QLabel* m_restartNote = nullptr;
};

} // namespace moewb::gui
