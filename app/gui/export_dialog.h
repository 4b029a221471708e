// File ▸ Export compressed model…: output folder, plan, kind (auto / standard / extended / dense),
// dtype, shard size; the deployability report (which runtimes load the folder, size, layers) is
// refreshed on the worker thread whenever a choice changes, before anything is written; Export writes
// on the worker thread with a progress bar and Cancel, then shows the reload check's result.
// The dialog never blocks the GUI thread.
#pragma once
#include "app/gui/export_types.h"

#include <QDialog>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QTextBrowser;
class QTimer;

namespace moewb::gui {

class Worker;

class ExportDialog : public QDialog {
    Q_OBJECT
public:
    // `folder`: the initial output folder (may be empty).
    ExportDialog(Worker* worker, const QString& folder, QWidget* parent = nullptr);

    ExportSettings settings() const;
    void setSettings(const ExportSettings& settings); // also asks for a new report
    // Test hook: pretend the disk has this much room (core's freeBytesOverride).
    void setFreeBytesOverride(std::optional<quint64> bytes);

    void refreshReport(); // asks the worker for the report of the current choices (debounced)
    void startExport(); // the Export button
    bool exporting() const { return m_exportJob != 0; }
    const ExportSummary& report() const { return m_report; } // the latest report (preview)
    const ExportSummary& result() const { return m_result; } // the latest export's result

    QLineEdit* folderEdit() const { return m_folder; }
    QComboBox* planCombo() const { return m_plan; }
    QComboBox* kindCombo() const { return m_kind; }
    QComboBox* dtypeCombo() const { return m_dtype; }
    QDoubleSpinBox* shardSpin() const { return m_shard; }
    QCheckBox* replaceCheck() const { return m_replace; }
    QPushButton* exportButton() const { return m_export; }
    QPushButton* cancelButton() const { return m_cancel; }
    QProgressBar* progressBar() const { return m_progress; }
    QTextBrowser* reportView() const { return m_reportView; }
    QLabel* resultLabel() const { return m_resultLabel; }

Q_SIGNALS:
    void reportReady(); // a report (or its refusal) is shown
    void exportDone(bool ok); // written and verified (true), failed or cancelled (false)

protected:
    void reject() override; // Close/Escape cancels a running export instead of closing

private:
    void chooseFolder();
    void requestReport();
    void onPreviewed(int job, const ExportSummary& summary);
    void onFinished(int job, const ExportSummary& summary);
    void onJobEnded(int job, bool cancelled);
    void showReport(const ExportSummary& s);
    void showResult(const ExportSummary& s);
    void setRunning(bool running);
    void updateExportButton();

    Worker* m_worker;
    QLineEdit* m_folder = nullptr;
    QComboBox* m_plan = nullptr;
    QComboBox* m_kind = nullptr;
    QComboBox* m_dtype = nullptr;
    QDoubleSpinBox* m_shard = nullptr;
    QCheckBox* m_replace = nullptr;
    QCheckBox* m_verify = nullptr;
    QTextBrowser* m_reportView = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_stage = nullptr;
    QLabel* m_resultLabel = nullptr;
    QPushButton* m_export = nullptr;
    QPushButton* m_cancel = nullptr;
    QTimer* m_debounce = nullptr;
    int m_previewJob = 0; // the latest report asked for
    int m_exportJob = 0; // the running export (0: none)
    bool m_reportCurrent = false; // the shown report matches the current choices
    ExportSummary m_report, m_result;
    std::optional<quint64> m_freeBytes;
};

} // namespace moewb::gui
