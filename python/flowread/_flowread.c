/* SPDX-License-Identifier: MIT */
/*
 * _flowread: the CPython extension behind the `flowread` package, a thin
 * layer over libflowread's public C API (flowread.h; fl_stream_new_custom()
 * from flowread-plugin.h for Python file objects).
 *
 * - Reader: an FlReader that reads flows in batches of FL_PY_BATCH with the
 *   GIL released and hands them out as Flow objects.
 * - Flow: a copy of one FlFlow; attributes are computed on access from the
 *   library's field table (fl_field_get_output_order(), fl_flow_get_*()),
 *   so a field the library adds appears here without a change.
 * - _read_columns(): whole files into flat column buffers, filled in C with
 *   the GIL released (no Python object per flow); flowread/__init__.py wraps
 *   them as numpy arrays without copying.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <datetime.h>

#include <errno.h>
#include <string.h>

#include <flowread/flowread.h>
#include <flowread/flowread-plugin.h>

#if defined(__has_include)
#if __has_include(<flowread/flowread-filter.h>)
#include <flowread/flowread-filter.h>
#define FL_PY_HAVE_FILTER 1
#endif
#endif

/* Flows read per trip into C with the GIL released: large enough that the
 * release/acquire cost vanishes, small enough that a pipe's first flows
 * arrive without a long wait. */
#define FL_PY_BATCH 64

/* Fixed widths of the text columns of _read_columns(): the longest RFC 5952
 * IPv6 text is 39 characters ("ffff:...:ffff"; inet_ntop's dotted forms
 * are shorter), a MAC is 17. */
#define FL_PY_ADDR_WIDTH 39
#define FL_PY_MAC_WIDTH 17

/* ------------------------------------------------------------ module state */

typedef struct {
  const char *name;     /* "first" */
  PyObject   *name_obj; /* interned, for as_dict() */
  FlFieldType type;
  int         width;    /* bytes of an FL_TYPE_UINT / FL_TYPE_MPLS value */
  int         order;    /* position in the output order, -1 if none */
} FieldInfo;

static FieldInfo fields[FL_N_FIELDS];
static const FlField *output_order;
static guint n_output;

static FlRegistry *registry;
static GPtrArray *extra_dirs;

static PyObject *Error;                  /* flowread.Error (OSError) */
static PyObject *NotFoundError;          /* Error + FileNotFoundError */
static PyObject *error_classes[FL_ERROR_LIMIT + 1];

static PyTypeObject *FlowType;
static PyTypeObject *ReaderType;
static PyTypeObject *BufferType;

/* The width of an unsigned field, found by asking the library for the value
 * of a flow whose bytes are all 0xff: the public API has no width getter
 * and the numpy columns should have the field's own width. */
static int
uint_width (FlField f)
{
  FlFlow probe;
  guint64 v = 0;

  memset (&probe, 0xff, sizeof probe);
  probe.struct_size = sizeof probe;
  if (!fl_flow_get_uint (&probe, f, &v))
    return 0;
  if (v <= G_MAXUINT8)
    return 1;
  if (v <= G_MAXUINT16)
    return 2;
  if (v <= G_MAXUINT32)
    return 4;
  return 8;
}

static int
init_fields (void)
{
  output_order = fl_field_get_output_order (&n_output);
  for (int f = 0; f < FL_N_FIELDS; f++)
    {
      fields[f].name = fl_field_name ((FlField) f);
      fields[f].type = fl_field_get_type ((FlField) f);
      fields[f].order = -1;
      if (fields[f].type == FL_TYPE_UINT || fields[f].type == FL_TYPE_MPLS)
        fields[f].width = uint_width ((FlField) f);
    }
  for (guint i = 0; i < n_output; i++)
    {
      FlField f = output_order[i];
      if ((int) f < 0 || f >= FL_N_FIELDS)
        continue;
      fields[f].order = (int) i;
      fields[f].name_obj = PyUnicode_InternFromString (fields[f].name);
      if (fields[f].name_obj == NULL)
        return -1;
    }
  return 0;
}

static FlRegistry *
get_registry (void)
{
  GError *error = NULL;

  if (registry != NULL)
    return registry;
  registry = fl_registry_new ();
  for (guint i = 0; extra_dirs != NULL && i < extra_dirs->len; i++)
    fl_registry_add_dir (registry, g_ptr_array_index (extra_dirs, i));
  if (!fl_registry_load (registry, &error))
    {
      PyErr_Format (error_classes[FL_ERROR_PLUGIN], "flowread: no plugin loaded: %s",
                    error->message);
      g_error_free (error);
      fl_registry_unref (registry);
      registry = NULL;
      return NULL;
    }
  return registry;
}

/* Raises the Python exception for a GError and frees it. */
static PyObject *
raise_gerror (GError *error)
{
  PyObject *cls = Error;

  if (error == NULL)
    {
      PyErr_SetString (Error, "flowread: unknown error");
      return NULL;
    }
  if (error->domain == FL_ERROR && error->code > 0 && error->code <= FL_ERROR_LIMIT
      && error_classes[error->code] != NULL)
    cls = error_classes[error->code];
  PyErr_SetString (cls, error->message);
  g_error_free (error);
  return NULL;
}

/* ------------------------------------------------------------ conversions */

static gint64
floor_div (gint64 a, gint64 b)
{
  gint64 q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Days since 1970-01-01 to y/m/d (Howard Hinnant's civil_from_days). */
static void
civil_from_days (gint64 z, int *y, int *m, int *d)
{
  z += 719468;
  gint64 era = (z >= 0 ? z : z - 146096) / 146097;
  gint64 doe = z - era * 146097;
  gint64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  gint64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  gint64 mp = (5 * doy + 2) / 153;
  *d = (int) (doy - (153 * mp + 2) / 5 + 1);
  *m = (int) (mp < 10 ? mp + 3 : mp - 9);
  *y = (int) (yoe + era * 400 + (*m <= 2));
}

/* A UTC-aware datetime, floored to the microsecond (int64 ns always lies in
 * 1677..2262, inside datetime's range). */
static PyObject *
datetime_from_ns (gint64 ns)
{
  gint64 us = floor_div (ns, 1000);
  gint64 secs = floor_div (us, 1000000);
  gint64 days = floor_div (secs, 86400);
  gint64 sod = secs - days * 86400;
  int y, m, d;

  civil_from_days (days, &y, &m, &d);
  return PyDateTimeAPI->DateTime_FromDateAndTime (y, m, d, (int) (sod / 3600),
      (int) (sod / 60 % 60), (int) (sod % 60), (int) (us - secs * 1000000),
      PyDateTime_TimeZone_UTC, PyDateTimeAPI->DateTimeType);
}

static PyObject *
addr_raw (const FlAddr *a)
{
  if (a->family == 4)
    return PyLong_FromUnsignedLong (fl_read_u32_be (a->addr));
  PyObject *hi = PyLong_FromUnsignedLongLong (fl_read_u64_be (a->addr));
  PyObject *lo = PyLong_FromUnsignedLongLong (fl_read_u64_be (a->addr + 8));
  PyObject *sh = PyLong_FromLong (64);
  PyObject *hs = NULL, *r = NULL;
  if (hi != NULL && lo != NULL && sh != NULL && (hs = PyNumber_Lshift (hi, sh)) != NULL)
    r = PyNumber_Or (hs, lo);
  Py_XDECREF (hi);
  Py_XDECREF (lo);
  Py_XDECREF (sh);
  Py_XDECREF (hs);
  return r;
}

static int
format_mac (const guint8 mac[6], char *buf)
{
  return g_snprintf (buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x",
                     mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

/* "label-exp-bos", as nfdump prints a label stack entry. */
static int
format_mpls (guint64 v, char *buf, gsize size)
{
  return g_snprintf (buf, size, "%u-%u-%u", (unsigned) (v >> 4),
                     (unsigned) ((v >> 1) & 7), (unsigned) (v & 1));
}

enum { VIEW_VALUE, VIEW_NS, VIEW_RAW };

/* The Python value of a field of a flow; None when absent. */
static PyObject *
field_value (const FlFlow *flow, FlField f, int view)
{
  char buf[FL_ADDR_STRLEN];
  guint64 u;
  gint64 t;
  FlAddr a;
  guint8 mac[6];

  switch (fields[f].type)
    {
    case FL_TYPE_UINT:
      if (fl_flow_get_uint (flow, f, &u))
        return PyLong_FromUnsignedLongLong (u);
      break;
    case FL_TYPE_MPLS:
      if (fl_flow_get_uint (flow, f, &u))
        {
          int n = format_mpls (u, buf, sizeof buf);
          return PyUnicode_FromStringAndSize (buf, n);
        }
      break;
    case FL_TYPE_TIME:
      if (fl_flow_get_time (flow, f, &t))
        return view == VIEW_NS ? PyLong_FromLongLong (t) : datetime_from_ns (t);
      break;
    case FL_TYPE_ADDR:
      if (fl_flow_get_addr (flow, f, &a) && (a.family == 4 || a.family == 6))
        {
          if (view == VIEW_RAW)
            return addr_raw (&a);
          return PyUnicode_FromString (fl_addr_to_string (&a, buf));
        }
      break;
    case FL_TYPE_MAC:
      if (fl_flow_get_mac (flow, f, mac))
        {
          int n = format_mac (mac, buf);
          return PyUnicode_FromStringAndSize (buf, n);
        }
      break;
    default:
      break;
    }
  Py_RETURN_NONE;
}

/* ------------------------------------------------------------------- Flow */

typedef struct {
  PyObject_HEAD
  FlFlow flow;
} FlowObject;

static PyObject *
flow_new (const FlFlow *src)
{
  FlowObject *self = PyObject_New (FlowObject, FlowType);
  if (self != NULL)
    memcpy (&self->flow, src, sizeof self->flow);
  return (PyObject *) self;
}

static void
flow_dealloc (PyObject *self)
{
  PyTypeObject *tp = Py_TYPE (self);
  PyObject_Free (self);
  Py_DECREF (tp);
}

static PyObject *
flow_get (PyObject *self, void *closure)
{
  guintptr c = GPOINTER_TO_SIZE (closure);
  return field_value (&((FlowObject *) self)->flow, (FlField) (c & 0xff), (int) (c >> 8));
}

static PyObject *
flow_as_dict (PyObject *self, PyObject *unused)
{
  const FlFlow *flow = &((FlowObject *) self)->flow;
  PyObject *d = PyDict_New ();

  if (d == NULL)
    return NULL;
  for (guint i = 0; i < n_output; i++)
    {
      FlField f = output_order[i];
      if (!fl_flow_has (flow, f))
        continue;
      PyObject *v = field_value (flow, f, VIEW_VALUE);
      if (v == NULL || (v != Py_None && PyDict_SetItem (d, fields[f].name_obj, v) < 0))
        {
          Py_XDECREF (v);
          Py_DECREF (d);
          return NULL;
        }
      Py_DECREF (v);
    }
  return d;
}

static PyObject *
flow_repr (PyObject *self)
{
  const FlFlow *flow = &((FlowObject *) self)->flow;
  char s[FL_ADDR_STRLEN] = "", d[FL_ADDR_STRLEN] = "", t[FL_TIME_STRLEN] = "-";

  if (fl_flow_has (flow, FL_FIELD_FIRST))
    fl_time_to_string (flow->first, t);
  if (fl_flow_has (flow, FL_FIELD_SRCADDR))
    fl_addr_to_string (&flow->srcaddr, s);
  if (fl_flow_has (flow, FL_FIELD_DSTADDR))
    fl_addr_to_string (&flow->dstaddr, d);
  return PyUnicode_FromFormat ("<flowread.Flow %s %s:%u > %s:%u prot %u>", t, s,
      (unsigned) (fl_flow_has (flow, FL_FIELD_SRCPORT) ? flow->srcport : 0), d,
      (unsigned) (fl_flow_has (flow, FL_FIELD_DSTPORT) ? flow->dstport : 0),
      (unsigned) (fl_flow_has (flow, FL_FIELD_PROT) ? flow->prot : 0));
}

static PyMethodDef flow_methods[] = {
  { "as_dict", flow_as_dict, METH_NOARGS,
    "The flow's present fields as a dict, in output order (absent fields left out)." },
  { NULL }
};

/* One getter per output field, plus NAME_ns for times and NAME_raw for
 * addresses, built from the library's table at import. */
static PyTypeObject *
make_flow_type (void)
{
  PyGetSetDef *gs = g_new0 (PyGetSetDef, n_output * 2 + 1);
  guint n = 0;

  for (guint i = 0; i < n_output; i++)
    {
      FlField f = output_order[i];
      if ((int) f < 0 || f >= FL_N_FIELDS || f > 0xff)
        continue;
      gs[n++] = (PyGetSetDef) { (char *) fields[f].name, flow_get, NULL, NULL,
                                GSIZE_TO_POINTER ((gsize) f) };
      if (fields[f].type == FL_TYPE_TIME)
        gs[n++] = (PyGetSetDef) { g_strconcat (fields[f].name, "_ns", NULL), flow_get,
                                  NULL, NULL, GSIZE_TO_POINTER ((gsize) f | VIEW_NS << 8) };
      else if (fields[f].type == FL_TYPE_ADDR)
        gs[n++] = (PyGetSetDef) { g_strconcat (fields[f].name, "_raw", NULL), flow_get,
                                  NULL, NULL, GSIZE_TO_POINTER ((gsize) f | VIEW_RAW << 8) };
    }
  PyType_Slot slots[] = {
    { Py_tp_dealloc, flow_dealloc },
    { Py_tp_getset, gs },
    { Py_tp_methods, flow_methods },
    { Py_tp_repr, flow_repr },
    { Py_tp_doc, (void *) "One flow. Every output field is an attribute (None when the "
                          "source does not carry it); times also as NAME_ns, addresses "
                          "also as NAME_raw." },
    { 0, NULL },
  };
  PyType_Spec spec = { "flowread.Flow", sizeof (FlowObject), 0,
                       Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION, slots };
  return (PyTypeObject *) PyType_FromSpec (&spec);
}

/* ------------------------------------------------- Python file as a stream */

typedef struct {
  PyObject *file;
  gboolean  has_readinto;
} PyFileSource;

/* Called by the library with the GIL released (the reader reads in a
 * Py_BEGIN_ALLOW_THREADS block): take it for the duration of the call. */
static gssize
pyfile_read (gpointer data, void *buf, gsize count, GError **error)
{
  PyFileSource *src = data;
  PyGILState_STATE st = PyGILState_Ensure ();
  gssize n = -1;
  PyObject *res;

  if (count > G_MAXSSIZE)
    count = G_MAXSSIZE;
  if (src->has_readinto)
    {
      PyObject *mv = PyMemoryView_FromMemory (buf, (Py_ssize_t) count, PyBUF_WRITE);
      res = mv != NULL ? PyObject_CallMethod (src->file, "readinto", "O", mv) : NULL;
      if (res != NULL && res != Py_None)
        n = PyLong_AsSsize_t (res);
      if (mv != NULL)
        {
          /* release() must not see (and replace) readinto()'s exception */
          PyObject *et, *ev, *etb;
          PyErr_Fetch (&et, &ev, &etb);
          PyObject *r = PyObject_CallMethod (mv, "release", NULL);
          Py_XDECREF (r);
          Py_DECREF (mv);
          if (et != NULL)
            PyErr_Restore (et, ev, etb);
          else if (r == NULL && res != NULL)
            Py_CLEAR (res); /* the file kept the buffer: its error stands */
        }
    }
  else
    {
      res = PyObject_CallMethod (src->file, "read", "n", (Py_ssize_t) count);
      if (res != NULL && PyBytes_Check (res))
        {
          n = PyBytes_GET_SIZE (res);
          if ((gsize) n > count)
            n = -2;
          else
            memcpy (buf, PyBytes_AS_STRING (res), (gsize) n);
        }
    }
  if (res == NULL || PyErr_Occurred ())
    {
      PyObject *type, *value, *tb;
      PyErr_Fetch (&type, &value, &tb);
      PyObject *s = value != NULL ? PyObject_Str (value) : NULL;
      const char *msg = s != NULL ? PyUnicode_AsUTF8 (s) : NULL;
      PyErr_Clear ();
      fl_set_error (error, FL_ERROR_IO, G_MAXUINT64, "reading the Python file object: %s",
                    msg != NULL ? msg : "error");
      Py_XDECREF (s);
      Py_XDECREF (type);
      Py_XDECREF (value);
      Py_XDECREF (tb);
      n = -1;
    }
  else if (res == Py_None)
    {
      fl_set_error (error, FL_ERROR_IO, G_MAXUINT64,
                    "the Python file object is non-blocking and had no data");
      n = -1;
    }
  else if (n < 0 || (gsize) n > count)
    {
      fl_set_error (error, FL_ERROR_IO, G_MAXUINT64,
                    "the Python file object returned an invalid length");
      n = -1;
    }
  Py_XDECREF (res);
  PyGILState_Release (st);
  return n;
}

static void
pyfile_close (gpointer data)
{
  PyFileSource *src = data;
  PyGILState_STATE st = PyGILState_Ensure ();
  Py_DECREF (src->file);
  PyGILState_Release (st);
  g_free (src);
}

static const FlStreamFuncs pyfile_funcs = { sizeof (FlStreamFuncs), pyfile_read, pyfile_close };

/* ------------------------------------------------------------- open options */

typedef struct {
  FlOpenOptions opts;
  char *format;
} Options;

static int
options_init (Options *o, PyObject *format, PyObject *filter)
{
  memset (o, 0, sizeof *o);
  o->opts.struct_size = sizeof o->opts;
  if (format != NULL && format != Py_None)
    {
      const char *s = PyUnicode_AsUTF8 (format);
      if (s == NULL)
        return -1;
      o->format = g_strdup (s);
      o->opts.format = o->format;
    }
  if (filter != NULL && filter != Py_None)
    {
#ifdef FL_PY_HAVE_FILTER
      const char *s = PyUnicode_AsUTF8 (filter);
      GError *error = NULL;
      if (s == NULL)
        return -1;
      o->opts.filter = fl_filter_new (s, &error);
      if (o->opts.filter == NULL)
        {
          g_free (o->format);
          PyErr_SetString (PyExc_ValueError, error != NULL ? error->message : "bad filter");
          g_clear_error (&error);
          return -1;
        }
#else
      g_free (o->format);
      PyErr_SetString (PyExc_NotImplementedError,
                       "flowread: this build has no filter support (flowread-filter.h)");
      return -1;
#endif
    }
  return 0;
}

static void
options_clear (Options *o)
{
#ifdef FL_PY_HAVE_FILTER
  if (o->opts.filter != NULL)
    fl_filter_unref (o->opts.filter);
#endif
  g_free (o->format);
  memset (o, 0, sizeof *o);
}

/* ------------------------------------------------------------------ Reader */

typedef struct {
  PyObject_HEAD
  FlReader  *reader;
  Py_buffer  view;       /* bytes-like input, held while the reader lives */
  gboolean   have_view;
  FlFlow    *batch;
  int        n, pos;
  gboolean   ended;      /* END seen or an error raised: StopIteration next */
  GError    *pending;    /* raised once the batch before it was handed out */
  gboolean   busy;       /* reading with the GIL released */
} ReaderObject;

static void
reader_close_internal (ReaderObject *self)
{
  if (self->reader != NULL)
    {
      FlReader *rd = self->reader;
      self->reader = NULL;
      /* an exec plugin's child is killed and reaped here: do not hold the
       * GIL meanwhile (a Python file source takes it back to drop its ref) */
      Py_BEGIN_ALLOW_THREADS
      fl_reader_close (rd);
      Py_END_ALLOW_THREADS
    }
  if (self->have_view)
    {
      PyBuffer_Release (&self->view);
      self->have_view = FALSE;
    }
  g_clear_error (&self->pending);
  g_clear_pointer (&self->batch, g_free);
  self->n = self->pos = 0;
  self->ended = TRUE;
}

static void
reader_dealloc (PyObject *obj)
{
  ReaderObject *self = (ReaderObject *) obj;
  PyTypeObject *tp = Py_TYPE (obj);
  reader_close_internal (self);
  PyObject_Free (obj);
  Py_DECREF (tp);
}

static gboolean
is_path_like (PyObject *o)
{
  return PyUnicode_Check (o) || PyObject_HasAttrString (o, "__fspath__");
}

static PyObject *
fl_py_open (PyObject *module, PyObject *args, PyObject *kwargs)
{
  static char *kw[] = { "src", "format", "filter", NULL };
  PyObject *src, *format = Py_None, *filter = Py_None;
  FlRegistry *reg;
  ReaderObject *self;
  Options o;
  GError *error = NULL;
  FlReader *rd = NULL;

  if (!PyArg_ParseTupleAndKeywords (args, kwargs, "O|OO:open", kw, &src, &format, &filter))
    return NULL;
  if ((reg = get_registry ()) == NULL)
    return NULL;
  self = PyObject_New (ReaderObject, ReaderType);
  if (self == NULL)
    return NULL;
  self->reader = NULL;
  self->have_view = FALSE;
  self->batch = NULL;
  self->n = self->pos = 0;
  self->ended = FALSE;
  self->pending = NULL;
  self->busy = FALSE;
  if (options_init (&o, format, filter) < 0)
    goto fail;

  if (is_path_like (src))
    {
      PyObject *b = NULL;
      if (!PyUnicode_FSConverter (src, &b))
        goto fail_opts;
      const char *path = PyBytes_AS_STRING (b);
      Py_BEGIN_ALLOW_THREADS
      rd = fl_reader_open_path (reg, path, &o.opts, &error);
      Py_END_ALLOW_THREADS
      if (rd == NULL && error != NULL && error->code == FL_ERROR_IO
          && g_strcmp0 (path, "-") != 0 && !g_file_test (path, G_FILE_TEST_EXISTS))
        {
          /* A missing file is FileNotFoundError (py3flowtools' users catch
           * it), still a flowread.Error. */
          PyObject *e = Py_BuildValue ("(isO)", ENOENT, g_strerror (ENOENT), src);
          g_clear_error (&error);
          if (e != NULL)
            {
              PyErr_SetObject (NotFoundError, e);
              Py_DECREF (e);
            }
          Py_DECREF (b);
          goto fail_opts;
        }
      Py_DECREF (b);
    }
  else if (PyLong_Check (src))
    {
      long lfd = PyLong_AsLong (src);
      if (lfd == -1 && PyErr_Occurred ())
        goto fail_opts;
      if (lfd < 0 || lfd > G_MAXINT)
        {
          PyErr_SetString (PyExc_ValueError, "flowread.open: invalid file descriptor");
          goto fail_opts;
        }
      int fd = (int) lfd;
      char *name = g_strdup_printf ("fd %d", fd);
      Py_BEGIN_ALLOW_THREADS
      rd = fl_reader_open_fd (reg, fd, name, &o.opts, &error);
      Py_END_ALLOW_THREADS
      g_free (name);
    }
  else if (PyObject_CheckBuffer (src))
    {
      if (PyObject_GetBuffer (src, &self->view, PyBUF_SIMPLE) < 0)
        goto fail_opts;
      self->have_view = TRUE;
      Py_BEGIN_ALLOW_THREADS
      rd = fl_reader_open_memory (reg, self->view.buf, (gsize) self->view.len, "<bytes>",
                                  &o.opts, &error);
      Py_END_ALLOW_THREADS
    }
  else if (PyObject_HasAttrString (src, "read"))
    {
      PyFileSource *fs = g_new0 (PyFileSource, 1);
      PyObject *n = PyObject_GetAttrString (src, "name");
      PyObject *ns = n != NULL ? PyObject_Str (n) : NULL;
      const char *name = ns != NULL ? PyUnicode_AsUTF8 (ns) : NULL;
      PyErr_Clear ();
      fs->file = Py_NewRef (src);
      fs->has_readinto = PyObject_HasAttrString (src, "readinto");
      FlStream *st = fl_stream_new_custom (&pyfile_funcs, fs, name != NULL ? name : "<file>");
      Py_XDECREF (n);
      Py_XDECREF (ns);
      Py_BEGIN_ALLOW_THREADS
      rd = fl_reader_new (reg, st, &o.opts, &error);
      Py_END_ALLOW_THREADS
    }
  else
    {
      PyErr_Format (PyExc_TypeError,
                    "flowread.open: expected a path, a file descriptor, bytes or a binary "
                    "file object, not %.100s", Py_TYPE (src)->tp_name);
      goto fail_opts;
    }
  options_clear (&o);
  if (rd == NULL)
    {
      Py_DECREF (self);
      return raise_gerror (error);
    }
  self->reader = rd;
  self->batch = g_new (FlFlow, FL_PY_BATCH);
  for (int i = 0; i < FL_PY_BATCH; i++)
    fl_flow_init (&self->batch[i]);
  return (PyObject *) self;

fail_opts:
  options_clear (&o);
fail:
  Py_DECREF (self);
  return NULL;
}

static PyObject *
reader_iter (PyObject *self)
{
  return Py_NewRef (self);
}

static PyObject *
reader_next (PyObject *obj)
{
  ReaderObject *self = (ReaderObject *) obj;

  if (self->pos < self->n)
    return flow_new (&self->batch[self->pos++]);
  if (self->pending != NULL)
    {
      GError *e = self->pending;
      self->pending = NULL;
      self->ended = TRUE;
      return raise_gerror (e);
    }
  if (self->ended || self->reader == NULL)
    return NULL;
  if (self->busy)
    {
      PyErr_SetString (PyExc_RuntimeError, "flowread.Reader used by two threads at once");
      return NULL;
    }

  FlReader *rd = self->reader;
  FlFlow *batch = self->batch;
  GError *error = NULL;
  FlStatus st = FL_STATUS_OK;
  int n = 0;

  self->busy = TRUE;
  Py_BEGIN_ALLOW_THREADS
  while (n < FL_PY_BATCH && (st = fl_reader_next (rd, &batch[n], &error)) == FL_STATUS_OK)
    n++;
  Py_END_ALLOW_THREADS
  self->busy = FALSE;
  self->n = n;
  self->pos = 0;
  if (st == FL_STATUS_ERROR)
    self->pending = error != NULL ? error
                                  : g_error_new_literal (FL_ERROR, FL_ERROR_IO, "read failed");
  else if (st == FL_STATUS_END)
    self->ended = TRUE;
  if (n > 0)
    return flow_new (&batch[self->pos++]);
  return reader_next (obj);
}

static PyObject *
reader_close (PyObject *self, PyObject *unused)
{
  if (((ReaderObject *) self)->busy)
    {
      PyErr_SetString (PyExc_RuntimeError, "flowread.Reader is being read by another thread");
      return NULL;
    }
  reader_close_internal ((ReaderObject *) self);
  Py_RETURN_NONE;
}

static PyObject *
reader_enter (PyObject *self, PyObject *unused)
{
  return Py_NewRef (self);
}

static PyObject *
reader_exit (PyObject *self, PyObject *args)
{
  PyObject *r = reader_close (self, NULL);
  Py_XDECREF (r);
  if (r == NULL)
    return NULL;
  Py_RETURN_FALSE;
}

static FlReader *
reader_get (PyObject *self)
{
  FlReader *rd = ((ReaderObject *) self)->reader;
  if (rd == NULL)
    PyErr_SetString (PyExc_ValueError, "flowread.Reader is closed");
  return rd;
}

static void
info_cb (const char *key, const char *value, gpointer user_data)
{
  PyObject *d = user_data;
  PyObject *v;

  if (PyErr_Occurred ())
    return;
  v = PyUnicode_DecodeUTF8 (value, (Py_ssize_t) strlen (value), "replace");
  if (v != NULL)
    {
      PyDict_SetItemString (d, key, v);
      Py_DECREF (v);
    }
}

static PyObject *
reader_info (PyObject *self, PyObject *unused)
{
  FlReader *rd = reader_get (self);
  PyObject *d;

  if (rd == NULL || (d = PyDict_New ()) == NULL)
    return NULL;
  fl_reader_foreach_info (rd, info_cb, d);
  if (PyErr_Occurred ())
    {
      Py_DECREF (d);
      return NULL;
    }
  return d;
}

static PyObject *
reader_get_format (PyObject *self, void *closure)
{
  FlReader *rd = reader_get (self);
  return rd != NULL ? PyUnicode_FromString (fl_reader_get_format (rd)) : NULL;
}

static PyObject *
reader_get_chain (PyObject *self, void *closure)
{
  FlReader *rd = reader_get (self);
  return rd != NULL ? PyUnicode_FromString (fl_reader_get_chain (rd)) : NULL;
}

static PyObject *
reader_get_name (PyObject *self, void *closure)
{
  FlReader *rd = reader_get (self);
  return rd != NULL ? PyUnicode_DecodeFSDefault (fl_reader_get_name (rd)) : NULL;
}

static PyObject *
reader_get_closed (PyObject *self, void *closure)
{
  return PyBool_FromLong (((ReaderObject *) self)->reader == NULL);
}

static PyMethodDef reader_methods[] = {
  { "close", reader_close, METH_NOARGS, "Closes the reader (an exec plugin's child is reaped)." },
  { "info", reader_info, METH_NOARGS, "Header metadata as a dict of strings (format, chain first)." },
  { "__enter__", reader_enter, METH_NOARGS, NULL },
  { "__exit__", reader_exit, METH_VARARGS, NULL },
  { NULL }
};

static PyGetSetDef reader_getset[] = {
  { "format", reader_get_format, NULL, "The format reader's name (\"flowd\").", NULL },
  { "chain", reader_get_chain, NULL, "The plugin chain (\"gzip > flowd\").", NULL },
  { "name", reader_get_name, NULL, "The input's name.", NULL },
  { "closed", reader_get_closed, NULL, NULL, NULL },
  { NULL }
};

static PyTypeObject *
make_reader_type (void)
{
  PyType_Slot slots[] = {
    { Py_tp_dealloc, reader_dealloc },
    { Py_tp_iter, reader_iter },
    { Py_tp_iternext, reader_next },
    { Py_tp_methods, reader_methods },
    { Py_tp_getset, reader_getset },
    { Py_tp_doc, (void *) "An open flow input; iterate it for Flow objects." },
    { 0, NULL },
  };
  PyType_Spec spec = { "flowread.Reader", sizeof (ReaderObject), 0,
                       Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION, slots };
  return (PyTypeObject *) PyType_FromSpec (&spec);
}

/* ---------------------------------------------------------------- Buffer */

/* Memory filled by _read_columns(), exported through the buffer protocol
 * so numpy wraps it without a copy (numpy.frombuffer keeps it alive). */
typedef struct {
  PyObject_HEAD
  guint8 *data;
  gsize   len;
} BufferObject;

static int
buffer_getbuffer (PyObject *obj, Py_buffer *view, int flags)
{
  BufferObject *self = (BufferObject *) obj;
  return PyBuffer_FillInfo (view, obj, self->data != NULL ? self->data : (void *) "",
                            (Py_ssize_t) self->len, 0, flags);
}

static void
buffer_dealloc (PyObject *obj)
{
  PyTypeObject *tp = Py_TYPE (obj);
  g_free (((BufferObject *) obj)->data);
  PyObject_Free (obj);
  Py_DECREF (tp);
}

static PyTypeObject *
make_buffer_type (void)
{
  PyType_Slot slots[] = {
    { Py_tp_dealloc, buffer_dealloc },
    { Py_bf_getbuffer, buffer_getbuffer },
    { 0, NULL },
  };
  PyType_Spec spec = { "flowread._Buffer", sizeof (BufferObject), 0,
                       Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION, slots };
  return (PyTypeObject *) PyType_FromSpec (&spec);
}

/* Takes ownership of data. */
static PyObject *
buffer_new (guint8 *data, gsize len)
{
  BufferObject *self = PyObject_New (BufferObject, BufferType);
  if (self == NULL)
    {
      g_free (data);
      return NULL;
    }
  self->data = data;
  self->len = len;
  return (PyObject *) self;
}

/* ------------------------------------------------------------- columns */

typedef struct {
  FlField  field;
  gsize    size;      /* bytes per row */
  guint8  *data;
  guint8  *mask;      /* 1 = absent */
  gboolean any_absent;
} Column;

typedef struct {
  GArray  *cols;      /* Column */
  gboolean dynamic;   /* columns=None: a column per field seen */
  guint64  seen[2];   /* dynamic: fields that have a column */
  gsize    n, cap;
} Table;

static gsize
column_size (FlField f)
{
  switch (fields[f].type)
    {
    case FL_TYPE_UINT:
    case FL_TYPE_MPLS: return (gsize) fields[f].width;
    case FL_TYPE_TIME: return 8;
    case FL_TYPE_ADDR: return FL_PY_ADDR_WIDTH;
    case FL_TYPE_MAC: return FL_PY_MAC_WIDTH;
    default: return 0;
    }
}

/* Adds a column; rows already read are absent in it. */
static void
table_add (Table *t, FlField f)
{
  Column c = { f, column_size (f), NULL, NULL, t->n > 0 };

  c.data = g_malloc0 (MAX (t->cap, 1) * c.size);
  c.mask = g_malloc0 (MAX (t->cap, 1));
  memset (c.mask, 1, t->n);
  if (fields[f].type == FL_TYPE_TIME)
    for (gsize i = 0; i < t->n; i++)
      {
        gint64 nat = G_MININT64;
        memcpy (c.data + i * 8, &nat, 8);
      }
  t->seen[f / 64] |= FL_FIELD_BIT (f);
  g_array_append_val (t->cols, c);
}

static void
table_grow (Table *t)
{
  gsize cap = t->cap < 4096 ? 4096 : t->cap * 2;
  for (guint i = 0; i < t->cols->len; i++)
    {
      Column *c = &g_array_index (t->cols, Column, i);
      c->data = g_realloc (c->data, cap * c->size);
      c->mask = g_realloc (c->mask, cap);
    }
  t->cap = cap;
}

static inline void
column_put (Column *c, gsize row, const FlFlow *flow)
{
  guint8 *p = c->data + row * c->size;
  guint64 u;
  gint64 t;
  FlAddr a;
  guint8 mac[6];
  gboolean ok = FALSE;

  switch (fields[c->field].type)
    {
    case FL_TYPE_UINT:
    case FL_TYPE_MPLS:
      ok = fl_flow_get_uint (flow, c->field, &u);
      if (!ok)
        u = 0;
      switch (c->size)
        {
        case 1: *p = (guint8) u; break;
        case 2: { guint16 v = (guint16) u; memcpy (p, &v, 2); break; }
        case 4: { guint32 v = (guint32) u; memcpy (p, &v, 4); break; }
        default: memcpy (p, &u, 8); break;
        }
      break;
    case FL_TYPE_TIME:
      ok = fl_flow_get_time (flow, c->field, &t);
      if (!ok)
        t = G_MININT64; /* NaT */
      memcpy (p, &t, 8);
      break;
    case FL_TYPE_ADDR:
      ok = fl_flow_get_addr (flow, c->field, &a) && (a.family == 4 || a.family == 6);
      memset (p, 0, FL_PY_ADDR_WIDTH);
      if (ok)
        {
          char buf[FL_ADDR_STRLEN];
          fl_addr_to_string (&a, buf);
          memcpy (p, buf, MIN (strlen (buf), FL_PY_ADDR_WIDTH));
        }
      break;
    case FL_TYPE_MAC:
      ok = fl_flow_get_mac (flow, c->field, mac);
      memset (p, 0, FL_PY_MAC_WIDTH);
      if (ok)
        {
          char buf[FL_ADDR_STRLEN];
          format_mac (mac, buf);
          memcpy (p, buf, FL_PY_MAC_WIDTH);
        }
      break;
    default:
      break;
    }
  c->mask[row] = !ok;
  c->any_absent |= !ok;
}

static void
table_put (Table *t, const FlFlow *flow)
{
  if (t->dynamic)
    {
      guint64 lo = flow->present & ~t->seen[0], hi = flow->present_hi & ~t->seen[1];
      lo &= ~FL_FIELD_BIT (FL_FIELD_FT_TIMES);
      for (int f = 0; (lo | hi) != 0 && f < FL_N_FIELDS; f++)
        {
          guint64 *w = f < 64 ? &lo : &hi;
          if ((*w & FL_FIELD_BIT (f)) && fields[f].order >= 0)
            table_add (t, (FlField) f);
          *w &= ~FL_FIELD_BIT (f);
        }
    }
  if (t->n == t->cap)
    table_grow (t);
  for (guint i = 0; i < t->cols->len; i++)
    column_put (&g_array_index (t->cols, Column, i), t->n, flow);
  t->n++;
}

static void
table_free (Table *t)
{
  for (guint i = 0; i < t->cols->len; i++)
    {
      Column *c = &g_array_index (t->cols, Column, i);
      g_free (c->data);
      g_free (c->mask);
    }
  g_array_free (t->cols, TRUE);
}

static gint
column_cmp (gconstpointer a, gconstpointer b)
{
  return fields[((const Column *) a)->field].order - fields[((const Column *) b)->field].order;
}

static const char *
column_kind (FlField f)
{
  switch (fields[f].type)
    {
    case FL_TYPE_UINT:
    case FL_TYPE_MPLS: return "u";
    case FL_TYPE_TIME: return "M";
    case FL_TYPE_ADDR: return "addr";
    case FL_TYPE_MAC: return "mac";
    default: return "?";
    }
}

/* _read_columns(paths, columns, format, filter) ->
 *   (nrows, [(name, kind, itemsize, data, mask or None), ...])
 * paths: a list of str/bytes/PathLike. Reads every file in order with the
 * GIL released; the first error is raised once the files are closed. */
static PyObject *
fl_py_read_columns (PyObject *module, PyObject *args, PyObject *kwargs)
{
  static char *kw[] = { "paths", "columns", "format", "filter", NULL };
  PyObject *paths, *columns = Py_None, *format = Py_None, *filter = Py_None;
  PyObject *seq = NULL, *result = NULL, *list = NULL;
  FlRegistry *reg;
  Options o;
  Table t = { 0 };
  GPtrArray *files = NULL;
  GError *error = NULL;

  if (!PyArg_ParseTupleAndKeywords (args, kwargs, "O|OOO:_read_columns", kw,
                                    &paths, &columns, &format, &filter))
    return NULL;
  if ((reg = get_registry ()) == NULL)
    return NULL;
  if (options_init (&o, format, filter) < 0)
    return NULL;
  t.cols = g_array_new (FALSE, TRUE, sizeof (Column));
  files = g_ptr_array_new_with_free_func (g_free);

  if ((seq = PySequence_Fast (paths, "paths must be a sequence")) == NULL)
    goto out;
  for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE (seq); i++)
    {
      PyObject *b = NULL;
      if (!PyUnicode_FSConverter (PySequence_Fast_GET_ITEM (seq, i), &b))
        goto out;
      g_ptr_array_add (files, g_strdup (PyBytes_AS_STRING (b)));
      Py_DECREF (b);
    }
  if (columns == Py_None)
    t.dynamic = TRUE;
  else
    {
      PyObject *cs = PySequence_Fast (columns, "columns must be a sequence of field names");
      if (cs == NULL)
        goto out;
      for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE (cs); i++)
        {
          const char *name = PyUnicode_AsUTF8 (PySequence_Fast_GET_ITEM (cs, i));
          int f = name != NULL ? fl_field_from_name (name) : -1;
          if (name == NULL || f < 0 || f >= FL_N_FIELDS || fields[f].order < 0)
            {
              if (name != NULL)
                PyErr_Format (PyExc_ValueError, "flowread: unknown field '%s'", name);
              Py_DECREF (cs);
              goto out;
            }
          if (t.seen[f / 64] & FL_FIELD_BIT (f))
            {
              PyErr_Format (PyExc_ValueError, "flowread: field '%s' given twice", name);
              Py_DECREF (cs);
              goto out;
            }
          table_add (&t, (FlField) f);
        }
      Py_DECREF (cs);
    }

  Py_BEGIN_ALLOW_THREADS
  FlFlow flow;
  fl_flow_init (&flow);
  for (guint i = 0; i < files->len && error == NULL; i++)
    {
      FlReader *rd = fl_reader_open_path (reg, g_ptr_array_index (files, i), &o.opts, &error);
      if (rd == NULL)
        break;
      while (fl_reader_next (rd, &flow, &error) == FL_STATUS_OK)
        table_put (&t, &flow);
      fl_reader_close (rd);
    }
  Py_END_ALLOW_THREADS
  if (error != NULL)
    {
      raise_gerror (error);
      goto out;
    }

  if (t.dynamic)
    g_array_sort (t.cols, column_cmp);
  if ((list = PyList_New (0)) == NULL)
    goto out;
  for (guint i = 0; i < t.cols->len; i++)
    {
      Column *c = &g_array_index (t.cols, Column, i);
      gsize len = t.n * c->size;
      PyObject *data = buffer_new (g_realloc (c->data, MAX (len, 1)), len);
      PyObject *mask;
      c->data = NULL;
      if (c->any_absent)
        mask = buffer_new (g_realloc (c->mask, MAX (t.n, 1)), t.n);
      else
        {
          g_free (c->mask);
          mask = Py_NewRef (Py_None);
        }
      c->mask = NULL;
      PyObject *item = (data != NULL && mask != NULL)
          ? Py_BuildValue ("(ssnOO)", fields[c->field].name, column_kind (c->field),
                           (Py_ssize_t) c->size, data, mask)
          : NULL;
      Py_XDECREF (data);
      Py_XDECREF (mask);
      if (item == NULL || PyList_Append (list, item) < 0)
        {
          Py_XDECREF (item);
          goto out;
        }
      Py_DECREF (item);
    }
  result = Py_BuildValue ("(nO)", (Py_ssize_t) t.n, list);

out:
  Py_XDECREF (list);
  Py_XDECREF (seq);
  if (files != NULL)
    g_ptr_array_free (files, TRUE);
  table_free (&t);
  options_clear (&o);
  return result;
}

/* ------------------------------------------------------------- module */

static PyObject *
fl_py_add_plugin_dir (PyObject *module, PyObject *arg)
{
  PyObject *b = NULL;

  if (registry != NULL)
    {
      PyErr_SetString (PyExc_RuntimeError, "flowread: plugins are already loaded");
      return NULL;
    }
  if (!PyUnicode_FSConverter (arg, &b))
    return NULL;
  if (extra_dirs == NULL)
    extra_dirs = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (extra_dirs, g_strdup (PyBytes_AS_STRING (b)));
  Py_DECREF (b);
  Py_RETURN_NONE;
}

static PyObject *
fl_py_plugins (PyObject *module, PyObject *unused)
{
  FlRegistry *reg = get_registry ();
  PyObject *list;

  if (reg == NULL || (list = PyList_New (0)) == NULL)
    return NULL;
  for (guint i = 0; i < fl_registry_get_n_plugins (reg); i++)
    {
      const FlPluginInfo *p = fl_registry_get_plugin (reg, i);
      PyObject *d = Py_BuildValue ("{s:s,s:z,s:z,s:z,s:O,s:z}", "name", p->name,
          "plugin", p->plugin, "version", p->version, "file", p->file,
          "loaded", p->loaded ? Py_True : Py_False, "reason", p->reason);
      if (d == NULL || PyList_Append (list, d) < 0)
        {
          Py_XDECREF (d);
          Py_DECREF (list);
          return NULL;
        }
      Py_DECREF (d);
    }
  return list;
}

static PyObject *
fl_py_fields (PyObject *module, PyObject *unused)
{
  PyObject *list = PyList_New (0);

  for (guint i = 0; list != NULL && i < n_output; i++)
    {
      FlField f = output_order[i];
      PyObject *item = Py_BuildValue ("(ssn)", fields[f].name, column_kind (f),
                                      (Py_ssize_t) column_size (f));
      if (item == NULL || PyList_Append (list, item) < 0)
        {
          Py_XDECREF (item);
          Py_CLEAR (list);
          break;
        }
      Py_DECREF (item);
    }
  return list;
}

static PyMethodDef module_methods[] = {
  { "open", (PyCFunction) (void (*) (void)) fl_py_open, METH_VARARGS | METH_KEYWORDS,
    "open(src, format=None, filter=None) -> Reader" },
  { "_read_columns", (PyCFunction) (void (*) (void)) fl_py_read_columns,
    METH_VARARGS | METH_KEYWORDS, NULL },
  { "_add_plugin_dir", fl_py_add_plugin_dir, METH_O, NULL },
  { "plugins", fl_py_plugins, METH_NOARGS,
    "The plugin files found: loaded readers and refused files, with the reason." },
  { "fields", fl_py_fields, METH_NOARGS,
    "The output fields in output order: (name, kind, column itemsize)." },
  { NULL }
};

static struct PyModuleDef module_def = {
  PyModuleDef_HEAD_INIT, "flowread._flowread", NULL, -1, module_methods,
};

static const struct {
  FlError code;
  const char *name;
  const char *doc;
} error_names[] = {
  { FL_ERROR_IO, "ReadError", "reading the input failed (read(2), open(2))" },
  { FL_ERROR_UNKNOWN_FORMAT, "UnknownFormatError", "no format plugin claimed the input" },
  { FL_ERROR_AMBIGUOUS_FORMAT, "AmbiguousFormatError", "two heuristic plugins scored too close" },
  { FL_ERROR_UNSUPPORTED_VERSION, "UnsupportedVersionError", "a version of the format that cannot be read" },
  { FL_ERROR_TRUNCATED, "TruncatedError", "the input ends inside a header or record" },
  { FL_ERROR_CORRUPT, "CorruptError", "the input contradicts its format" },
  { FL_ERROR_TOO_MANY_WRAPPERS, "TooManyWrappersError", "more wrappers than FL_MAX_WRAPPER_DEPTH" },
  { FL_ERROR_EXEC, "ExecError", "an external program failed" },
  { FL_ERROR_PLUGIN, "PluginError", "a plugin is missing, refused or misbehaving" },
  { FL_ERROR_INVALID, "InvalidError", "an invalid argument" },
  { FL_ERROR_LIMIT, "LimitError", "a length or size exceeded a safety cap" },
};

PyMODINIT_FUNC
PyInit__flowread (void)
{
  PyObject *m;

  PyDateTime_IMPORT;
  if (PyDateTimeAPI == NULL)
    return NULL;
  if (init_fields () < 0)
    return NULL;
  if ((m = PyModule_Create (&module_def)) == NULL)
    return NULL;
  if ((FlowType = make_flow_type ()) == NULL || (ReaderType = make_reader_type ()) == NULL
      || (BufferType = make_buffer_type ()) == NULL)
    goto fail;
  if (PyModule_AddObjectRef (m, "Flow", (PyObject *) FlowType) < 0
      || PyModule_AddObjectRef (m, "Reader", (PyObject *) ReaderType) < 0)
    goto fail;
  Error = PyErr_NewExceptionWithDoc ("flowread.Error",
      "Every flowread error (an OSError); a subclass per FlError code.", PyExc_OSError, NULL);
  if (Error == NULL || PyModule_AddObjectRef (m, "Error", Error) < 0)
    goto fail;
  for (gsize i = 0; i < G_N_ELEMENTS (error_names); i++)
    {
      char *qual = g_strconcat ("flowread.", error_names[i].name, NULL);
      PyObject *cls = PyErr_NewExceptionWithDoc (qual, error_names[i].doc, Error, NULL);
      g_free (qual);
      if (cls == NULL || PyModule_AddObjectRef (m, error_names[i].name, cls) < 0)
        goto fail;
      error_classes[error_names[i].code] = cls;
    }
  PyObject *bases = PyTuple_Pack (2, error_classes[FL_ERROR_IO], PyExc_FileNotFoundError);
  NotFoundError = bases != NULL
      ? PyErr_NewExceptionWithDoc ("flowread.NotFoundError",
                                   "The input file does not exist (also FileNotFoundError).",
                                   bases, NULL)
      : NULL;
  Py_XDECREF (bases);
  if (NotFoundError == NULL || PyModule_AddObjectRef (m, "NotFoundError", NotFoundError) < 0)
    goto fail;
  if (PyModule_AddIntConstant (m, "ADDR_WIDTH", FL_PY_ADDR_WIDTH) < 0
      || PyModule_AddIntConstant (m, "MAC_WIDTH", FL_PY_MAC_WIDTH) < 0
      || PyModule_AddIntConstant (m, "HAVE_FILTER",
#ifdef FL_PY_HAVE_FILTER
                                  1
#else
                                  0
#endif
                                  ) < 0
      || PyModule_AddStringConstant (m, "LIBRARY_VERSION", FL_VERSION) < 0)
    goto fail;
  return m;

fail:
  Py_DECREF (m);
  return NULL;
}
