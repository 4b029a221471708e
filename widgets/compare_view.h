// Compare view: the original model next to one or more compressed plans, one bar chart per metric
// (perplexity, KL to the original, task accuracy, parameters, bytes, tokens/s) and a table with
// every value and its change against the original. Plain values; a variant without a metric shows
// no bar and "–" in the table.
#pragma once
#include <QString>
#include <QWidget>
#include <map>
#include <vector>

class QCustomPlot;
class QTableWidget;

namespace moewb::widgets {

class CompareView : public QWidget {
    Q_OBJECT
public:
    struct Variant {
        QString name; // "original" or the plan's name
        bool original = false;
        std::map<QString, double>
            metrics; // "perplexity", "kl", "acc:<task>", "params", "bytes", "tokens_per_s"
    };

    explicit CompareView(QWidget* parent = nullptr);

    void setVariants(const std::vector<Variant>& variants);
    const std::vector<Variant>& variants() const { return m_variants; }
    // The metrics shown, in display order (known ones first, then any accuracy columns).
    QStringList metricKeys() const { return m_keys; }
    QString metricTitle(const QString& key) const;
    QTableWidget* table() const { return m_table; }
    QCustomPlot* chart(const QString& key) const;

private:
    void rebuild();

    std::vector<Variant> m_variants;
    QStringList m_keys;
    QWidget* m_charts = nullptr;
    std::map<QString, QCustomPlot*> m_plots;
    QTableWidget* m_table = nullptr;
};

} // namespace moewb::widgets
