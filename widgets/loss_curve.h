// The live curve of a fine-tuning run (issue #18, LoRA recovery; #17's condensed-expert fine-tuning
// uses it too): the training loss of every step on the left axis and the held-out perplexity at the
// evaluated steps (step 0: before training) as points on the right axis. Points arrive one at a time.
#pragma once
#include <QTimer>
#include <QVector>
#include <QWidget>

class QCustomPlot;
class QCPGraph;

namespace moewb::widgets {

class LossCurve : public QWidget {
    Q_OBJECT
public:
    explicit LossCurve(QWidget* parent = nullptr);

    // Clears the curve; `lossLabel` names the loss on the left axis (empty: "Training loss (nats)").
    void start(const QString& title, long long steps, const QString& lossLabel = {});
    // `loss` or `perplexity` NaN: that series gets no point at this step.
    void addPoint(long long step, double loss, double perplexity);
    int lossPoints() const;
    int perplexityPoints() const;
    double lossAt(int index) const; // in the order added
    QString title() const { return m_title; }
    QString lossLabel() const;
    QCustomPlot* plot() const { return m_plot; }

private:
    void scheduleReplot();

    QCustomPlot* m_plot = nullptr;
    QCPGraph* m_loss = nullptr;
    QCPGraph* m_perplexity = nullptr;
    QTimer m_replotTimer;
    QString m_title;
    long long m_steps = 0;
    QVector<double> m_lossValues;
};

} // namespace moewb::widgets
