// Layer Drop / Block Drop scores as bars (issue #16): one bar per decoder layer with its mean cosine
// similarity between the residual stream before and after the MoE sublayer (Layer Drop) or the
// block (Block Drop); the layers the plan drops are highlighted, and each bar carries its value.
// Layers without a score (dense layers for Layer Drop: NaN) have no bar.
#pragma once
#include <QTimer>
#include <QWidget>
#include <vector>

class QCustomPlot;
class QCPBars;

namespace moewb::widgets {

class SimilarityChart : public QWidget {
    Q_OBJECT
public:
    explicit SimilarityChart(QWidget* parent = nullptr);

    // `labels[i]` names bar i; `dropped` holds bar indices. `title` says what was measured.
    void setData(const QString& title, const QStringList& labels, const std::vector<double>& scores,
        const std::vector<int>& dropped);
    void clear();
    int bars() const { return static_cast<int>(m_scores.size()); }
    double score(int index) const; // NaN outside or without a score
    bool isDropped(int index) const;
    QString title() const { return m_title; }
    QCustomPlot* plot() const { return m_plot; }

private:
    void rebuild();

    QCustomPlot* m_plot = nullptr;
    QCPBars* m_kept = nullptr;
    QCPBars* m_dropped = nullptr;
    QTimer m_replotTimer;
    QString m_title;
    QStringList m_labels;
    std::vector<double> m_scores;
    std::vector<int> m_droppedIndices;
};

} // namespace moewb::widgets
