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

/* `[^\W_]` in Python's re for str patterns is exactly this (sre's SRE_UNI_IS_ALNUM). */
#define IS_WORD_CHAR(ch) Py_UNICODE_ISALNUM(ch)
#define APOSTROPHE 0x27

/* text.FOLDABLE: ё Ё, Latin letters that carry diacritics, combining marks. */
static inline int
is_foldable(Py_UCS4 ch)
{
    return ch == 0x451 || ch == 0x401 || (ch >= 0xC0 && ch <= 0x24F) ||
           (ch >= 0x1E00 && ch <= 0x1EFF) || (ch >= 0x300 && ch <= 0x36F);
}

/* Characters whose case fold is themselves, common in English and Ukrainian news text: a word
 * made only of these needs no call to str.casefold. Lower-case ASCII letters, digits, the
 * apostrophe, lower-case Cyrillic а..џ and ґ. */
static inline int
folds_to_itself(Py_UCS4 ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == APOSTROPHE ||
           (ch >= 0x430 && ch <= 0x45F) || ch == 0x491;
}

static PyObject *casefold_name; /* interned "casefold" */

/* The folded form of text[start:end] (a new reference), and the written form in *written when
 * it differs (a new reference; NULL when the word is written folded already). */
static PyObject *
fold_token(PyObject *text, int kind, const void *data, Py_ssize_t start, Py_ssize_t end,
           PyObject **written)
{
    int itself = 1, ascii = 1;
    for (Py_ssize_t i = start; i < end; i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        if (!folds_to_itself(ch)) {
            itself = 0;
        }
        if (ch > 0x7F) {
            ascii = 0;
        }
        if (!itself && !ascii) {
            break;
        }
    }
    *written = NULL;
    PyObject *token = PyUnicode_Substring(text, start, end);
    if (token == NULL || itself) {
        return token;
    }
    PyObject *folded;
    if (ascii) { /* ASCII case folding is lower-casing */
        Py_ssize_t n = end - start;
        folded = PyUnicode_New(n, 0x7F);
        if (folded == NULL) {
            Py_DECREF(token);
            return NULL;
        }
        const Py_UCS1 *src = PyUnicode_1BYTE_DATA(token);
        Py_UCS1 *dst = PyUnicode_1BYTE_DATA(folded);
        for (Py_ssize_t i = 0; i < n; i++) {
            Py_UCS1 c = src[i];
            dst[i] = (c >= 'A' && c <= 'Z') ? (Py_UCS1)(c + 32) : c;
        }
    }
    else {
        folded = PyObject_CallMethodNoArgs(token, casefold_name);
        if (folded == NULL) {
            Py_DECREF(token);
            return NULL;
        }
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
"folded word mapped to its first occurrence written otherwise, and whether the text has a\n"
"character text.FOLDABLE finds.");

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
    int foldable = 0;
    PyObject *words = PyList_New(0);
    PyObject *shown = PyDict_New();
    if (words == NULL || shown == NULL) {
        goto error;
    }
    Py_ssize_t i = 0;
    while (i < n) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        if (!IS_WORD_CHAR(ch)) {
            if (!foldable && is_foldable(ch)) {
                foldable = 1;
            }
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
                if (!foldable && is_foldable(ch)) {
                    foldable = 1;
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
    PyObject *result = Py_BuildValue("(NNO)", words, shown, foldable ? Py_True : Py_False);
    if (result == NULL) {
        goto error_built;
    }
    return result;
error:
    Py_XDECREF(words);
    Py_XDECREF(shown);
error_built:
    return NULL;
}

static PyMethodDef methods[] = {
    {"scan", scan, METH_O, scan_doc},
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
    return PyModule_Create(&module);
}
