#include "widgets/block_table.h"

#include <QHeaderView>
#include <cmath>

namespace moewb::widgets {

namespace {

QTableWidgetItem* makeItem(const QString& text, bool number = false)
{
    auto* it = new QTableWidgetItem(text);
    it->setFlags(Qt::ItemIsSelectable | Qt::ItemIsEnabled);
    if (number)
        it->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return it;
}

QString join(const std::vector<int>& values)
{
    QStringList parts;
    for (int v : values)
        parts << QString::number(v);
    return parts.join(QStringLiteral(", "));
}

QString loss(double v)
{
    return std::isfinite(v) ? QString::number(v, 'f', 4) : QStringLiteral("\u2013");
}

} // namespace

BlockTable::BlockTable(QWidget* parent)
    : QTableWidget(0, 6, parent)
{
    setHorizontalHeaderLabels({tr("Block"), tr("MoE layers"), tr("Chosen candidates"), tr("Chosen loss"),
        tr("Best-sets loss"), tr("Combinations")});
    horizontalHeaderItem(2)->setToolTip(
        tr("Candidate index per layer; 0 is the layer's best set from the genetic search"));
    horizontalHeaderItem(4)->setToolTip(
        tr("Loss when every layer takes its own best set (what the block search improves on)"));
    horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    horizontalHeader()->setStretchLastSection(false);
    verticalHeader()->setVisible(false);
    setAlternatingRowColors(true);
    setSelectionBehavior(QAbstractItemView::SelectRows);
    setEditTriggers(QAbstractItemView::NoEditTriggers);
}

void BlockTable::clearBlocks()
{
    setRowCount(0);
}

void BlockTable::addBlock(const std::vector<int>& layers, const std::vector<int>& chosen, double chosenLoss,
    double bestSetsLoss, int combinations)
{
    const int row = rowCount();
    insertRow(row);
    setItem(row, 0, makeItem(QString::number(row), true));
    setItem(row, 1, makeItem(join(layers)));
    setItem(row, 2, makeItem(join(chosen)));
    setItem(row, 3, makeItem(loss(chosenLoss), true));
    setItem(row, 4, makeItem(loss(bestSetsLoss), true));
    setItem(row, 5, makeItem(QString::number(combinations), true));
}

} // namespace moewb::widgets
