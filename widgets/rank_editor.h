// Ranks of a low-rank plan: a layers x experts heatmap of each routed expert's rank, a table of every
// factored expert with its allocated rank and the rank used (typing one makes an override: amber,
// bold, Reset), and the parameter budget per layer (dense experts vs their factors, r(m+n) per
// matrix) with the total. A rank with r(m+n) >= m*n saves nothing (break-even): its row turns red.
// With several plans that factor experts, a combo above chooses which one is shown. Plain values only.
#pragma once
#include <QWidget>
#include <map>
#include <utility>
#include <vector>

class QComboBox;
class QCustomPlot;
class QLabel;
class QTableWidget;
class QTableWidgetItem;

namespace moewb::widgets {

class HeatmapView;

class RankEditor : public QWidget {
    Q_OBJECT
public:
    using Key = std::pair<int, int>; // (layer, expert)
    struct Layer {
        int layer = 0;
        qint64 m = 0, n = 0; // each expert matrix is m x n (hidden x expert width; 3 matrices an expert)
        std::map<int, int> ranks; // expert -> allocated rank (experts not listed stay dense)
        std::vector<int> denseExperts; // surviving experts that are not factored
    };

    explicit RankEditor(QWidget* parent = nullptr);

    void setLayers(const std::vector<Layer>& layers, int maxExperts); // keeps overrides still present
    void setPlanName(const QString& plan); // named in the summary line (empty: none)
    // Every plan that factors experts, by name; shows `preferred` when it is new (the plan a
    // decomposition just made), else keeps the plan the user chose while it is still there.
    void setPlans(const std::map<QString, std::vector<Layer>>& plans, const QString& preferred, int maxExperts);
    QString currentPlan() const { return m_plan; }
    QComboBox* planChooser() const { return m_planBox; }
    void setOverrides(const std::map<Key, int>& overrides);
    std::map<Key, int> overrides() const { return m_overrides; }
    void resetOverride(int layer, int expert);
    void resetAll();

    int rank(int layer, int expert) const; // override or allocation; -1: not factored
    bool isOverridden(int layer, int expert) const { return m_overrides.count({layer, expert}) > 0; }
    bool aboveBreakEven(int layer, int expert) const;
    // Parameters of layer row `row`'s routed experts: dense (3 m n each) and as stored (factored
    // experts 3 r (m + n), or dense when at or above break-even; dense experts 3 m n).
    qint64 denseParameters(int row) const;
    qint64 storedParameters(int row) const;
    int rows() const { return static_cast<int>(m_layers.size()); }
    QTableWidget* table() const { return m_table; }
    HeatmapView* heatmap() const { return m_heatmap; }
    QString summary() const;

Q_SIGNALS:
    void overridesChanged();

private:
    void rebuild();
    void onEdited(QTableWidgetItem* item);
    const Layer* layerOf(int layer) const;

    void showPlan(const QString& plan);

    std::vector<Layer> m_layers;
    QString m_plan;
    std::map<QString, std::vector<Layer>> m_plans;
    QString m_preferred; // the last `preferred` setPlans was given
    QComboBox* m_planBox = nullptr;
    QWidget* m_planRow = nullptr;
    int m_maxExperts = 0;
    std::map<Key, int> m_overrides;
    bool m_filling = false;
    HeatmapView* m_heatmap = nullptr;
    QTableWidget* m_table = nullptr;
    QCustomPlot* m_budget = nullptr;
    QLabel* m_summary = nullptr;
};

} // namespace moewb::widgets
