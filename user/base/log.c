// SPDX-License-Identifier: BSD-3-Clause
#include "base/log.h"

bool log_verbose;
