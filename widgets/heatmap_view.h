// Layers x experts heatmap (importance, routing statistics), filled row by row while a job runs.
// Takes plain values; repaints at most ~25 times a second however fast rows arrive.
#pragma once
#include <QSet>
#include <QTimer>
#include <QWidget>
#include <vector>

class QCustomPlot;
class QCPColorMap;
class QCPColorScale;
class QCPItemText;
class QCPItemRect;

namespace moewb::widgets {

class HeatmapView : public QWidget {
    Q_OBJECT
public:
    explicit HeatmapView(QWidget* parent = nullptr);

    // Clears the map and sizes it: one row per layer label, `experts` columns.
    void reset(const QStringList& layerLabels, int experts, const QString& metricName);
    // Sets one layer's values (size = experts; NaN = no value yet).
    void setRow(int row, const std::vector<double>& values);
    // Marks (row, expert) cells, e.g. the experts a plan removes.
    void setMarked(const QSet<QPair<int, int>>& cells);
    const QSet<QPair<int, int>>& marked() const { return m_marked; }
    // Logarithmic colour scale (for losses spanning decades); non-positive values are left blank.
    void setLogScale(bool on);
    bool logScale() const { return m_log; }
    // Outlines the selected cell (column -1: the whole row; row -1: none).
    void setSelected(int row, int column);

    int rows() const { return m_rows; }
    int columns() const { return m_columns; }
    int filledRows() const;
    double value(int row, int column) const;
    // Text the tooltip shows for a cell (exposed for tests).
    QString cellText(int row, int column) const;
    QCustomPlot* plot() const { return m_plot; }

Q_SIGNALS:
    void cellClicked(int row, int column);

private:
    void scheduleReplot();
    void rebuildMarks();
    bool cellAt(const QPoint& pos, int* row, int* column) const;
    bool eventFilter(QObject* watched, QEvent* event) override;

    QCustomPlot* m_plot = nullptr;
    QCPColorMap* m_map = nullptr;
    QCPColorScale* m_scale = nullptr;
    QTimer m_replotTimer;
    QStringList m_labels;
    QString m_metric;
    bool m_log = false;
    int m_rows = 0;
    int m_columns = 0;
    std::vector<double> m_values; // row-major, NaN where empty
    std::vector<char> m_filled;
    QSet<QPair<int, int>> m_marked;
    QList<QCPItemText*> m_markItems;
    QCPItemRect* m_selection = nullptr;
};

} // namespace moewb::widgets
