// The KT block search as a table: one row per block of T MoE layers, the candidate chosen for each
// layer (0 = that layer's best set), the chosen combination's loss and the loss of taking every
// layer's best set, and how many of the K^T combinations were run.
#pragma once
#include <QTableWidget>
#include <vector>

namespace moewb::widgets {

class BlockTable : public QTableWidget {
    Q_OBJECT
public:
    explicit BlockTable(QWidget* parent = nullptr);

    void clearBlocks();
    void addBlock(const std::vector<int>& layers, const std::vector<int>& chosen, double chosenLoss,
        double bestSetsLoss, int combinations);
};

} // namespace moewb::widgets
