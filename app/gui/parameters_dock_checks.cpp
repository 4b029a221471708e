// ParametersDock: the model and allocation it checks against, the inline problems and the line
// saying which stages the next run recomputes.
#include "app/gui/parameters_dock.h"

#include "app/gui/method_form.h"
#include "widgets/pruning_count_table.h"

#include <QAbstractSpinBox>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSet>

namespace moewb::gui {

void ParametersDock::setModel(const ModelSummary& model)
{
    const bool sameModel = model.path == m_model.path;
    m_model = model;
    std::vector<widgets::PruningCountTable::Row> rows;
    for (const auto& layer : model.layers)
        if (layer.moe)
            rows.push_back({layer.index, static_cast<int>(layer.experts.size()), layer.topK, -1});
    m_filling = true;
    if (!sameModel)
        m_counts->setOverrides({}); // overrides name layers of one model
    m_counts->setRows(rows);
    m_filling = false;
    refreshChecks();
}

void ParametersDock::setAllocation(const AllocationInfo& allocation, bool takeOverrides)
{
    m_filling = true;
    m_counts->setAllocated(allocation.layers, allocation.counts);
    if (takeOverrides) {
        std::map<int, int> overrides;
        for (size_t i = 0; i < allocation.layers.size() && i < allocation.overridden.size(); ++i)
            if (allocation.overridden[i] && i < allocation.counts.size())
                overrides[allocation.layers[i]] = allocation.counts[i];
        m_counts->setOverrides(overrides);
    }
    m_filling = false;
    refreshChecks();
    if (takeOverrides)
        Q_EMIT settingsChanged(settings());
}

void ParametersDock::setLastRun(const std::optional<RunSettings>& settings)
{
    m_lastRun = settings;
    refreshChecks();
}

QString ParametersDock::nextRunText() const
{
    const RunSettings s = settings();
    if (isExtraMethod(s.method))
        return tr("Next run: %1 on the calibration data; its plan goes into the session.").arg(m_method->currentText());
    if (!m_lastRun)
        return tr("Next run: every stage (nothing computed yet).");
    if (calibrationKey(s) != calibrationKey(*m_lastRun))
        return tr("Next run: calibration pass, importance, allocation, genetic search and KT block search.");
    if (allocationKey(s) != allocationKey(*m_lastRun))
        return tr("Next run: allocation, genetic search and KT block search (importance is reused).");
    if (geneticKey(s) != geneticKey(*m_lastRun))
        return tr("Next run: genetic search and KT block search (importance and counts are reused).");
    if (blockKey(s) != blockKey(*m_lastRun))
        return tr("Next run: only the KT block search (everything else is reused).");
    return tr("Next run: nothing to recompute; the results shown are current.");
}

void ParametersDock::refreshChecks()
{
    const RunSettings s = settings();
    m_issues = checkParameters(s, m_model);
    QStringList lines;
    QSet<QString> bad;
    for (const auto& issue : m_issues) {
        const bool error = issue.severity == ParameterIssue::Severity::Error;
        if (error)
            bad.insert(issue.field);
        lines << QStringLiteral("<span style=\"color:%1\">%2 %3</span>")
                     .arg(error ? QStringLiteral("#b00020") : QStringLiteral("#8a5a00"),
                         error ? QStringLiteral("\u2716") : QStringLiteral("\u26a0"),
                         issue.message.toHtmlEscaped());
    }
    m_problems->setText(lines.join(QStringLiteral("<br>")));
    m_problems->setVisible(!lines.isEmpty());
    // The fields with errors get a red frame.
    const QString red = QStringLiteral("QAbstractSpinBox { border: 2px solid #b00020; }");
    for (auto* box : findChildren<QAbstractSpinBox*>()) {
        const QString name = box->objectName();
        const bool wrong
            = bad.contains(name) || (name == QLatin1String("T") && bad.contains(QStringLiteral("K")));
        box->setStyleSheet(wrong ? red : QString());
    }
    for (auto* edit : findChildren<QLineEdit*>()) // the form's own (not a spin box's or combo's editor)
        if (!edit->objectName().isEmpty() && !edit->objectName().startsWith(QLatin1String("qt_")))
            edit->setStyleSheet(bad.contains(edit->objectName())
                    ? QStringLiteral("QLineEdit { border: 2px solid #b00020; }")
                    : QString());
    m_nextRun->setText(nextRunText());
    m_run->setEnabled(!hasErrors(m_issues));
    m_run->setToolTip(hasErrors(m_issues)
            ? tr("Fix the parameters marked in red first")
            : tr("Run all, recomputing only the stages whose parameters changed"));
}

} // namespace moewb::gui
