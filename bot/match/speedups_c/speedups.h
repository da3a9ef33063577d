/* What the parts of the matcher's C speed-ups share. See module.c. */
#ifndef NEWSBOT_SPEEDUPS_H
#define NEWSBOT_SPEEDUPS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* A hint to load the cache line at p ahead of its use; no effect on results. */
#define PREFETCH(p) __builtin_prefetch((const void *)(p), 0, 1)

/* scan.c */
extern const char scan_doc[];
int scan_init(void);
PyObject *scan(PyObject *module, PyObject *text);

/* keytable.c */
extern PyTypeObject KeyTableType;

/* warm.c */
PyObject *warm(PyObject *module, PyObject *const *args, Py_ssize_t nargs);

/* groups.c */
PyObject *match_groups(PyObject *module, PyObject *const *args, Py_ssize_t nargs);

#endif
