/* warm(table, ids): prefetch table[i] for each i in ids (the list's slot, then the object).
 *
 * A hint, with no effect on results: the matcher calls it before a Python loop over the same
 * items, so that their cache misses are taken together here instead of one after another there.
 *
 * The ids are converted first (an __index__ may run Python code, which may change `table`), and
 * the table's items and size are read after that, when no Python code runs any more.
 */
#include "speedups.h"

PyObject *
warm(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || !PyList_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "warm(table: list, ids)");
        return NULL;
    }
    PyObject *seq = PySequence_Tuple(args[1]);
    if (seq == NULL) {
        return NULL;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(seq);
    Py_ssize_t *ids = PyMem_Malloc(((size_t)n + 1) * sizeof(Py_ssize_t));
    if (ids == NULL) {
        Py_DECREF(seq);
        return PyErr_NoMemory();
    }
    Py_ssize_t m = 0;
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *item = PyTuple_GET_ITEM(seq, k);
        if (!PyLong_Check(item) && !PyIndex_Check(item)) {
            PyErr_SetString(PyExc_TypeError, "warm() expects a sequence of ints");
            goto error;
        }
        PyObject *index = PyNumber_Index(item);
        int overflow = 0;
        long long i = index == NULL ? -1 : PyLong_AsLongLongAndOverflow(index, &overflow);
        Py_XDECREF(index);
        if (i == -1 && PyErr_Occurred()) {
            goto error;
        }
        if (!overflow && i >= 0 && i <= PY_SSIZE_T_MAX) { /* out of range: passed over */
            ids[m++] = (Py_ssize_t)i;
        }
    }
    PyObject **table = ((PyListObject *)args[0])->ob_item;
    Py_ssize_t size = PyList_GET_SIZE(args[0]);
    for (int stage = 0; stage < 2; stage++) {
        for (Py_ssize_t k = 0; k < m; k++) {
            Py_ssize_t i = ids[k];
            if (i >= size) {
                continue;
            }
            if (stage == 0) {
                PREFETCH(&table[i]);
            }
            else {
                PREFETCH(table[i]);
                PREFETCH((const char *)table[i] + 64);
            }
        }
    }
    PyMem_Free(ids);
    Py_DECREF(seq);
    Py_RETURN_NONE;
error:
    PyMem_Free(ids);
    Py_DECREF(seq);
    return NULL;
}
