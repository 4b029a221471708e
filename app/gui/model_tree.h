// The model dock: layers -> attention / MoE block (router, shared experts, experts) / dense MLP,
// with parameter counts and bytes as stored. Selecting an item selects its layer (and expert)
// everywhere; selectLayer() follows selections made in the views.
#pragma once
#include "app/gui/job_types.h"

#include <QTreeWidget>

namespace moewb::gui {

class ModelTree : public QTreeWidget {
    Q_OBJECT
public:
    explicit ModelTree(QWidget* parent = nullptr);

    void setModel(const ModelSummary& model);
    // Selects the layer's (or the expert's) item without emitting layerSelected.
    void selectLayer(int layer, int expert = -1);

Q_SIGNALS:
    void layerSelected(int layer, int expert); // expert -1: the layer itself

private:
    QTreeWidgetItem* addRow(QTreeWidgetItem* parent, const QString& name, int64_t parameters, int64_t bytes,
        int layer, int expert);
    bool m_updating = false;
};

// "1.23 M" / "4.5 k": parameter counts; "12.3 MiB": bytes.
QString formatCount(int64_t value);
QString formatBytes(int64_t bytes);

} // namespace moewb::gui
