#include "widgets/pruning_count_table.h"

#include <QHeaderView>
#include <QToolButton>

namespace moewb::widgets {

namespace {

enum Column { kLayer, kExperts, kAllocated, kCount, kReset, kColumns };

const QColor kOverride(255, 226, 160);
const QColor kInvalid(246, 180, 180);

QTableWidgetItem* readOnly(const QString& text)
{
    auto* it = new QTableWidgetItem(text);
    it->setFlags(Qt::ItemIsSelectable | Qt::ItemIsEnabled);
    it->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return it;
}

} // namespace

PruningCountTable::PruningCountTable(QWidget* parent)
    : QTableWidget(0, kColumns, parent)
{
    setHorizontalHeaderLabels({tr("Layer"), tr("Experts (top-k)"), tr("Allocated"), tr("Prune"), QString()});
    horizontalHeaderItem(kAllocated)->setToolTip(tr("P_l from the pruning ratio and the layer importance"));
    horizontalHeaderItem(kCount)->setToolTip(
        tr("Experts this layer loses; type a number to fix it by hand (an override)"));
    verticalHeader()->setVisible(false);
    horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    horizontalHeader()->setStretchLastSection(false);
    setSelectionBehavior(QAbstractItemView::SelectRows);
    setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed
        | QAbstractItemView::AnyKeyPressed);
    connect(this, &QTableWidget::itemChanged, this, &PruningCountTable::onEdited);
}

void PruningCountTable::setRows(const std::vector<Row>& rows)
{
    m_rows = rows;
    std::map<int, int> kept;
    for (const auto& r : m_rows)
        if (const auto it = m_overrides.find(r.layer); it != m_overrides.end())
            kept.insert(*it);
    m_overrides = kept;
    rebuild();
}

void PruningCountTable::setAllocated(const std::vector<int>& layers, const std::vector<int>& counts)
{
    for (auto& r : m_rows)
        r.allocated = -1;
    for (size_t i = 0; i < layers.size() && i < counts.size(); ++i)
        if (const int row = rowOfLayer(layers[i]); row >= 0)
            m_rows[static_cast<size_t>(row)].allocated = counts[i];
    rebuild();
}

void PruningCountTable::setOverrides(const std::map<int, int>& overrides)
{
    if (overrides == m_overrides)
        return;
    m_overrides = overrides;
    rebuild();
}

void PruningCountTable::resetOverride(int layer)
{
    if (m_overrides.erase(layer) == 0)
        return;
    rebuild();
    Q_EMIT overridesChanged();
}

void PruningCountTable::resetAll()
{
    if (m_overrides.empty())
        return;
    m_overrides.clear();
    rebuild();
    Q_EMIT overridesChanged();
}

int PruningCountTable::rowOfLayer(int layer) const
{
    for (size_t i = 0; i < m_rows.size(); ++i)
        if (m_rows[i].layer == layer)
            return static_cast<int>(i);
    return -1;
}

int PruningCountTable::countAt(int row) const
{
    const auto& r = m_rows.at(static_cast<size_t>(row));
    const auto it = m_overrides.find(r.layer);
    return it != m_overrides.end() ? it->second : r.allocated;
}

bool PruningCountTable::isOverridden(int row) const
{
    return m_overrides.count(m_rows.at(static_cast<size_t>(row)).layer) > 0;
}

bool PruningCountTable::isInvalid(int row) const
{
    const auto& r = m_rows.at(static_cast<size_t>(row));
    const int count = countAt(row);
    return isOverridden(row) && (count < 0 || r.experts - count < r.topK);
}

void PruningCountTable::rebuild()
{
    m_filling = true;
    setRowCount(static_cast<int>(m_rows.size()));
    for (int i = 0; i < rowCount(); ++i) {
        const Row& r = m_rows[static_cast<size_t>(i)];
        setItem(i, kLayer, readOnly(QString::number(r.layer)));
        setItem(i, kExperts, readOnly(tr("%1 (top-%2)").arg(r.experts).arg(r.topK)));
        setItem(i, kAllocated,
            readOnly(r.allocated >= 0 ? QString::number(r.allocated) : QStringLiteral("\u2013")));
        const int count = countAt(i);
        auto* edit = new QTableWidgetItem;
        edit->setData(Qt::EditRole, count >= 0 ? QVariant(count) : QVariant(QString()));
        edit->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        const bool overridden = isOverridden(i);
        if (overridden) {
            QFont bold = edit->font();
            bold.setBold(true);
            edit->setFont(bold);
            edit->setBackground(isInvalid(i) ? kInvalid : kOverride);
            edit->setToolTip(isInvalid(i)
                    ? tr("Leaves %1 experts, fewer than top-%2: at most %3 can go")
                          .arg(r.experts - count)
                          .arg(r.topK)
                          .arg(r.experts - r.topK)
                    : tr("Fixed by hand (the allocation says %1); Reset returns to the allocation")
                          .arg(r.allocated >= 0 ? QString::number(r.allocated) : tr("nothing yet")));
        }
        setItem(i, kCount, edit);
        if (overridden) {
            auto* reset = new QToolButton(this);
            reset->setText(tr("Reset"));
            reset->setToolTip(tr("Use the allocated count again"));
            reset->setAutoRaise(true);
            const int layer = r.layer;
            connect(reset, &QToolButton::clicked, this, [this, layer] { resetOverride(layer); });
            setCellWidget(i, kReset, reset);
        } else {
            removeCellWidget(i, kReset);
            setItem(i, kReset, readOnly(QString()));
        }
    }
    m_filling = false;
}

void PruningCountTable::onEdited(QTableWidgetItem* item)
{
    if (m_filling || item->column() != kCount)
        return;
    const int row = item->row();
    bool ok = false;
    const int value = item->data(Qt::EditRole).toInt(&ok);
    const int layer = m_rows.at(static_cast<size_t>(row)).layer;
    if (!ok || item->data(Qt::EditRole).toString().isEmpty())
        m_overrides.erase(layer);
    else
        m_overrides[layer] = value;
    // Rebuilding from inside itemChanged would delete the item being edited: do it afterwards.
    QMetaObject::invokeMethod(
        this, [this] { rebuild(); }, Qt::QueuedConnection);
    Q_EMIT overridesChanged();
}

} // namespace moewb::widgets
