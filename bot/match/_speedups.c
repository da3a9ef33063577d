/* The matcher's hot loops in C, each the twin of a pure-Python reference in the package.
 *
 * Optional: setup.py builds this module where a C compiler exists, and the package falls back to
 * the Python reference where it does not (`bot/match/text.py` says which is in use). The tests
 * compare both on the same inputs (tests/test_match_speedups.py), so the Python code stays the
 * specification and this file only has to agree with it.
 *
 * Only the public C API of CPython is used: the module builds unchanged for 3.11 onwards.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* `[^\W_]` in Python's re for str patterns: sre's SRE_UNI_IS_ALNUM, which is
 * Py_UNICODE_ISALNUM. That is up to four table look-ups a character, so ASCII and the Cyrillic
 * letters (U+0400..U+0481, U+048A..U+04FF: all letters) are answered here first. */
static inline int
is_word_char(Py_UCS4 ch)
{
    if (ch < 0x80) {
        return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
    }
    if (ch >= 0x400 && ch <= 0x4FF) {
        return ch <= 0x481 || ch >= 0x48A;
    }
    return Py_UNICODE_ISALNUM(ch);
}
#define IS_WORD_CHAR(ch) is_word_char(ch)
#define APOSTROPHE 0x27

/* text.FOLDABLE: ё Ё, Latin letters that carry diacritics, combining marks. */
static inline int
is_foldable(Py_UCS4 ch)
{
    return ch == 0x451 || ch == 0x401 || (ch >= 0xC0 && ch <= 0x24F) ||
           (ch >= 0x1E00 && ch <= 0x1EFF) || (ch >= 0x300 && ch <= 0x36F);
}

/* The case fold of the characters of most English and Ukrainian/Russian news words (ASCII
 * letters and digits, the apostrophe, Cyrillic Ѐ..џ, Ґ ґ), where it is one character and equals
 * str.casefold's; 0 for any other character, whose word goes to str.casefold itself. */
static inline Py_UCS4
simple_fold(Py_UCS4 ch)
{
    if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == APOSTROPHE ||
        (ch >= 0x430 && ch <= 0x45F) || ch == 0x491) {
        return ch;
    }
    if (ch >= 'A' && ch <= 'Z') {
        return ch + 32;
    }
    if (ch >= 0x410 && ch <= 0x42F) { /* А..Я */
        return ch + 32;
    }
    if (ch >= 0x400 && ch <= 0x40F) { /* Ѐ..Џ: Ё, Є, І, Ї, ... */
        return ch + 80;
    }
    if (ch == 0x490) { /* Ґ */
        return 0x491;
    }
    return 0;
}

/* text.may_have_other_keys: a folded word that ends in "s" or has a FOLDABLE character. */
static int
may_have_other_keys(PyObject *word)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(word);
    int kind = PyUnicode_KIND(word);
    const void *data = PyUnicode_DATA(word);
    if (n > 0 && PyUnicode_READ(kind, data, n - 1) == 's') {
        return 1;
    }
    if (PyUnicode_IS_ASCII(word)) {
        return 0;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (is_foldable(PyUnicode_READ(kind, data, i))) {
            return 1;
        }
    }
    return 0;
}

static PyObject *casefold_name; /* interned "casefold" */

/* The folded form of text[start:end] (a new reference), and the written form in *written when
 * it differs (a new reference; NULL when the word is written folded already). */
static PyObject *
fold_token(PyObject *text, int kind, const void *data, Py_ssize_t start, Py_ssize_t end,
           PyObject **written)
{
    int simple = 1, changed = 0;
    Py_UCS4 maxchar = 0;
    for (Py_ssize_t i = start; i < end; i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        Py_UCS4 f = simple_fold(ch);
        if (f == 0) {
            simple = 0;
            break;
        }
        changed |= f != ch;
        if (f > maxchar) {
            maxchar = f;
        }
    }
    *written = NULL;
    PyObject *token = PyUnicode_Substring(text, start, end);
    if (token == NULL || (simple && !changed)) {
        return token;
    }
    PyObject *folded;
    if (simple) {
        Py_ssize_t n = end - start;
        folded = PyUnicode_New(n, maxchar);
        if (folded == NULL) {
            Py_DECREF(token);
            return NULL;
        }
        int fkind = PyUnicode_KIND(folded);
        void *fdata = PyUnicode_DATA(folded);
        for (Py_ssize_t i = 0; i < n; i++) {
            PyUnicode_WRITE(fkind, fdata, i, simple_fold(PyUnicode_READ(kind, data, start + i)));
        }
        *written = token;
        return folded;
    }
    folded = PyObject_CallMethodNoArgs(token, casefold_name);
    if (folded == NULL) {
        Py_DECREF(token);
        return NULL;
    }
    int same = PyUnicode_Compare(folded, token);
    if (same == -1 && PyErr_Occurred()) {
        Py_DECREF(token);
        Py_DECREF(folded);
        return NULL;
    }
    if (same == 0) {
        Py_DECREF(token);
    }
    else {
        *written = token;
    }
    return folded;
}

PyDoc_STRVAR(scan_doc,
"scan(text) -> (words, shown, foldable)\n\n"
"The twin of text.scan_reference: the case-folded words of prepared `text` in order, each\n"
"folded word mapped to its first occurrence written otherwise, and the words that may have\n"
"keys other than themselves (text.may_have_other_keys).");

static PyObject *
scan(PyObject *Py_UNUSED(module), PyObject *text)
{
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "scan() expects a str");
        return NULL;
    }
    if (PyUnicode_READY(text) < 0) {
        return NULL;
    }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    PyObject *words = PyList_New(0);
    PyObject *shown = PyDict_New();
    PyObject *special = PyList_New(0);
    if (words == NULL || shown == NULL || special == NULL) {
        goto error;
    }
    Py_ssize_t i = 0;
    while (i < n) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        if (!IS_WORD_CHAR(ch)) {
            i++;
            continue;
        }
        /* a word: runs of word characters joined by single apostrophes between them */
        Py_ssize_t start = i;
        for (;;) {
            while (i < n) {
                ch = PyUnicode_READ(kind, data, i);
                if (!IS_WORD_CHAR(ch)) {
                    break;
                }
                i++;
            }
            if (i + 1 < n && PyUnicode_READ(kind, data, i) == APOSTROPHE &&
                IS_WORD_CHAR(PyUnicode_READ(kind, data, i + 1))) {
                i++;
                continue;
            }
            break;
        }
        PyObject *written;
        PyObject *folded = fold_token(text, kind, data, start, i, &written);
        if (folded == NULL) {
            goto error;
        }
        int err = PyList_Append(words, folded);
        if (!err && may_have_other_keys(folded)) {
            err = PyList_Append(special, folded);
        }
        if (!err && written != NULL) {
            PyObject *had = PyDict_SetDefault(shown, folded, written);
            err = had == NULL;
        }
        Py_DECREF(folded);
        Py_XDECREF(written);
        if (err) {
            goto error;
        }
    }
    PyObject *result = Py_BuildValue("(NNN)", words, shown, special);
    if (result == NULL) {
        goto error_built;
    }
    return result;
error:
    Py_XDECREF(words);
    Py_XDECREF(shown);
    Py_XDECREF(special);
error_built:
    return NULL;
}

/* ------------------------------------------------------------------------------------------
 * KeyTable: str → int, the twin of keytable.KeyTableReference (a dict).
 *
 * The matcher looks up every distinct word of every story in a table of a few hundred thousand
 * keys. In a dict each look-up is a chain of dependent cache misses (index, entry, key), paid
 * one after another. Here a whole story's words are looked up in one call, in stages: every
 * slot is prefetched first, then every candidate key, then the keys are compared, so the misses
 * of different words overlap instead of adding up.
 *
 * Open addressing with linear probing over (hash, key, value) slots; a slot's hash is the key's
 * str hash with EMPTY and DELETED reserved (so a found hash is checked against the key itself).
 */

#define EMPTY 0
#define DELETED 1
#define SEVERAL -2 /* keytable.SEVERAL: the value of a key in several classes */
#define POSITION_BITS 24 /* a word's position in its field, beside its class in one sort key */

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
static Slot *
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

static int
check_key(PyObject *key)
{
    if (!PyUnicode_CheckExact(key)) {
        PyErr_SetString(PyExc_TypeError, "KeyTable keys are str");
        return -1;
    }
    return PyUnicode_READY(key);
}

static int
resize(KeyTable *t, size_t capacity)
{
    Slot *slots = PyMem_Calloc(capacity, sizeof(Slot));
    if (slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    size_t mask = capacity - 1;
    if (t->slots != NULL) {
        for (size_t i = 0; i <= t->mask; i++) {
            Slot *s = &t->slots[i];
            if (s->key == NULL) {
                continue;
            }
            size_t j = (size_t)s->hash & mask;
            while (slots[j].hash != EMPTY) {
                j = (j + 1) & mask;
            }
            slots[j] = *s;
        }
        PyMem_Free(t->slots);
    }
    t->slots = slots;
    t->mask = mask;
    t->filled = t->used;
    return 0;
}

static PyObject *
KeyTable_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    if (PyTuple_GET_SIZE(args) || (kwds != NULL && PyDict_GET_SIZE(kwds))) {
        PyErr_SetString(PyExc_TypeError, "KeyTable() takes no arguments");
        return NULL;
    }
    KeyTable *t = (KeyTable *)type->tp_alloc(type, 0);
    if (t == NULL) {
        return NULL;
    }
    if (resize(t, 8) < 0) {
        Py_DECREF(t);
        return NULL;
    }
    return (PyObject *)t;
}

static void
KeyTable_dealloc(KeyTable *t)
{
    if (t->slots != NULL) {
        for (size_t i = 0; i <= t->mask; i++) {
            Py_XDECREF(t->slots[i].key);
        }
        PyMem_Free(t->slots);
    }
    Py_TYPE(t)->tp_free((PyObject *)t);
}

static Py_ssize_t
KeyTable_len(KeyTable *t)
{
    return (Py_ssize_t)t->used;
}

static int
KeyTable_contains(KeyTable *t, PyObject *key)
{
    if (check_key(key) < 0) {
        return -1;
    }
    Py_hash_t h = slot_hash(key);
    if (h == -1) {
        return -1;
    }
    return find(t, key, h) != NULL;
}

static PyObject *
KeyTable_subscript(KeyTable *t, PyObject *key)
{
    if (check_key(key) < 0) {
        return NULL;
    }
    Py_hash_t h = slot_hash(key);
    if (h == -1) {
        return NULL;
    }
    Slot *s = find(t, key, h);
    if (s == NULL) {
        PyErr_SetObject(PyExc_KeyError, key);
        return NULL;
    }
    return PyLong_FromLongLong(s->value);
}

static int
KeyTable_ass_subscript(KeyTable *t, PyObject *key, PyObject *value)
{
    if (check_key(key) < 0) {
        return -1;
    }
    Py_hash_t h = slot_hash(key);
    if (h == -1) {
        return -1;
    }
    Slot *s = find(t, key, h);
    if (value == NULL) { /* del t[key] */
        if (s == NULL) {
            PyErr_SetObject(PyExc_KeyError, key);
            return -1;
        }
        Py_CLEAR(s->key);
        s->hash = DELETED;
        t->used--;
        return 0;
    }
    long long v = PyLong_AsLongLong(value);
    if (v == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (s != NULL) {
        s->value = v;
        return 0;
    }
    if ((t->filled + 1) * 3 >= (t->mask + 1) * 2) { /* keep the load under 2/3 */
        size_t capacity = t->mask + 1;
        while ((t->used + 1) * 3 >= capacity) { /* and at most 1/3 after growing */
            capacity *= 2;
        }
        if (resize(t, capacity) < 0) {
            return -1;
        }
    }
    size_t i = (size_t)h & t->mask;
    while (t->slots[i].hash != EMPTY && t->slots[i].hash != DELETED) {
        i = (i + 1) & t->mask;
    }
    if (t->slots[i].hash == EMPTY) {
        t->filled++;
    }
    Py_INCREF(key);
    t->slots[i] = (Slot){h, key, v};
    t->used++;
    return 0;
}

static PyObject *
KeyTable_get(KeyTable *t, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs < 1 || nargs > 2) {
        PyErr_SetString(PyExc_TypeError, "get(key, default=None)");
        return NULL;
    }
    PyObject *key = args[0];
    if (check_key(key) < 0) {
        return NULL;
    }
    Py_hash_t h = slot_hash(key);
    if (h == -1) {
        return NULL;
    }
    Slot *s = find(t, key, h);
    if (s != NULL) {
        return PyLong_FromLongLong(s->value);
    }
    PyObject *dflt = nargs == 2 ? args[1] : Py_None;
    Py_INCREF(dflt);
    return dflt;
}

static PyObject *
KeyTable_pop(KeyTable *t, PyObject *key)
{
    PyObject *value = KeyTable_subscript(t, key);
    if (value != NULL && KeyTable_ass_subscript(t, key, NULL) < 0) {
        Py_CLEAR(value);
    }
    return value;
}

#define PREFETCH(p) __builtin_prefetch((const void *)(p), 0, 1)

static PyObject *
KeyTable_get_many(KeyTable *t, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "get_many(keys, default)");
        return NULL;
    }
    PyObject *seq = PySequence_Fast(args[0], "get_many() expects a sequence of str");
    if (seq == NULL) {
        return NULL;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject **keys = PySequence_Fast_ITEMS(seq);
    PyObject *dflt = args[1];
    PyObject *out = PyList_New(n);
    Py_hash_t *hashes = PyMem_Malloc(((size_t)n + 1) * sizeof(Py_hash_t));
    if (out == NULL || hashes == NULL) {
        PyErr_NoMemory();
        goto error;
    }
    Slot *slots = t->slots;
    /* 1: hash every key and prefetch its first slot */
    for (Py_ssize_t k = 0; k < n; k++) {
        if (check_key(keys[k]) < 0 || (hashes[k] = slot_hash(keys[k])) == -1) {
            goto error;
        }
        PREFETCH(&slots[(size_t)hashes[k] & t->mask]);
    }
    /* 2: find each key's candidate slot (the first with its hash) and prefetch the key there */
    for (Py_ssize_t k = 0; k < n; k++) {
        Py_hash_t h = hashes[k];
        size_t i = (size_t)h & t->mask;
        while (slots[i].hash != EMPTY && slots[i].hash != h) {
            i = (i + 1) & t->mask;
        }
        if (slots[i].hash == EMPTY) {
            Py_INCREF(dflt);
            PyList_SET_ITEM(out, k, dflt);
        }
        else {
            PREFETCH(slots[i].key);
            PREFETCH((const char *)slots[i].key + 64);
            PyList_SET_ITEM(out, k, NULL);
            hashes[k] = (Py_hash_t)i; /* the candidate's slot, for stage 3 */
        }
    }
    /* 3: compare the candidates (a hash shared by two keys: probe on, the slow way) */
    for (Py_ssize_t k = 0; k < n; k++) {
        if (PyList_GET_ITEM(out, k) != NULL) {
            continue;
        }
        Slot *s = &slots[hashes[k]];
        if (!same_str(s->key, keys[k])) {
            s = find(t, keys[k], s->hash);
        }
        PyObject *v = s == NULL ? Py_NewRef(dflt) : PyLong_FromLongLong(s->value);
        if (v == NULL) {
            goto error;
        }
        PyList_SET_ITEM(out, k, v);
    }
    PyMem_Free(hashes);
    Py_DECREF(seq);
    return out;
error:
    PyMem_Free(hashes);
    Py_DECREF(seq);
    if (out != NULL) { /* unset items are NULL: fill them so the list can be freed */
        for (Py_ssize_t k = 0; k < n; k++) {
            if (PyList_GET_ITEM(out, k) == NULL) {
                PyList_SET_ITEM(out, k, Py_NewRef(Py_None));
            }
        }
        Py_DECREF(out);
    }
    return NULL;
}

static int
cmp_long(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

/* Add the distinct values of v[0:n] (sorted in place) to `set`, skipping negative ones. */
static int
add_distinct(PyObject *set, long long *v, Py_ssize_t n)
{
    qsort(v, (size_t)n, sizeof(long long), cmp_long);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (v[i] < 0 || (i > 0 && v[i] == v[i - 1])) {
            continue;
        }
        PyObject *x = PyLong_FromLongLong(v[i]);
        if (x == NULL || PySet_Add(set, x) < 0) {
            Py_XDECREF(x);
            return -1;
        }
        Py_DECREF(x);
    }
    return 0;
}

/* The value of each key of keys[0:n] in out[0:n], -1 where absent: get_many's stages. */
static int
look_up(KeyTable *t, PyObject **keys, Py_ssize_t n, long long *out, Py_hash_t *scratch)
{
    Slot *slots = t->slots;
    for (Py_ssize_t k = 0; k < n; k++) {
        if (check_key(keys[k]) < 0 || (scratch[k] = slot_hash(keys[k])) == -1) {
            return -1;
        }
        PREFETCH(&slots[(size_t)scratch[k] & t->mask]);
    }
    for (Py_ssize_t k = 0; k < n; k++) {
        Py_hash_t h = scratch[k];
        size_t i = (size_t)h & t->mask;
        while (slots[i].hash != EMPTY && slots[i].hash != h) {
            i = (i + 1) & t->mask;
        }
        if (slots[i].hash == EMPTY) {
            scratch[k] = -1;
        }
        else {
            PREFETCH(slots[i].key);
            scratch[k] = (Py_hash_t)i;
        }
    }
    for (Py_ssize_t k = 0; k < n; k++) {
        if (scratch[k] < 0) {
            out[k] = -1;
            continue;
        }
        Slot *s = &slots[scratch[k]];
        if (!same_str(s->key, keys[k])) {
            s = find(t, keys[k], s->hash);
        }
        out[k] = s == NULL ? -1 : s->value;
    }
    return 0;
}

static PyObject *
KeyTable_classes_and_pairs(KeyTable *t, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "classes_and_pairs(fields, firsts)");
        return NULL;
    }
    Py_buffer firsts;
    if (PyObject_GetBuffer(args[1], &firsts, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    const unsigned char *first = firsts.buf;
    Py_ssize_t nfirst = firsts.len;
    PyObject *fields = PySequence_Fast(args[0], "classes_and_pairs() expects a sequence of lists");
    PyObject *words = PyDict_New(), *pairs = PySet_New(NULL), *several = PySet_New(NULL);
    PyObject *cids = NULL, *result = NULL;
    long long *values = NULL, *found = NULL;
    Py_hash_t *scratch = NULL;
    if (fields == NULL || words == NULL || pairs == NULL || several == NULL) {
        goto done;
    }
    for (Py_ssize_t f = 0; f < PySequence_Fast_GET_SIZE(fields); f++) {
        PyObject *seq = PySequence_Fast(PySequence_Fast_GET_ITEM(fields, f),
                                        "classes_and_pairs() expects lists of str");
        if (seq == NULL) {
            goto done;
        }
        Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
        if (n >= (1LL << POSITION_BITS)) {
            Py_DECREF(seq);
            PyErr_SetString(PyExc_ValueError, "classes_and_pairs: a field of over 2**24 words");
            goto done;
        }
        PyMem_Free(values);
        PyMem_Free(found);
        PyMem_Free(scratch);
        values = PyMem_Malloc(((size_t)n + 1) * sizeof(long long));
        found = PyMem_Malloc(((size_t)n + 1) * sizeof(long long));
        scratch = PyMem_Malloc(((size_t)n + 1) * sizeof(Py_hash_t));
        if (values == NULL || found == NULL || scratch == NULL) {
            Py_DECREF(seq);
            PyErr_NoMemory();
            goto done;
        }
        PyObject **keys = PySequence_Fast_ITEMS(seq);
        int err = look_up(t, keys, n, values, scratch);
        /* each class → its first word: sorted as (class, position), so that a PyLong and a
         * dict entry are made once a class, not once a word */
        Py_ssize_t nfound = 0;
        for (Py_ssize_t i = 0; !err && i < n; i++) {
            if (values[i] == SEVERAL) {
                err = PySet_Add(several, keys[i]) < 0;
            }
            else if (values[i] >= 0) {
                if (values[i] > INT32_MAX) {
                    PyErr_SetString(PyExc_ValueError, "classes_and_pairs: a class id over 2**31");
                    err = 1;
                    break;
                }
                found[nfound++] = values[i] << POSITION_BITS | i;
            }
        }
        if (!err) {
            qsort(found, (size_t)nfound, sizeof(long long), cmp_long);
        }
        for (Py_ssize_t j = 0; !err && j < nfound; j++) {
            long long cid = found[j] >> POSITION_BITS;
            if (j > 0 && cid == found[j - 1] >> POSITION_BITS) {
                continue;
            }
            PyObject *c = PyLong_FromLongLong(cid);
            PyObject *word = keys[found[j] & ((1LL << POSITION_BITS) - 1)];
            err = c == NULL || PyDict_SetDefault(words, c, word) == NULL;
            Py_XDECREF(c);
        }
        Py_DECREF(seq);
        if (err) {
            goto done;
        }
        Py_ssize_t npairs = 0;
        for (Py_ssize_t i = 0; i + 1 < n; i++) {
            long long a = values[i], b = values[i + 1];
            if (a >= 0 && b >= 0 && a < nfirst && first[a]) {
                found[npairs++] = a << 32 | b;
            }
        }
        if (add_distinct(pairs, found, npairs) < 0) {
            goto done;
        }
    }
    cids = PySet_New(words);
    if (cids != NULL) {
        result = PyTuple_Pack(4, cids, pairs, words, several);
    }
done:
    PyBuffer_Release(&firsts);
    PyMem_Free(values);
    PyMem_Free(found);
    PyMem_Free(scratch);
    Py_XDECREF(fields);
    Py_XDECREF(cids);
    Py_XDECREF(pairs);
    Py_XDECREF(words);
    Py_XDECREF(several);
    return result;
}

static PyMappingMethods KeyTable_as_mapping = {
    .mp_length = (lenfunc)KeyTable_len,
    .mp_subscript = (binaryfunc)KeyTable_subscript,
    .mp_ass_subscript = (objobjargproc)KeyTable_ass_subscript,
};

static PySequenceMethods KeyTable_as_sequence = {
    .sq_contains = (objobjproc)KeyTable_contains,
};

static PyMethodDef KeyTable_methods[] = {
    {"get", (PyCFunction)(void (*)(void))KeyTable_get, METH_FASTCALL,
     "get(key, default=None): the value of key, or default."},
    {"pop", (PyCFunction)KeyTable_pop, METH_O, "pop(key): remove key and return its value."},
    {"get_many", (PyCFunction)(void (*)(void))KeyTable_get_many, METH_FASTCALL,
     "get_many(keys, default): [get(k, default) for k in keys], with the look-ups overlapped."},
    {"classes_and_pairs", (PyCFunction)(void (*)(void))KeyTable_classes_and_pairs, METH_FASTCALL,
     "classes_and_pairs(fields, firsts): see keytable.KeyTableReference.classes_and_pairs."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject KeyTableType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "bot.match._speedups.KeyTable",
    .tp_doc = "str → int; the twin of keytable.KeyTableReference.",
    .tp_basicsize = sizeof(KeyTable),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = KeyTable_new,
    .tp_dealloc = (destructor)KeyTable_dealloc,
    .tp_as_mapping = &KeyTable_as_mapping,
    .tp_as_sequence = &KeyTable_as_sequence,
    .tp_methods = KeyTable_methods,
};

/* ------------------------------------------------------------------------------------------
 * warm(table, ids): prefetch table[i] for each i in ids (the list's slot, then the object).
 *
 * A hint, with no effect on results: the matcher calls it before a Python loop over the same
 * items, so that their cache misses are taken together here instead of one after another there.
 */
static PyObject *
warm(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || !PyList_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "warm(table: list, ids)");
        return NULL;
    }
    PyObject *seq = PySequence_Fast(args[1], "warm() expects a sequence of ints");
    if (seq == NULL) {
        return NULL;
    }
    PyObject **table = ((PyListObject *)args[0])->ob_item;
    Py_ssize_t size = PyList_GET_SIZE(args[0]);
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject **ids = PySequence_Fast_ITEMS(seq);
    for (int stage = 0; stage < 2; stage++) {
        for (Py_ssize_t k = 0; k < n; k++) {
            Py_ssize_t i = PyLong_AsSsize_t(ids[k]);
            if (i == -1 && PyErr_Occurred()) {
                Py_DECREF(seq);
                return NULL;
            }
            if (i < 0 || i >= size) {
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
    Py_DECREF(seq);
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------------------------------
 * match_groups: the twin of groups.match_groups_reference (which says what it does).
 *
 * The groups filed under a story's classes are scattered over memory; here every list slot,
 * then every shelf, then every shelf's items are prefetched for the whole story before any is
 * tested, so their cache misses overlap.
 */

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

static PyObject *
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
    PyMem_Free(ids);
    Py_DECREF(seq);
    return out;
error:
    PyMem_Free(ids);
    Py_DECREF(seq);
    Py_XDECREF(out);
    return NULL;
}

static PyMethodDef methods[] = {
    {"scan", scan, METH_O, scan_doc},
    {"match_groups", (PyCFunction)(void (*)(void))match_groups, METH_FASTCALL,
     "match_groups(now, after, rest, present, ids): see groups.match_groups_reference."},
    {"warm", (PyCFunction)(void (*)(void))warm, METH_FASTCALL,
     "warm(table, ids): prefetch table[i] for each i in ids; a hint with no effect on results."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "bot.match._speedups",
    .m_doc = "The matcher's hot loops in C; see the Python twins named in each docstring.",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    casefold_name = PyUnicode_InternFromString("casefold");
    if (casefold_name == NULL) {
        return NULL;
    }
    if (PyType_Ready(&KeyTableType) < 0) {
        return NULL;
    }
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) {
        return NULL;
    }
    if (PyModule_AddObjectRef(m, "KeyTable", (PyObject *)&KeyTableType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
