#include "app/gui/export_dialog.h"

#include "app/gui/worker.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QTextBrowser>
#include <QTimer>
#include <QVBoxLayout>

namespace moewb::gui {

namespace {

QString mib(qint64 bytes) { return QString::number(static_cast<double>(bytes) / 1048576.0, 'f', 2); }
QString millions(qint64 n) { return QString::number(static_cast<double>(n) / 1e6, 'f', 3); }

QString bulletList(const QStringList& items)
{
    QString html = QStringLiteral("<ul style=\"margin-top:0\">");
    for (const auto& item : items)
        html += QStringLiteral("<li>%1</li>").arg(item.toHtmlEscaped());
    return html + QStringLiteral("</ul>");
}

} // namespace

ExportDialog::ExportDialog(Worker* worker, const QString& folder, QWidget* parent)
    : QDialog(parent)
    , m_worker(worker)
{
    setWindowTitle(tr("Export compressed model"));
    auto* layout = new QVBoxLayout(this);
    auto* form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);

    auto* folderRow = new QHBoxLayout;
    m_folder = new QLineEdit(folder, this);
    m_folder->setPlaceholderText(tr("A new or empty folder"));
    auto* browse = new QPushButton(tr("&Browse\u2026"), this);
    connect(browse, &QPushButton::clicked, this, &ExportDialog::chooseFolder);
    folderRow->addWidget(m_folder, 1);
    folderRow->addWidget(browse);
    auto* folderLabel = new QLabel(tr("Output &folder:"), this);
    folderLabel->setBuddy(m_folder);
    form->addRow(folderLabel, folderRow);
    m_replace = new QCheckBox(tr("&Replace the folder's contents"), this);
    m_replace->setToolTip(tr("Needed when the folder is not empty; the model's own folder and the session "
                             "file are never replaced"));
    form->addRow(QString(), m_replace);

    m_plan = new QComboBox(this);
    m_plan->setToolTip(tr("The session's plan to write"));
    form->addRow(tr("&Plan:"), m_plan);

    m_kind = new QComboBox(this);
    m_kind->addItem(tr("Automatic (standard when possible)"), QStringLiteral("auto"));
    m_kind->addItem(tr("Standard (stock transformers)"), QStringLiteral("standard"));
    m_kind->addItem(tr("Extended (per-layer structure, smallest)"), QStringLiteral("extended"));
    m_kind->addItem(tr("Dense (factors multiplied back, stock loaders)"), QStringLiteral("dense"));
    form->addRow(tr("&Kind:"), m_kind);

    m_dtype = new QComboBox(this);
    m_dtype->addItem(tr("As the source model"), QStringLiteral("auto"));
    m_dtype->addItem(QStringLiteral("bf16"), QStringLiteral("bf16"));
    m_dtype->addItem(QStringLiteral("fp16"), QStringLiteral("fp16"));
    m_dtype->addItem(QStringLiteral("fp32"), QStringLiteral("fp32"));
    form->addRow(tr("&Data type:"), m_dtype);

    m_shard = new QDoubleSpinBox(this);
    m_shard->setRange(0, 1000);
    m_shard->setDecimals(1);
    m_shard->setSingleStep(0.5);
    m_shard->setValue(5);
    m_shard->setSuffix(QStringLiteral(" GB"));
    m_shard->setSpecialValueText(tr("One file"));
    m_shard->setToolTip(tr("Largest weights file (1 GB = 10^9 bytes, as transformers counts); 0: one file"));
    form->addRow(tr("&Shard size:"), m_shard);

    m_verify = new QCheckBox(tr("&Verify: reload the folder and compare logits before keeping it"), this);
    m_verify->setChecked(true);
    form->addRow(QString(), m_verify);
    layout->addLayout(form);

    auto* reportTitle = new QLabel(tr("<b>Deployability report</b> (worked out before anything is written)"), this);
    layout->addWidget(reportTitle);
    m_reportView = new QTextBrowser(this);
    m_reportView->setMinimumHeight(220);
    m_reportView->setOpenLinks(false);
    layout->addWidget(m_reportView, 1);

    m_stage = new QLabel(this);
    layout->addWidget(m_stage);
    m_progress = new QProgressBar(this);
    m_progress->setRange(0, 1000);
    m_progress->setValue(0);
    m_progress->setTextVisible(false);
    layout->addWidget(m_progress);
    m_resultLabel = new QLabel(this);
    m_resultLabel->setWordWrap(true);
    m_resultLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_resultLabel);

    auto* buttons = new QDialogButtonBox(this);
    m_export = buttons->addButton(tr("&Export"), QDialogButtonBox::AcceptRole);
    m_cancel = buttons->addButton(tr("&Cancel export"), QDialogButtonBox::ActionRole);
    auto* close = buttons->addButton(QDialogButtonBox::Close);
    close->setText(tr("C&lose"));
    layout->addWidget(buttons);
    connect(m_export, &QPushButton::clicked, this, &ExportDialog::startExport);
    connect(m_cancel, &QPushButton::clicked, m_worker, &Worker::cancel);
    connect(close, &QPushButton::clicked, this, &ExportDialog::reject);

    m_debounce = new QTimer(this);
    m_debounce->setSingleShot(true);
    m_debounce->setInterval(250);
    connect(m_debounce, &QTimer::timeout, this, &ExportDialog::requestReport);
    const auto changed = [this] { refreshReport(); };
    connect(m_folder, &QLineEdit::textChanged, this, changed);
    connect(m_replace, &QCheckBox::toggled, this, changed);
    connect(m_plan, &QComboBox::currentIndexChanged, this, changed);
    connect(m_kind, &QComboBox::currentIndexChanged, this, changed);
    connect(m_dtype, &QComboBox::currentIndexChanged, this, changed);
    connect(m_shard, &QDoubleSpinBox::valueChanged, this, changed);
    connect(m_verify, &QCheckBox::toggled, this, [this] { updateExportButton(); });

    connect(m_worker, &Worker::exportPreviewed, this, &ExportDialog::onPreviewed);
    connect(m_worker, &Worker::exportFinished, this, &ExportDialog::onFinished);
    connect(m_worker, &Worker::jobCancelled, this, [this](int job) { onJobEnded(job, true); });
    connect(m_worker, &Worker::jobFailed, this, [this](int job, const QString& message) {
        if (job == m_exportJob) {
            ExportSummary failed = m_report;
            failed.error = message;
            onFinished(job, failed);
        } else if (job == m_previewJob) {
            ExportSummary failed;
            failed.error = message;
            onPreviewed(job, failed);
        }
    });
    connect(m_worker, &Worker::progressChanged, this, [this](double f) {
        if (m_exportJob != 0)
            m_progress->setValue(static_cast<int>(f * 1000));
    });
    connect(m_worker, &Worker::stageChanged, this, [this](const QString& stage) {
        if (m_exportJob != 0)
            m_stage->setText(stage);
    });

    setRunning(false);
    m_reportView->setHtml(tr("<i>Preparing the report\u2026</i>"));
    resize(640, 720);
    requestReport();
}

ExportSettings ExportDialog::settings() const
{
    ExportSettings s;
    s.target = m_folder->text().trimmed();
    s.plan = m_plan->currentText();
    s.kind = m_kind->currentData().toString();
    s.dtype = m_dtype->currentData().toString();
    s.shardBytes = static_cast<quint64>(m_shard->value() * 1e9 + 0.5);
    s.force = m_replace->isChecked();
    s.verify = m_verify->isChecked();
    s.freeBytesOverride = m_freeBytes;
    return s;
}

void ExportDialog::setSettings(const ExportSettings& s)
{
    const QSignalBlocker b1(m_folder), b2(m_plan), b3(m_kind), b4(m_dtype), b5(m_shard), b6(m_replace);
    m_folder->setText(s.target);
    if (!s.plan.isEmpty()) {
        if (m_plan->findText(s.plan) < 0)
            m_plan->addItem(s.plan);
        m_plan->setCurrentText(s.plan);
    }
    m_kind->setCurrentIndex(std::max(0, m_kind->findData(s.kind)));
    m_dtype->setCurrentIndex(std::max(0, m_dtype->findData(s.dtype)));
    m_shard->setValue(static_cast<double>(s.shardBytes) / 1e9);
    m_replace->setChecked(s.force);
    m_verify->setChecked(s.verify);
    m_freeBytes = s.freeBytesOverride;
    refreshReport();
}

void ExportDialog::setFreeBytesOverride(std::optional<quint64> bytes)
{
    m_freeBytes = bytes;
    refreshReport();
}

void ExportDialog::refreshReport()
{
    m_reportCurrent = false;
    updateExportButton();
    m_debounce->start();
}

void ExportDialog::requestReport()
{
    if (m_exportJob != 0)
        return; // asked again when the export ends
    m_reportCurrent = false;
    m_previewJob = m_worker->previewExport(settings());
    updateExportButton();
}

void ExportDialog::chooseFolder()
{
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Folder to write the model into"),
        m_folder->text().isEmpty() ? QDir::homePath() : m_folder->text());
    if (!dir.isEmpty())
        m_folder->setText(dir);
}

void ExportDialog::onPreviewed(int job, const ExportSummary& s)
{
    if (job != m_previewJob || m_debounce->isActive())
        return; // superseded by newer choices
    if (!s.plans.isEmpty()) {
        const QSignalBlocker block(m_plan);
        const QString current = s.plan.isEmpty() ? m_plan->currentText() : s.plan;
        m_plan->clear();
        m_plan->addItems(s.plans);
        m_plan->setCurrentText(current);
    }
    m_report = s;
    m_reportCurrent = true;
    showReport(s);
    updateExportButton();
    Q_EMIT reportReady();
}

void ExportDialog::showReport(const ExportSummary& s)
{
    QString html;
    if (!s.error.isEmpty()) {
        html += QStringLiteral("<p style=\"color:#b00020\"><b>%1</b><br>%2</p>")
                    .arg(tr("Cannot export with these choices:"),
                        s.error.toHtmlEscaped().replace(QLatin1Char('\n'), QStringLiteral("<br>")));
        if (!s.previewed) {
            m_reportView->setHtml(html);
            return;
        }
    }
    const QString kindName = s.kind == QLatin1String("standard") ? tr("standard")
        : s.kind == QLatin1String("extended")                     ? tr("extended")
                                                                  : tr("dense");
    html += QStringLiteral("<p>")
        + tr("Plan <b>%1</b> as the <b>%2</b> format, %3: %4 tensors in %5 file(s).")
              .arg(s.plan.toHtmlEscaped(), kindName, s.dtype)
              .arg(s.tensors)
              .arg(s.shards)
        + QStringLiteral("</p>");
    const double change = s.sourceParameters > 0
        ? 100.0 * static_cast<double>(s.parameters - s.sourceParameters) / static_cast<double>(s.sourceParameters)
        : 0.0;
    html += QStringLiteral("<table cellspacing=\"0\" cellpadding=\"2\">");
    const auto row = [&](const QString& name, const QString& value) {
        html += QStringLiteral("<tr><td>%1&nbsp;&nbsp;</td><td>%2</td></tr>").arg(name, value);
    };
    row(tr("Layers"), tr("%1 of %2").arg(s.layers).arg(s.sourceLayers));
    row(tr("Parameters"),
        tr("%1 M of %2 M (%3%)")
            .arg(millions(s.parameters), millions(s.sourceParameters),
                QString::asprintf("%+.1f", change)));
    row(tr("Weights"), tr("%1 MiB (source %2 MiB)").arg(mib(s.weightBytes), mib(s.sourceBytes)));
    row(tr("On disk"), tr("about %1 MiB").arg(mib(s.totalBytes)));
    html += QStringLiteral("</table>");
    html += QStringLiteral("<p><b>%1</b></p><table cellspacing=\"0\" cellpadding=\"2\">").arg(tr("Loads in:"));
    for (const auto& r : s.runtimes)
        html += QStringLiteral("<tr><td>%1&nbsp;&nbsp;</td><td style=\"color:%2\"><b>%3</b>&nbsp;&nbsp;</td><td>%4</td></tr>")
                    .arg(r.runtime.toHtmlEscaped(), r.loads ? QStringLiteral("#1b7a1b") : QStringLiteral("#b00020"),
                        r.loads ? tr("yes") : tr("no"), r.how.toHtmlEscaped());
    html += QStringLiteral("</table>");
    if (!s.notStandard.isEmpty() && s.kind != QLatin1String("standard"))
        html += QStringLiteral("<p>%1</p>").arg(tr("Not the standard format because:")) + bulletList(s.notStandard);
    if (s.kind == QLatin1String("extended"))
        html += QStringLiteral("<p>%1</p>")
                    .arg(s.notDense.isEmpty() ? tr("The dense kind (stock loaders, no saving from factors) is "
                                                   "also possible.")
                                              : tr("The dense kind is not possible:"))
            + (s.notDense.isEmpty() ? QString() : bulletList(s.notDense));
    if (!s.notes.isEmpty())
        html += QStringLiteral("<p>%1</p>").arg(tr("Notes:")) + bulletList(s.notes);
    m_reportView->setHtml(html);
}

void ExportDialog::startExport()
{
    if (m_exportJob != 0 || !m_reportCurrent || !m_report.error.isEmpty())
        return;
    m_result = ExportSummary();
    m_resultLabel->clear();
    m_progress->setValue(0);
    m_exportJob = m_worker->exportModel(settings());
    setRunning(true);
}

void ExportDialog::onFinished(int job, const ExportSummary& s)
{
    if (job != m_exportJob)
        return;
    m_exportJob = 0;
    m_result = s;
    setRunning(false);
    showResult(s);
    m_reportCurrent = false; // the folder is no longer what the report saw; a change asks again
    updateExportButton();
    Q_EMIT exportDone(s.written && s.error.isEmpty() && (!s.verified || s.verificationPassed));
}

void ExportDialog::showResult(const ExportSummary& s)
{
    if (!s.error.isEmpty()) {
        m_progress->setValue(0);
        m_stage->setVisible(true);
        m_stage->setText(tr("Export failed; nothing was written."));
        m_resultLabel->setStyleSheet(QStringLiteral("color:#b00020"));
        m_resultLabel->setText(s.error);
        return;
    }
    m_progress->setValue(1000);
    m_progress->setVisible(true);
    m_stage->setVisible(true);
    m_stage->setText(tr("Done"));
    QString text = tr("Wrote %1 file(s), %2 MiB, in %3 s to %4.")
                       .arg(s.files)
                       .arg(mib(s.bytesWritten))
                       .arg(s.writeSeconds, 0, 'f', 2)
                       .arg(s.target);
    if (s.roundedTensors > 0)
        text += QLatin1Char(' ') + tr("%1 tensor(s) rounded to %2.").arg(s.roundedTensors).arg(s.dtype);
    if (s.verified) {
        const qint64 perBlock = s.verificationBlocks > 0 ? s.verificationTokens / s.verificationBlocks : 0;
        text += QLatin1Char('\n')
            + (s.verificationPassed ? tr("Verified: the reloaded folder reproduces the model's logits on %1 "
                                         "(%2 \u00d7 %3 tokens): max |difference| %4, tolerance %5; %6 "
                                         "against the model in memory.")
                                    : tr("Verification FAILED on %1 (%2 \u00d7 %3 tokens): max |difference| %4, "
                                         "tolerance %5; %6 against the model in memory."))
                  .arg(s.verificationData)
                  .arg(s.verificationBlocks)
                  .arg(perBlock)
                  .arg(s.maxDiff, 0, 'g', 3)
                  .arg(s.tolerance, 0, 'g', 3)
                  .arg(s.maxDiffInMemory, 0, 'g', 3);
    } else {
        text += QLatin1Char('\n') + tr("Not verified (the reload check was switched off).");
    }
    m_resultLabel->setStyleSheet(s.verified && !s.verificationPassed ? QStringLiteral("color:#b00020")
                                                                     : QStringLiteral("color:#1b7a1b"));
    m_resultLabel->setText(text);
}

void ExportDialog::onJobEnded(int job, bool cancelled)
{
    if (job == m_exportJob && cancelled) {
        m_exportJob = 0;
        m_result = ExportSummary();
        m_result.error = tr("Cancelled");
        setRunning(false);
        m_progress->setValue(0);
        m_stage->setVisible(true);
        m_stage->setText(tr("Cancelled; nothing was written."));
        m_resultLabel->clear();
        refreshReport();
        Q_EMIT exportDone(false);
    } else if (job == m_previewJob && cancelled && !m_debounce->isActive()) {
        m_previewJob = 0;
        refreshReport(); // cancelled with another job: ask again
    }
}

void ExportDialog::setRunning(bool running)
{
    for (QWidget* w : {static_cast<QWidget*>(m_folder), static_cast<QWidget*>(m_plan),
             static_cast<QWidget*>(m_kind), static_cast<QWidget*>(m_dtype), static_cast<QWidget*>(m_shard),
             static_cast<QWidget*>(m_replace), static_cast<QWidget*>(m_verify)})
        w->setEnabled(!running);
    m_cancel->setVisible(running);
    m_progress->setVisible(running || m_progress->value() > 0);
    m_stage->setVisible(running || !m_stage->text().isEmpty());
    updateExportButton();
}

void ExportDialog::updateExportButton()
{
    m_export->setEnabled(m_exportJob == 0 && m_reportCurrent && m_report.error.isEmpty() && m_report.previewed);
}

void ExportDialog::reject()
{
    if (m_exportJob != 0) {
        m_worker->cancel();
        return;
    }
    QDialog::reject();
}

} // namespace moewb::gui
