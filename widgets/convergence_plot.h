// Genetic-search convergence: best / mean / worst fitness per generation for one layer, growing as
// generations arrive. Keeps every layer's history, so switching the selected layer is instant.
#pragma once
#include <QTimer>
#include <QWidget>
#include <map>
#include <vector>

class QCustomPlot;
class QCPGraph;

namespace moewb::widgets {

class ConvergencePlot : public QWidget {
    Q_OBJECT
public:
    explicit ConvergencePlot(QWidget* parent = nullptr);

    void clear();
    void addPoint(int layer, int generation, double best, double mean, double worst);
    // Shows `layer`'s curves (-1: none).
    void showLayer(int layer);
    int shownLayer() const { return m_layer; }
    // Generations received for `layer`.
    int points(int layer) const;
    std::vector<int> layers() const;
    QCustomPlot* plot() const { return m_plot; }

private:
    struct Curve {
        std::vector<double> generation, best, mean, worst;
    };
    void redraw();
    void scheduleReplot();

    QCustomPlot* m_plot = nullptr;
    QCPGraph* m_best = nullptr;
    QCPGraph* m_mean = nullptr;
    QCPGraph* m_worst = nullptr;
    QTimer m_replotTimer;
    std::map<int, Curve> m_curves;
    int m_layer = -1;
    bool m_dirty = false;
};

} // namespace moewb::widgets
