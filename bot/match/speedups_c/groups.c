/* match_groups: the twin of groups.match_groups_reference (which says what it does).
 *
 * The groups filed under a story's classes are scattered over memory; here every list slot,
 * then every shelf, then every shelf's items are prefetched for the whole story before any is
 * tested, so their cache misses overlap.
 */
#include "speedups.h"


/* Whether no item of the tuple `items` is in `present` (-1 on error). */
static int
disjoint(PyObject *present, PyObject *items)
{
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(items); i++) {
        int has = PySet_Contains(present, PyTuple_GET_ITEM(items, i));
        if (has != 0) {
            return has < 0 ? -1 : 0;
        }
    }
    return 1;
}

/* Whether every item of the tuple `items` is in `present` (-1 on error). */
static int
superset(PyObject *present, PyObject *items)
{
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(items); i++) {
        int has = PySet_Contains(present, PyTuple_GET_ITEM(items, i));
        if (has != 1) {
            return has;
        }
    }
    return 1;
}

/* A record is (entry, required, negative), two tuples of class ids. */
static int
check_record(PyObject *rec)
{
    if (!PyTuple_CheckExact(rec) || PyTuple_GET_SIZE(rec) != 3 ||
        !PyTuple_CheckExact(PyTuple_GET_ITEM(rec, 1)) ||
        !PyTuple_CheckExact(PyTuple_GET_ITEM(rec, 2))) {
        PyErr_SetString(PyExc_TypeError, "a group record is (entry, required, negative)");
        return -1;
    }
    return 0;
}

/* Append the records of the list `recs` that match to `out`; `all` tests `required` too. */
static int
take_records(PyObject *out, PyObject *recs, PyObject *present, int all)
{
    if (!PyList_Check(recs)) {
        PyErr_SetString(PyExc_TypeError, "a shelf of groups is a list");
        return -1;
    }
    for (Py_ssize_t j = 0; j < PyList_GET_SIZE(recs); j++) {
        PyObject *rec = PyList_GET_ITEM(recs, j);
        if (check_record(rec) < 0) {
            return -1;
        }
        int ok = all ? superset(present, PyTuple_GET_ITEM(rec, 1)) : 1;
        if (ok == 1) {
            ok = disjoint(present, PyTuple_GET_ITEM(rec, 2));
        }
        if (ok < 0 || (ok == 1 && PyList_Append(out, rec) < 0)) {
            return -1;
        }
    }
    return 0;
}

PyObject *
match_groups(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 5 || !PyList_Check(args[0]) || !PyList_Check(args[1]) ||
        !PyList_Check(args[2]) || !PyAnySet_Check(args[3])) {
        PyErr_SetString(PyExc_TypeError,
                        "match_groups(now: list, after: list, rest: list, present: set, ids)");
        return NULL;
    }
    PyObject *now = args[0], *after = args[1], *rest = args[2], *present = args[3];
    Py_ssize_t size = PyList_GET_SIZE(now);
    if (PyList_GET_SIZE(after) != size || PyList_GET_SIZE(rest) != size) {
        PyErr_SetString(PyExc_ValueError, "match_groups: the three lists differ in length");
        return NULL;
    }
    PyObject *seq = PySequence_Fast(args[4], "match_groups() expects a sequence of ints");
    if (seq == NULL) {
        return NULL;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    Py_ssize_t *ids = PyMem_Malloc(((size_t)n + 1) * sizeof(Py_ssize_t));
    PyObject *out = PyList_New(0);
    if (ids == NULL || out == NULL) {
        PyErr_NoMemory();
        goto error;
    }
    Py_ssize_t m = 0; /* the ids that have a slot */
    for (Py_ssize_t k = 0; k < n; k++) {
        Py_ssize_t i = PyLong_AsSsize_t(PySequence_Fast_GET_ITEM(seq, k));
        if (i == -1 && PyErr_Occurred()) {
            goto error;
        }
        if (i >= 0 && i < size) {
            ids[m++] = i;
            PREFETCH(&PyList_GET_ITEM(now, i));
            PREFETCH(&PyList_GET_ITEM(after, i));
            PREFETCH(&PyList_GET_ITEM(rest, i));
        }
    }
    PyObject *lists[3] = {now, after, rest};
    for (Py_ssize_t k = 0; k < m; k++) {
        for (int w = 0; w < 3; w++) {
            PyObject *shelf = PyList_GET_ITEM(lists[w], ids[k]);
            if (shelf != Py_None) {
                PREFETCH(shelf);
                PREFETCH((const char *)shelf + 64);
            }
        }
    }
    for (Py_ssize_t k = 0; k < m; k++) { /* the shelves' own arrays of items */
        PyObject *shelf = PyList_GET_ITEM(now, ids[k]);
        if (shelf != Py_None && PyList_Check(shelf)) {
            PREFETCH(((PyListObject *)shelf)->ob_item);
        }
        shelf = PyList_GET_ITEM(rest, ids[k]);
        if (shelf != Py_None && PyList_Check(shelf)) {
            PREFETCH(((PyListObject *)shelf)->ob_item);
        }
    }
    for (Py_ssize_t k = 0; k < m; k++) {
        Py_ssize_t i = ids[k];
        PyObject *shelf = PyList_GET_ITEM(now, i);
        if (shelf != Py_None && take_records(out, shelf, present, 0) < 0) {
            goto error;
        }
        shelf = PyList_GET_ITEM(after, i);
        if (shelf != Py_None) { /* other class → records that also need it */
            if (!PyDict_Check(shelf)) {
                PyErr_SetString(PyExc_TypeError, "an after-shelf is a dict");
                goto error;
            }
            if (PyDict_GET_SIZE(shelf) <= PySet_GET_SIZE(present)) { /* the smaller side */
                Py_ssize_t pos = 0;
                PyObject *other, *recs;
                while (PyDict_Next(shelf, &pos, &other, &recs)) {
                    int has = PySet_Contains(present, other);
                    if (has < 0 || (has == 1 && take_records(out, recs, present, 0) < 0)) {
                        goto error;
                    }
                }
            }
            else {
                PyObject *it = PyObject_GetIter(present), *other;
                if (it == NULL) {
                    goto error;
                }
                while ((other = PyIter_Next(it)) != NULL) {
                    PyObject *recs = PyDict_GetItemWithError(shelf, other);
                    Py_DECREF(other);
                    if ((recs == NULL && PyErr_Occurred()) ||
                        (recs != NULL && take_records(out, recs, present, 0) < 0)) {
                        Py_DECREF(it);
                        goto error;
                    }
                }
                Py_DECREF(it);
                if (PyErr_Occurred()) {
                    goto error;
                }
            }
        }
        shelf = PyList_GET_ITEM(rest, i);
        if (shelf != Py_None && take_records(out, shelf, present, 1) < 0) {
            goto error;
        }
    }
    /* the caller reads each matched entry next: its cache misses overlapped here */
    for (Py_ssize_t k = 0; k < PyList_GET_SIZE(out); k++) {
        PyObject *entry = PyTuple_GET_ITEM(PyList_GET_ITEM(out, k), 0);
        PREFETCH(entry);
        PREFETCH((const char *)entry + 64);
    }
    PyMem_Free(ids);
    Py_DECREF(seq);
    return out;
error:
    PyMem_Free(ids);
    Py_DECREF(seq);
    Py_XDECREF(out);
    return NULL;
}

