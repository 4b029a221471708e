// Per-layer pruning counts P_l: the allocated count of every MoE layer, editable. A count typed in
// becomes an override (amber, bold, with a Reset button); a count that would leave a layer fewer
// experts than its top-k turns red. Plain values only (no model, no LibTorch).
#pragma once
#include <QTableWidget>
#include <map>
#include <vector>

namespace moewb::widgets {

class PruningCountTable : public QTableWidget {
    Q_OBJECT
public:
    struct Row {
        int layer = 0; // decoder layer index
        int experts = 0; // E_l
        int topK = 0; // k_l
        int allocated = -1; // P_l from the allocation (-1: not allocated yet)
    };

    explicit PruningCountTable(QWidget* parent = nullptr);

    void setRows(const std::vector<Row>& rows); // keeps overrides of layers still present
    void setAllocated(const std::vector<int>& layers, const std::vector<int>& counts);
    void setOverrides(const std::map<int, int>& overrides);
    std::map<int, int> overrides() const { return m_overrides; }
    void resetOverride(int layer);
    void resetAll();

    // For tests and views: the count shown, whether it is an override, whether it is invalid.
    int countAt(int row) const;
    bool isOverridden(int row) const;
    bool isInvalid(int row) const;
    int rowOfLayer(int layer) const;
    const std::vector<Row>& rows() const { return m_rows; }

Q_SIGNALS:
    void overridesChanged();

private:
    void rebuild();
    void onEdited(QTableWidgetItem* item);

    std::vector<Row> m_rows;
    std::map<int, int> m_overrides;
    bool m_filling = false;
};

} // namespace moewb::widgets
