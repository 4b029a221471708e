#include "app/gui/model_tree.h"

#include <QHeaderView>
#include <QLocale>

namespace moewb::gui {

namespace {
constexpr int kLayerRole = Qt::UserRole;
constexpr int kExpertRole = Qt::UserRole + 1;
} // namespace

QString formatCount(int64_t value)
{
    const double v = static_cast<double>(value);
    if (value >= 1'000'000'000)
        return QStringLiteral("%1 B").arg(v / 1e9, 0, 'f', 2);
    if (value >= 1'000'000)
        return QStringLiteral("%1 M").arg(v / 1e6, 0, 'f', 2);
    if (value >= 10'000)
        return QStringLiteral("%1 k").arg(v / 1e3, 0, 'f', 1);
    return QString::number(value);
}

QString formatBytes(int64_t bytes)
{
    return QLocale().formattedDataSize(bytes, 1, QLocale::DataSizeTraditionalFormat);
}

ModelTree::ModelTree(QWidget* parent)
    : QTreeWidget(parent)
{
    setColumnCount(3);
    setHeaderLabels({tr("Component"), tr("Parameters"), tr("Bytes")});
    header()->setSectionResizeMode(0, QHeaderView::Stretch);
    header()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
    header()->setSectionResizeMode(2, QHeaderView::ResizeToContents);
    header()->setStretchLastSection(false);
    setUniformRowHeights(true);
    connect(this, &QTreeWidget::currentItemChanged, this, [this](QTreeWidgetItem* item) {
        if (m_updating || !item || item->data(0, kLayerRole).toInt() < 0)
            return;
        Q_EMIT layerSelected(item->data(0, kLayerRole).toInt(), item->data(0, kExpertRole).toInt());
    });
}

QTreeWidgetItem* ModelTree::addRow(
    QTreeWidgetItem* parent, const QString& name, int64_t parameters, int64_t bytes, int layer, int expert)
{
    auto* item = parent ? new QTreeWidgetItem(parent) : new QTreeWidgetItem(this);
    item->setText(0, name);
    if (parameters > 0) {
        item->setText(1, formatCount(parameters));
        item->setToolTip(1, QLocale().toString(static_cast<qlonglong>(parameters)));
    }
    if (bytes > 0)
        item->setText(2, formatBytes(bytes));
    item->setTextAlignment(1, Qt::AlignRight | Qt::AlignVCenter);
    item->setTextAlignment(2, Qt::AlignRight | Qt::AlignVCenter);
    item->setData(0, kLayerRole, layer);
    item->setData(0, kExpertRole, expert);
    return item;
}

void ModelTree::setModel(const ModelSummary& model)
{
    m_updating = true;
    clear();
    auto* root = addRow(nullptr, model.name, model.parameters, model.bytes, -1, -1);
    root->setToolTip(0, QStringLiteral("%1\n%2").arg(model.architecture, model.path));
    for (const auto& layer : model.layers) {
        auto* item = addRow(root,
            layer.moe ? tr("Layer %1 (MoE)").arg(layer.index) : tr("Layer %1 (dense)").arg(layer.index),
            layer.attentionParameters + layer.mlpParameters, layer.attentionBytes + layer.mlpBytes,
            layer.index, -1);
        item->setToolTip(0,
            layer.moe
                ? tr("MoE layer: %1 routed experts, top-%2 routing").arg(layer.experts.size()).arg(layer.topK)
                : tr("Dense layer"));
        addRow(item, tr("Attention"), layer.attentionParameters, layer.attentionBytes, layer.index, -1);
        if (!layer.moe) {
            addRow(item, tr("Dense MLP"), layer.mlpParameters, layer.mlpBytes, layer.index, -1);
            continue;
        }
        auto* moe = addRow(item, tr("MoE block"), layer.mlpParameters, layer.mlpBytes, layer.index, -1);
        moe->setToolTip(0, tr("%1 routed experts, top-%2 routing").arg(layer.experts.size()).arg(layer.topK));
        if (layer.routerParameters > 0)
            addRow(moe, tr("Router"), layer.routerParameters, layer.routerBytes, layer.index, -1);
        if (layer.sharedParameters > 0)
            addRow(moe, tr("Shared experts"), layer.sharedParameters, layer.sharedBytes, layer.index, -1);
        for (const auto& e : layer.experts)
            addRow(moe, tr("Expert %1").arg(e.id), e.parameters, e.bytes, layer.index, e.id);
    }
    root->setExpanded(true);
    m_updating = false;
}

void ModelTree::selectLayer(int layer, int expert)
{
    QTreeWidgetItem* root = topLevelItem(0);
    if (!root)
        return;
    for (int i = 0; i < root->childCount(); ++i) {
        QTreeWidgetItem* item = root->child(i);
        if (item->data(0, kLayerRole).toInt() != layer)
            continue;
        QTreeWidgetItem* target = item;
        if (expert >= 0)
            for (int c = 0; c < item->childCount(); ++c)
                for (int e = 0; e < item->child(c)->childCount(); ++e)
                    if (item->child(c)->child(e)->data(0, kExpertRole).toInt() == expert)
                        target = item->child(c)->child(e);
        m_updating = true;
        item->setExpanded(true); // show the layer's parts and, for MoE layers, its experts
        for (int c = 0; c < item->childCount(); ++c)
            item->child(c)->setExpanded(item->child(c)->childCount() > 0);
        setCurrentItem(target);
        scrollToItem(target);
        m_updating = false;
        return;
    }
}

} // namespace moewb::gui
