// The spin boxes and combo helpers of MethodForm's files (method_form.cpp, method_form_condense.cpp).
#pragma once
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QSpinBox>

namespace moewb::gui::form {

inline QSpinBox* spin(QWidget* parent, const char* name, int low, int high)
{
    auto* box = new QSpinBox(parent);
    box->setObjectName(QLatin1String(name));
    box->setRange(low, high);
    return box;
}

inline QDoubleSpinBox* real(QWidget* parent, const char* name, double low, double high, double step)
{
    auto* box = new QDoubleSpinBox(parent);
    box->setObjectName(QLatin1String(name));
    box->setRange(low, high);
    box->setSingleStep(step);
    box->setDecimals(3);
    return box;
}

inline void select(QComboBox* box, const QString& value)
{
    const int i = box->findData(value);
    if (i >= 0)
        box->setCurrentIndex(i);
    else if (box->isEditable())
        box->setEditText(value);
}

inline QString value(const QComboBox* box)
{
    if (box->isEditable()) {
        const int i = box->findText(box->currentText());
        return i >= 0 ? box->itemData(i).toString() : box->currentText().trimmed();
    }
    return box->currentData().toString();
}

} // namespace moewb::gui::form
