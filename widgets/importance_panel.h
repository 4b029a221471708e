// The importance heatmap with its metric switch: keeps every metric's layers x experts table, so
// switching is instant and rows stream in for all metrics at once.
#pragma once
#include <QWidget>
#include <array>
#include <vector>

class QCheckBox;
class QComboBox;

namespace moewb::widgets {

class HeatmapView;

class ImportancePanel : public QWidget {
    Q_OBJECT
public:
    enum Metric { RemovalLoss, SelectionFrequency, MeanGateWeight, SoftmaxMass, MetricCount };

    explicit ImportancePanel(QWidget* parent = nullptr);

    void reset(const QStringList& layerLabels, int experts);
    // One layer's values for every metric (each of size `experts`; NaN = no value).
    void setRow(int row, const std::array<std::vector<double>, MetricCount>& values);
    void setMarked(const QSet<QPair<int, int>>& cells);
    void setMetric(Metric metric);
    Metric metric() const { return m_metric; }
    static QString metricName(Metric metric);

    HeatmapView* heatmap() const { return m_heatmap; }

Q_SIGNALS:
    void cellClicked(int row, int column);

private:
    void redraw();

    QComboBox* m_metricBox = nullptr;
    QCheckBox* m_logBox = nullptr;
    HeatmapView* m_heatmap = nullptr;
    Metric m_metric = RemovalLoss;
    QStringList m_labels;
    int m_experts = 0;
    std::array<std::vector<std::vector<double>>, MetricCount> m_tables; // [metric][row] -> values
};

} // namespace moewb::widgets
