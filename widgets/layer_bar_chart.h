// Layer importance as bars, next to each layer's pruning count P_l as a second bar on the right axis,
// so "important layers lose fewer experts" is visible at a glance.
#pragma once
#include <QTimer>
#include <QWidget>
#include <vector>

class QCustomPlot;
class QCPBars;

namespace moewb::widgets {

class LayerBarChart : public QWidget {
    Q_OBJECT
public:
    explicit LayerBarChart(QWidget* parent = nullptr);

    // Importance per layer (NaN = not yet known); counts may be empty until they are allocated.
    void setData(
        const QStringList& labels, const std::vector<double>& importance, const std::vector<int>& counts);
    void setImportance(int index, double value);
    void setSelected(int index);
    int bars() const { return static_cast<int>(m_importance.size()); }
    double importance(int index) const;
    int count(int index) const;
    QCustomPlot* plot() const { return m_plot; }

Q_SIGNALS:
    void barClicked(int index);

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    void rebuild();
    void fitTicks();
    void scheduleReplot();

    QCustomPlot* m_plot = nullptr;
    QCPBars* m_bars = nullptr;
    QCPBars* m_countBars = nullptr;
    QTimer m_replotTimer;
    QStringList m_labels;
    std::vector<double> m_importance;
    std::vector<int> m_counts;
    int m_selected = -1;
};

} // namespace moewb::widgets
