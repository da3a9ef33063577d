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

static inline Py_hash_t
slot_hash(PyObject *key)
{
    Py_hash_t h = PyObject_Hash(key);
    if (h == -1) {
        return -1;
    }
    return (h == EMPTY || h == DELETED) ? h + 2 : h;
}

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

static inline int
check_key(PyObject *key)
{
    if (!PyUnicode_CheckExact(key)) {
        PyErr_SetString(PyExc_TypeError, "KeyTable keys are str");
        return -1;
    }
    return PyUnicode_READY(key);
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
