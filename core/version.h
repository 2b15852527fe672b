/* SPDX-License-Identifier: MIT */
#ifndef MF_CORE_VERSION_H
#define MF_CORE_VERSION_H
#define MF_VERSION "0.1.0"
#endif
