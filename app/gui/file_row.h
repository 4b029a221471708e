// A line edit for a file path with a "…" button that opens a file dialog: the row used by the
// Parameters dock, Preferences and Recover. Strings come translated from the caller's context.
#pragma once
#include <QString>

class QHBoxLayout;
class QLineEdit;
class QWidget;

namespace moewb::gui {

// Creates `edit` (placeholder: what an empty field means) beside its browse button; `filter` is the
// file dialog's name filter. The caller adds the returned layout to its form.
QHBoxLayout* fileChooserRow(QWidget* parent, QLineEdit*& edit, const QString& placeholder,
    const QString& dialogTitle, const QString& filter, const QString& toolTip = {});

} // namespace moewb::gui
