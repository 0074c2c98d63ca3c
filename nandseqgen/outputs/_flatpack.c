/* Flat rows to int64 bytes: the streaming recorder's hand-over to its writer
 * (docs/decisions.md 122; docs/performance.md, "Streaming outputs").
 *
 * pack(list) -> bytes: each item of a list of ints and None becomes eight
 * bytes in native order (None: INT64_MIN, which no int may take). About six
 * times cheaper than marshal per int; the writer reads the bytes back with
 * array('q'). Anything else (a numpy integer, a bool, an int beyond 63 bits)
 * raises, so a bad value is named where it was recorded. Optional: without
 * this module (no C compiler, NANDSEQGEN_PURE) the chunks go as marshal. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

static PyObject *pack(PyObject *self, PyObject *arg)
{
    if (!PyList_CheckExact(arg)) {
        PyErr_SetString(PyExc_TypeError, "pack() takes a list of ints and None");
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(arg);
    PyObject *out = PyBytes_FromStringAndSize(NULL, n * 8);
    if (out == NULL)
        return NULL;
    char *p = PyBytes_AS_STRING(out);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *o = PyList_GET_ITEM(arg, i);
        int64_t v = INT64_MIN;
        if (PyLong_CheckExact(o)) {
            int overflow = 0;
            long long x = PyLong_AsLongLongAndOverflow(o, &overflow);
            if (overflow || x == INT64_MIN) {
                Py_DECREF(out);
                PyErr_Format(PyExc_OverflowError, "flat row item %zd does not fit 63 bits", i);
                return NULL;
            }
            v = (int64_t)x;
        }
        else if (o != Py_None) {
            Py_DECREF(out);
            PyErr_Format(PyExc_TypeError, "flat row item %zd is %.100s; flat rows hold ints "
                         "and None only", i, Py_TYPE(o)->tp_name);
            return NULL;
        }
        memcpy(p + 8 * i, &v, 8);
    }
    return out;
}

static PyMethodDef methods[] = {
    {"pack", pack, METH_O, "pack(list of ints and None) -> int64 bytes (None: INT64_MIN)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "nandseqgen.outputs._flatpack",
    "Flat rows to int64 bytes (docs/decisions.md 122).", -1, methods,
};

PyMODINIT_FUNC PyInit__flatpack(void)
{
    return PyModule_Create(&module);
}
