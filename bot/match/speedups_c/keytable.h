/* The KeyTable's layout and look-up, shared by keytable.c and pairs.c. See keytable.c. */
#ifndef NEWSBOT_KEYTABLE_H
#define NEWSBOT_KEYTABLE_H

#include "speedups.h"

#define EMPTY 0
#define DELETED 1
#define SEVERAL -2 /* keytable.SEVERAL: the value of a key in several classes */

typedef struct {
    Py_hash_t hash;
    PyObject *key; /* a str, owned; NULL when EMPTY or DELETED */
    long long value;
} Slot;

typedef struct {
    PyObject_HEAD
    Slot *slots;
    size_t mask;   /* capacity - 1; capacity is a power of two */
    size_t used;   /* live keys */
    size_t filled; /* live keys and DELETED slots: what probing walks past */
} KeyTable;

/* A table value is a class id, SEVERAL or another small int: -2**31..2**31-1, so that two class
 * ids make a pair `a << 32 | b` with no overflow. */
#define VALUE_MIN (-2147483647LL - 1)
#define VALUE_MAX 2147483647LL

/* The hash of a str key as its text: str's own hash even for a subclass, so that no Python code
 * (an overridden __hash__) runs while a look-up holds pointers into the table. */
static inline Py_hash_t
slot_hash(PyObject *key)
{
    Py_hash_t h = PyUnicode_Type.tp_hash(key);
    if (h == -1) {
        return -1;
    }
    return (h == EMPTY || h == DELETED) ? h + 2 : h;
}

/* Whether two str hold the same text (for a subclass too: its __eq__ is not consulted). */
static inline int
same_str(PyObject *a, PyObject *b)
{
    if (a == b) {
        return 1;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(a);
    int kind = PyUnicode_KIND(a);
    return n == PyUnicode_GET_LENGTH(b) && kind == PyUnicode_KIND(b) &&
           memcmp(PyUnicode_DATA(a), PyUnicode_DATA(b), (size_t)n * (size_t)kind) == 0;
}

/* The slot holding `key`, or NULL. */
static inline Slot *
find(KeyTable *t, PyObject *key, Py_hash_t h)
{
    for (size_t i = (size_t)h & t->mask;; i = (i + 1) & t->mask) {
        Slot *s = &t->slots[i];
        if (s->hash == EMPTY) {
            return NULL;
        }
        if (s->hash == h && same_str(s->key, key)) {
            return s;
        }
    }
}

/* Keys are str (a subclass is read as its text); -1 with TypeError for anything else. */
static inline int
check_key(PyObject *key)
{
    if (!PyUnicode_Check(key)) {
        PyErr_SetString(PyExc_TypeError, "KeyTable keys are str");
        return -1;
    }
    return PyUnicode_READY(key);
}

/* `value` as a table value in *out: converted through __index__ (which may run Python code, so
 * callers convert before they look anything up); -1 with OverflowError where out of range. */
static inline int
table_value(PyObject *value, long long *out)
{
    PyObject *index = PyNumber_Index(value);
    if (index == NULL) {
        return -1;
    }
    int overflow;
    long long v = PyLong_AsLongLongAndOverflow(index, &overflow);
    Py_DECREF(index);
    if (v == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (overflow || v < VALUE_MIN || v > VALUE_MAX) {
        PyErr_SetString(PyExc_OverflowError, "a KeyTable value is an int in -2**31..2**31-1");
        return -1;
    }
    *out = v;
    return 0;
}

/* The slot holding `key` in *found (NULL where it is absent); -1 on error (a key not a str). */
static inline int
locate(KeyTable *t, PyObject *key, Slot **found)
{
    if (check_key(key) < 0) {
        return -1;
    }
    Py_hash_t h = slot_hash(key);
    if (h == -1) {
        return -1;
    }
    *found = find(t, key, h);
    return 0;
}

/* The value of `key`, or -1 where it is absent (a stored -1 reads the same: callers ask only
 * whether it is a class, ≥ 0); -1 with the error set on error. */
static inline long long
value_of(KeyTable *t, PyObject *key)
{
    Slot *s;
    if (locate(t, key, &s) < 0) {
        return -1;
    }
    return s == NULL ? -1 : s->value;
}

PyObject *KeyTable_odd_pairs(KeyTable *t, PyObject *const *args, Py_ssize_t nargs);
PyObject *KeyTable_adjacent(KeyTable *t, PyObject *const *args, Py_ssize_t nargs);

#endif
