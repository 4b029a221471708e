// The live curve of a fine-tuning run (issue #18, LoRA recovery; #17's condensed-expert fine-tuning
// uses it too): the training loss of every step on the left axis, the held-out perplexity at the
// evaluated steps (step 0: before training) as points on the right axis, optionally the held-out
// value of the training loss as points on the left axis (Recover's distillation: the value that
// selects the adapters), and once the run has ended a dashed vertical line "kept: step N" at the
// step whose adapters were kept. Points arrive one at a time. Plain values only (no LibTorch).
#pragma once
#include <QPointF>
#include <QTimer>
#include <QVector>
#include <QWidget>

#include <limits>

class QCustomPlot;
class QCPGraph;
class QCPItemStraightLine;
class QCPItemText;

namespace moewb::widgets {

class LossCurve : public QWidget {
    Q_OBJECT
public:
    explicit LossCurve(QWidget* parent = nullptr);

    // Clears the curve and the kept marker; `lossLabel` names the loss on the left axis (empty:
    // "Training loss (nats)"). `heldOutLossName` non-empty: the held-out values passed to addPoint
    // are drawn as points on the left axis under that legend name; empty: they are not drawn.
    void start(const QString& title, long long steps, const QString& lossLabel = {},
        const QString& heldOutLossName = {});
    // A NaN value gets no point at this step (`heldOutLoss`: also ignored unless start() named it).
    void addPoint(long long step, double loss, double perplexity,
        double heldOutLoss = std::numeric_limits<double>::quiet_NaN());
    // Marks `step` as the one whose adapters were kept (a dashed vertical line labelled
    // "kept: step N"); a negative step removes the marker.
    void markKept(long long step);

    // For tests.
    int lossPoints() const;
    int perplexityPoints() const;
    double lossAt(int index) const; // in the order added
    QVector<QPointF> lossSeries() const; // (step, loss) by step
    QVector<QPointF> heldOutLoss() const; // (step, value) by step; empty when not drawn
    long long keptStep() const { return m_kept; } // -1: no marker
    QString keptLabel() const; // the marker's text; empty without one
    QString title() const { return m_title; }
    QString lossLabel() const;
    QCustomPlot* plot() const { return m_plot; }

private:
    void scheduleReplot();
    void placeKeptLabel();

    QCustomPlot* m_plot = nullptr;
    QCPGraph* m_loss = nullptr;
    QCPGraph* m_perplexity = nullptr;
    QCPGraph* m_heldOutLoss = nullptr;
    QCPItemStraightLine* m_keptLine = nullptr;
    QCPItemText* m_keptText = nullptr;
    QTimer m_replotTimer;
    QString m_title;
    long long m_steps = 0;
    long long m_kept = -1;
    QVector<double> m_lossValues;
};

} // namespace moewb::widgets
