// The status bar's permanent part: current stage, progress bar with ETA, Cancel, compute device and
// the process's memory in use (RssAnon: mapped checkpoint pages are not counted).
#pragma once
#include <QElapsedTimer>
#include <QTimer>
#include <QWidget>

class QLabel;
class QProgressBar;
class QPushButton;

namespace moewb::gui {

class StatusPanel : public QWidget {
    Q_OBJECT
public:
    explicit StatusPanel(QWidget* parent = nullptr);

    void setBusy(bool busy);
    void setStage(const QString& stage);
    void setProgress(double fraction);
    void setDevice(const QString& device);
    QString stage() const;
    QString eta() const;
    QPushButton* cancelButton() const { return m_cancel; }

Q_SIGNALS:
    void cancelRequested();

private:
    void updateMemory();

    QLabel* m_stage = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_eta = nullptr;
    QPushButton* m_cancel = nullptr;
    QLabel* m_device = nullptr;
    QLabel* m_memory = nullptr;
    QTimer m_memoryTimer;
    QElapsedTimer m_stageClock;
};

} // namespace moewb::gui
