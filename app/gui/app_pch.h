// Precompiled header of moewb_app (the GUI's windows and its LibTorch worker bridge): LibTorch's
// tensor API first (core/util/torch_pch.h), then the Qt modules every window uses. Qt's keyword
// macros are off in this target (QT_NO_KEYWORDS), so LibTorch's `slots` members stay intact.
#pragma once
#include "core/util/torch_pch.h"
#include <QtCore>
#include <QtGui>
#include <QtWidgets>
