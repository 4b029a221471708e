// Genetic-search convergence: best / mean / worst fitness per generation for one layer, growing as
// generations arrive. Keeps every layer's history, so switching the selected layer is instant.
// "Compare layers" overlays every searched layer's best fitness relative to its generation 0 (layers'
// losses differ by orders of magnitude, so absolute curves would flatten all but one), each curve
// labelled with its layer at its last point (a legend of 24-60 layers would not fit a dock), the
// selected layer drawn thicker.
#pragma once
#include <QTimer>
#include <QWidget>
#include <map>
#include <vector>

class QCheckBox;
class QCustomPlot;
class QCPGraph;
class QCPItemText;

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
    // Overlay of every layer's best fitness / its generation-0 value (the check box above the plot).
    void setCompareLayers(bool on);
    bool compareLayers() const { return m_compare; }
    QCheckBox* compareToggle() const { return m_compareBox; }
    // The overlay's graph of `layer` and the label at its end (nullptr: none drawn).
    QCPGraph* layerGraph(int layer) const;
    QCPItemText* layerLabel(int layer) const;

private:
    struct Curve {
        std::vector<double> generation, best, mean, worst;
    };
    void redraw();
    void redrawOverlay();
    void scheduleReplot();

    QCustomPlot* m_plot = nullptr;
    QCPGraph* m_best = nullptr;
    QCPGraph* m_mean = nullptr;
    QCPGraph* m_worst = nullptr;
    QCheckBox* m_compareBox = nullptr;
    QTimer m_replotTimer;
    std::map<int, Curve> m_curves;
    std::map<int, QCPGraph*> m_layerGraphs; // the overlay's, one per layer
    std::map<int, QCPItemText*> m_layerLabels; // their end labels
    int m_layer = -1;
    bool m_dirty = false;
    bool m_compare = false;
};

} // namespace moewb::widgets
