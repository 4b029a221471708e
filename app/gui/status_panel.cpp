#include "app/gui/status_panel.h"

#include "app/gui/model_tree.h"
#include "core/util/memory.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <cmath>

namespace moewb::gui {

StatusPanel::StatusPanel(QWidget* parent)
    : QWidget(parent)
{
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_stage = new QLabel(tr("Idle"), this);
    m_stage->setMinimumWidth(200);
    m_progress = new QProgressBar(this);
    m_progress->setRange(0, 1000);
    m_progress->setTextVisible(true);
    m_progress->setFormat(QStringLiteral("%p%"));
    m_progress->setFixedWidth(180);
    m_eta = new QLabel(this);
    m_eta->setMinimumWidth(90);
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setToolTip(tr("Stop the running job; the previous results stay"));
    m_device = new QLabel(this);
    m_memory = new QLabel(this);
    m_memory->setToolTip(
        tr("Memory the process uses (anonymous pages; mapped checkpoint files are not counted)"));
    layout->addWidget(m_stage);
    layout->addWidget(m_progress);
    layout->addWidget(m_eta);
    layout->addWidget(m_cancel);
    layout->addSpacing(12);
    layout->addWidget(m_device);
    layout->addSpacing(12);
    layout->addWidget(m_memory);
    connect(m_cancel, &QPushButton::clicked, this, &StatusPanel::cancelRequested);
    m_memoryTimer.setInterval(1000);
    connect(&m_memoryTimer, &QTimer::timeout, this, &StatusPanel::updateMemory);
    m_memoryTimer.start();
    updateMemory();
    setBusy(false);
}

void StatusPanel::setBusy(bool busy)
{
    m_cancel->setEnabled(busy);
    m_progress->setVisible(busy);
    m_eta->setVisible(busy);
    if (!busy)
        m_eta->clear();
}

void StatusPanel::setStage(const QString& stage)
{
    m_stage->setText(stage);
    m_stageClock.start();
    m_progress->setValue(0);
    m_eta->clear();
}

void StatusPanel::setProgress(double fraction)
{
    fraction = std::clamp(fraction, 0.0, 1.0);
    m_progress->setValue(static_cast<int>(std::lround(fraction * 1000)));
    const double elapsed = m_stageClock.isValid() ? m_stageClock.elapsed() / 1000.0 : 0.0;
    if (fraction > 0.02 && elapsed > 1.0 && fraction < 1.0) {
        const int left = static_cast<int>(std::lround(elapsed * (1.0 - fraction) / fraction));
        m_eta->setText(left >= 60
                ? tr("ETA %1 min %2 s").arg(left / 60).arg(left % 60, 2, 10, QLatin1Char('0'))
                : tr("ETA %1 s").arg(left));
    }
}

void StatusPanel::setDevice(const QString& device)
{
    m_device->setText(tr("Device: %1").arg(device));
}

QString StatusPanel::stage() const
{
    return m_stage->text();
}

QString StatusPanel::eta() const
{
    return m_eta->text();
}

void StatusPanel::updateMemory()
{
    m_memory->setText(tr("Memory: %1").arg(formatBytes(currentMemoryUsage().rssAnonBytes)));
}

} // namespace moewb::gui
